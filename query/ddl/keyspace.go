package ddl

import (
	"wcdb/query/catalog"
	"wcdb/query/qerr"
	"wcdb/schema"
)

// Keyspace computes the keyspace CREATE KEYSPACE (old nil) or ALTER
// KEYSPACE (old the current definition) defines from its properties,
// given the datacenters NetworkTopologyStrategy may name.
func Keyspace(name string, props catalog.KeyspaceProps, old *schema.Keyspace, dcs []string) (*schema.Keyspace, error) {
	var ks *schema.Keyspace
	if old == nil {
		if err := schema.ValidName("Keyspace", name); err != nil {
			return nil, qerr.FromSchema(err)
		}
		ks = &schema.Keyspace{Name: name, DurableWrites: true}
	} else {
		ks = &schema.Keyspace{Name: old.Name, Replication: old.Replication, DurableWrites: old.DurableWrites}
	}
	if props.Replication != nil {
		var prev map[string]string
		if old != nil {
			prev = old.Replication
		}
		repl, err := catalog.NormalizeReplication(name, props.Replication, dcs, prev)
		if err != nil {
			return nil, qerr.FromSchema(err)
		}
		ks.Replication = repl
	}
	if props.DurableWrites != nil {
		ks.DurableWrites = *props.DurableWrites
	}
	return ks, nil
}
