package catalog

import (
	"strconv"
	"strings"

	"wcdb/query/qerr"
	"wcdb/schema"
)

const locatorPackage = "org.apache.cassandra.locator."

// normalizeStrategy validates the replication options of CREATE or
// ALTER KEYSPACE with Cassandra's rules and messages, and returns them with
// the class name in full ("SimpleStrategy" becomes
// "org.apache.cassandra.locator.SimpleStrategy"). SimpleStrategy takes
// exactly replication_factor; NetworkTopologyStrategy takes datacenter:
// factor pairs (and replication_factor, a default for every datacenter).
// Factors are non-negative integers. LocalStrategy is reserved for system
// keyspaces, which are defined directly, not through this function.
func normalizeStrategy(keyspace string, opts map[string]string) (map[string]string, error) {
	class, ok := opts["class"]
	if !ok || class == "" {
		return nil, qerr.Configf("Missing replication strategy class")
	}
	full := class
	if !strings.Contains(class, ".") {
		full = locatorPackage + class
	}
	out := map[string]string{"class": full}
	switch full {
	case schema.SimpleStrategy:
		rf, ok := opts["replication_factor"]
		if !ok {
			return nil, qerr.Configf("SimpleStrategy requires a replication_factor strategy option.")
		}
		for k := range opts {
			if k != "class" && k != "replication_factor" {
				return nil, qerr.Configf("Unrecognized strategy option {%s} passed to SimpleStrategy for keyspace %s", k, keyspace)
			}
		}
		if err := checkReplicationFactor(rf); err != nil {
			return nil, err
		}
		out["replication_factor"] = strings.TrimSpace(rf)
	case schema.NetworkTopologyStrategy:
		if len(opts) == 1 {
			return nil, qerr.Configf("Configuration for at least one datacenter must be present")
		}
		for k, v := range opts {
			if k == "class" {
				continue
			}
			if err := checkReplicationFactor(v); err != nil {
				return nil, err
			}
			out[k] = strings.TrimSpace(v)
		}
	case schema.LocalStrategy:
		return nil, qerr.Configf("Unable to use given strategy class: LocalStrategy is reserved for internal use.")
	default:
		return nil, qerr.Configf("Unable to find replication strategy class '%s'", full)
	}
	return out, nil
}

func checkReplicationFactor(rf string) error {
	n, err := strconv.Atoi(strings.TrimSpace(rf))
	if err != nil {
		return qerr.Configf("Replication factor must be numeric; found %s", rf)
	}
	if n < 0 {
		return qerr.Configf("Replication factor must be non-negative; found %s", rf)
	}
	return nil
}
