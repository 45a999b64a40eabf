// Package config is a wcdb node's configuration: the settings with their
// defaults (DefaultConfig), the YAML file that sets them (LoadConfig, with
// cassandra.yaml's flat names as aliases), and their checks (Validate).
// Package server applies them.
package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"wcdb/compaction"
)

// Config is a node's configuration: one YAML file (see
// deploy/wcdb.example.yaml, where every setting is described), flags
// overriding it, and these defaults for whatever neither sets. The zero
// value is not usable; start from DefaultConfig.
type Config struct {
	// ClusterName is reported in system.local and must match across the
	// nodes of a cluster.
	ClusterName string `yaml:"cluster_name"`
	// DataDir holds the commit log and the SSTables.
	DataDir string `yaml:"data_dir"`
	// ListenAddress is the address the node serves CQL on (and, in a
	// cluster, talks to other nodes on).
	ListenAddress string `yaml:"listen_address"`
	// BroadcastAddress is the address the node tells other nodes and
	// drivers to reach it at (system.local, system.peers, gossip), when it
	// differs from ListenAddress: required when that is 0.0.0.0 or ::.
	// Empty means ListenAddress.
	BroadcastAddress string `yaml:"broadcast_address"`
	// RPCAddress is the address CQL listens on when it differs from
	// listen_address (which then carries only internode calls and
	// gossip): CQL can face applications while the internode port stays
	// on a private network. Empty: listen_address. BroadcastRPCAddress is
	// the CQL address drivers are told (system.local, system.peers),
	// required when RPCAddress is 0.0.0.0 or ::; empty: RPCAddress, or the
	// broadcast address.
	RPCAddress          string `yaml:"rpc_address"`
	BroadcastRPCAddress string `yaml:"broadcast_rpc_address"`
	// CQLPort is the native protocol port; 0 picks a free one (tests).
	CQLPort int `yaml:"cql_port"`
	// DataCenter and Rack place the node for NetworkTopologyStrategy.
	DataCenter string `yaml:"datacenter"`
	Rack       string `yaml:"rack"`

	// Seeds are the gossip addresses (host, or host:port with gossip_port
	// the default port) of nodes to join the cluster through. Empty, or
	// only this node: it starts a cluster of its own.
	Seeds []string `yaml:"seeds"`
	// NumTokens is how many vnode tokens the node takes when it first
	// joins the ring (chosen to balance ownership); later starts keep
	// the tokens it has.
	NumTokens int `yaml:"num_tokens"`
	// GossipPort is the membership (gossip) port, TCP and UDP, and
	// InternodePort the port of the gRPC service nodes call each other
	// on, both on listen_address; 0 picks a free port (tests).
	GossipPort    int `yaml:"gossip_port"`
	InternodePort int `yaml:"internode_port"`
	// GossipProfile sets the failure detector and gossip timings: lan
	// (memberlist's LAN timings: a stopped node is seen down in about 5
	// s) or local (for nodes on one machine: under a second).
	GossipProfile string `yaml:"gossip_profile"`
	// RingDelay is how long a node joining a cluster announces its tokens
	// before it takes writes for them, so that every node knows them first
	// (Cassandra's ring_delay).
	RingDelay Duration `yaml:"ring_delay"`
	// HintedHandoff keeps writes for replicas that are down or did not
	// answer, and replays them when they are back; MaxHintWindow is how
	// long after a node went down writes are still hinted for it.
	HintedHandoff bool     `yaml:"hinted_handoff_enabled"`
	MaxHintWindow Duration `yaml:"max_hint_window"`
	// AutoBootstrap makes a node that joins an existing cluster fetch the
	// data of the ranges it takes from the nodes giving them up before it
	// turns NORMAL and serves clients (Cassandra's auto_bootstrap). Off, it
	// takes its ranges empty: only for a brand-new cluster with no data.
	AutoBootstrap bool `yaml:"auto_bootstrap"`
	// BootstrapFromAny lets a joining node fetch a range from any live
	// replica when the node giving it up is down (Cassandra's
	// -Dcassandra.consistent.rangemovement=false): the join goes on, but a
	// replica that missed writes may hand over stale data.
	BootstrapFromAny bool `yaml:"bootstrap_from_any"`
	// ReplaceAddress, on a node's first start (no tokens yet), names a
	// dead node whose place on the ring it takes: its tokens, and the data
	// of its ranges from the surviving replicas (Cassandra's
	// replace_address_first_boot). Ignored once the node has tokens.
	ReplaceAddress string `yaml:"replace_address"`
	// StreamThroughputOutbound caps what the node sends to other nodes'
	// streams (joins, decommission, removenode), per second, all streams
	// together; 0 is no cap (Cassandra's stream_throughput_outbound).
	// wcdb admin setstreamthroughput changes it at run time.
	StreamThroughputOutbound Rate `yaml:"stream_throughput_outbound"`
	// WriteRequestTimeout, ReadRequestTimeout and RangeRequestTimeout are
	// how long the coordinator waits for replicas before answering
	// WriteTimeout or ReadTimeout.
	WriteRequestTimeout Duration `yaml:"write_request_timeout"`
	ReadRequestTimeout  Duration `yaml:"read_request_timeout"`
	RangeRequestTimeout Duration `yaml:"range_request_timeout"`
	// CASContentionTimeout bounds the Paxos rounds a lightweight
	// transaction or a SERIAL read retries while other proposers win
	// (Cassandra's cas_contention_timeout); then WriteTimeout of type CAS.
	CASContentionTimeout Duration `yaml:"cas_contention_timeout"`

	// Guardrails, flat at the top as in Cassandra's cassandra.yaml (see
	// guardrails.go; 0 turns a threshold off). BatchSizeWarnThreshold and
	// BatchSizeFailThreshold bound the data of a batch spanning several
	// partitions (warned of; refused, "Batch too large"); a
	// single-partition batch is exempt.
	BatchSizeWarnThreshold ByteSize `yaml:"batch_size_warn_threshold"`
	BatchSizeFailThreshold ByteSize `yaml:"batch_size_fail_threshold"`
	// TombstoneWarnThreshold and TombstoneFailureThreshold bound the
	// tombstones one read (a partition, or a page of a range read) goes
	// through on a replica: warned of; aborted, ReadFailure.
	TombstoneWarnThreshold    int `yaml:"tombstone_warn_threshold"`
	TombstoneFailureThreshold int `yaml:"tombstone_failure_threshold"`
	// CollectionSizeWarnThreshold and CollectionSizeFailThreshold bound
	// the serialized size of a collection value a statement writes.
	CollectionSizeWarnThreshold ByteSize `yaml:"collection_size_warn_threshold"`
	CollectionSizeFailThreshold ByteSize `yaml:"collection_size_fail_threshold"`
	// CompactionLargePartitionWarningThreshold: a compaction writing a
	// partition larger than this logs it at WARN.
	CompactionLargePartitionWarningThreshold ByteSize `yaml:"compaction_large_partition_warning_threshold"`

	// ClientEncryption is TLS on the CQL port; ServerEncryption mutual
	// TLS on the internode port (EncryptionOptions).
	ClientEncryption EncryptionOptions `yaml:"client_encryption_options"`
	ServerEncryption EncryptionOptions `yaml:"server_encryption_options"`
	// GossipEncryptionKey encrypts and authenticates gossip: base64 keys
	// of 16, 24 or 32 bytes, the first used to send, all tried on what
	// arrives (so that keys rotate: add the new one second everywhere,
	// then first, then drop the old). Empty: WCDB_GOSSIP_ENCRYPTION_KEY,
	// else gossip in clear.
	GossipEncryptionKey []string `yaml:"gossip_encryption_key"`

	CommitLog CommitLogConfig `yaml:"commitlog"`
	Storage   StorageConfig   `yaml:"storage"`
	Native    NativeConfig    `yaml:"native_transport"`
	Auth      AuthConfig      `yaml:"auth"`
	Repair    RepairConfig    `yaml:"repair"`
	Metrics   MetricsConfig   `yaml:"metrics"`
	Logging   LoggingConfig   `yaml:"logging"`

	// MemoryLimit is the Go runtime's soft memory limit (as -Xmx is a JVM
	// node's heap): 0 means Cassandra's default heap size for the
	// machine's RAM (see defaultMemoryLimit); negative, none. The block
	// cache and memtables shrink to a quarter and a sixteenth of it when
	// set above (storageOptions).
	MemoryLimit ByteSize `yaml:"memory_limit"`
}

// CommitLogConfig configures the commit log.
type CommitLogConfig struct {
	// Sync is periodic (acknowledge at once, fsync every SyncPeriod, as
	// Cassandra's default), batch (acknowledge after an fsync covering the
	// write) or group (as batch, with an adaptive window that gathers
	// writes for fewer fsyncs under load; see commitlog.Group).
	Sync string `yaml:"sync"`
	// SyncPeriod is the periodic mode's fsync interval.
	SyncPeriod Duration `yaml:"sync_period"`
	// GroupWindow is the most group mode holds an fsync back to gather
	// writes (the window ends early: see commitlog.Options.GroupWindow).
	GroupWindow Duration `yaml:"group_window"`
	// SegmentSize is the size of a commit log segment file.
	SegmentSize ByteSize `yaml:"segment_size"`
	// FailurePolicy is what the node does when a commit log write or
	// fsync fails (a full disk, an I/O error), as Cassandra's
	// commit_failure_policy (the flat name is accepted): stop (stop the
	// CQL server and gossip, so that clients and coordinators go
	// elsewhere and hint, and keep the process up for inspection), die
	// (exit the process) or ignore (log and go on). Every failure is
	// logged at ERROR; the commit log writes again by itself once it can.
	FailurePolicy string `yaml:"failure_policy"`
}

// StorageConfig configures the storage engine.
type StorageConfig struct {
	// MemtableFlushSize is a table's memtable size that triggers a flush.
	MemtableFlushSize ByteSize `yaml:"memtable_flush_size"`
	// BlockCacheSize is the SSTable block cache shared by all tables
	// (decompressed blocks; Cassandra's file_cache_size plays this part).
	BlockCacheSize ByteSize `yaml:"block_cache_size"`
	// CompactionThroughput limits compaction reads per second (0: no
	// limit).
	CompactionThroughput ByteSize `yaml:"compaction_throughput"`
	// CompactionCPUShare is the share of a core compaction and cleanup
	// get while client requests run, in slices of 2 ms each followed by
	// a pause; with no request they run at full speed, and the share
	// doubles for every 8 live SSTables beyond 16 of a table with
	// compaction pending, so compaction never starves. 0 (or 1): no
	// pacing. wcdb's own setting (Cassandra has only the MB/s cap).
	CompactionCPUShare float64 `yaml:"compaction_cpu_share"`
	// DiskFailurePolicy is what the node does when a flush, compaction,
	// cleanup or read of SSTables fails with an I/O error, as Cassandra's
	// disk_failure_policy (the flat name is accepted): stop, die or
	// ignore, as commitlog.failure_policy. A corrupt SSTable is not a
	// disk failure: it is set aside and reads of it fail.
	DiskFailurePolicy string `yaml:"disk_failure_policy"`
}

// RepairConfig configures anti-entropy repair.
type RepairConfig struct {
	// Scheduler has the node repair its primary ranges of every table by
	// itself, a range at a time, each table within its interval: 90% of
	// its gc_grace_seconds, within [MinInterval, MaxInterval]. Tables with
	// gc_grace_seconds 0 and keyspaces with one replica are left out.
	Scheduler bool `yaml:"scheduler"`
	// Throughput caps the data repair validation reads per second on this
	// node (its own repairs and its part in others'), apart from
	// compaction_throughput; 0: no cap. The differing data travels in
	// streams, which stream_throughput_outbound caps.
	Throughput Rate `yaml:"throughput"`
	// MinInterval and MaxInterval bound a table's repair interval.
	MinInterval Duration `yaml:"min_interval"`
	MaxInterval Duration `yaml:"max_interval"`
	// CheckInterval is how often the scheduler looks for due ranges when
	// none was; RetryAfter how long a range whose repair failed waits;
	// InitialDelay how long after the node starts the scheduler begins.
	CheckInterval Duration `yaml:"check_interval"`
	RetryAfter    Duration `yaml:"retry_after"`
	InitialDelay  Duration `yaml:"initial_delay"`
}

// MetricsConfig configures the node's HTTP listener of /metrics
// (Prometheus), /healthz and /readyz. Cassandra has no such setting (its
// metrics go through JMX): these are wcdb's own names.
type MetricsConfig struct {
	// Port is the listener's port; 0 turns the listener off.
	Port int `yaml:"port"`
	// Address is the address it listens on. Empty: the address CQL
	// listens on (rpc_address, else listen_address), the one a load
	// balancer sending CQL to the node can reach, and one per node when
	// several share a host on their own addresses (wcdb cluster).
	Address string `yaml:"address"`
}

// NativeConfig configures the native-protocol (CQL) server.
type NativeConfig struct {
	// MaxFrameSize is the largest request frame accepted.
	MaxFrameSize ByteSize `yaml:"max_frame_size"`
	// MaxConnections is the most client connections at once.
	MaxConnections int `yaml:"max_connections"`
	// RequestTimeout bounds each request's execution.
	RequestTimeout Duration `yaml:"request_timeout"`
	// MaxRequestsPerConnection is how many requests of one connection run
	// at once; more wait.
	MaxRequestsPerConnection int `yaml:"max_requests_per_connection"`
	// MaxConcurrentConnectionsPerIP is the most connections from one client
	// address (Cassandra's native_transport_max_concurrent_connections_per_ip,
	// also read flat); -1 (or 0): no limit, Cassandra's default.
	MaxConcurrentConnectionsPerIP int `yaml:"max_concurrent_connections_per_ip"`
	// IdleUnauthenticatedTimeout closes a connection that has not finished
	// its TLS handshake, STARTUP and login this long after it connected;
	// when the server is full, a new connection replaces the oldest such
	// one after a tenth of it. 0: never. wcdb's own setting (Cassandra's
	// native_transport_idle_timeout closes idle connections of any kind).
	IdleUnauthenticatedTimeout Duration `yaml:"idle_unauthenticated_timeout"`
	// MaxRequestDataInFlight bounds the bytes of requests received and
	// executing across all connections; over it, readers wait, then answer
	// Overloaded (Cassandra's native_transport_max_request_data_in_flight,
	// also read flat). 0: a tenth of the memory budget, as Cassandra's
	// default is a tenth of the heap.
	MaxRequestDataInFlight ByteSize `yaml:"max_request_data_in_flight"`
	// PreparedStatementsCacheSize bounds the prepared statements by the
	// memory they hold (Cassandra's prepared_statements_cache_size). 0:
	// 1/256 of the memory budget, at least 1MiB.
	PreparedStatementsCacheSize ByteSize `yaml:"prepared_statements_cache_size"`
	// SlowQueryLogTimeout: a request that takes longer is logged at WARN
	// with its statement, consistency level, keyspace and client
	// (Cassandra's slow_query_log_timeout, also read flat). 0: none.
	SlowQueryLogTimeout Duration `yaml:"slow_query_log_timeout"`
}

// AuthConfig configures authentication and authorization (Cassandra's
// authenticator, authorizer, role_manager; flat names in a pasted
// cassandra.yaml are read as these).
type AuthConfig struct {
	// Authenticator is AllowAllAuthenticator (no login, the default) or
	// PasswordAuthenticator: clients log in (SASL PLAIN) as a role of
	// system_auth.roles that may log in, checked against its bcrypt hash.
	Authenticator string `yaml:"authenticator"`
	// Authorizer is AllowAllAuthorizer (every logged-in role may do
	// everything, the default) or CassandraAuthorizer: statements need the
	// permissions GRANT gives (it requires PasswordAuthenticator).
	Authorizer string `yaml:"authorizer"`
	// RoleManager is CassandraRoleManager, the only one: roles in
	// system_auth, managed with CREATE/ALTER/DROP ROLE and GRANT.
	RoleManager string `yaml:"role_manager"`
	// RolesValidity is how long roles and permissions read from
	// system_auth serve logins and checks on a node (Cassandra's
	// roles_validity and permissions_validity): a change made on another
	// node applies here within it.
	RolesValidity Duration `yaml:"roles_validity"`
	// RolesUpdateInterval, when shorter than RolesValidity, has a node
	// reload roles and permissions in the background once they are that
	// old, serving what it has meanwhile (Cassandra's
	// roles_update_interval); 0: RolesValidity, no background reload.
	RolesUpdateInterval Duration `yaml:"roles_update_interval"`
	// SuperuserPasswordFile holds the password of the superuser a new
	// cluster gets ("cassandra"), so that a node never runs with the
	// default password; WCDB_SUPERUSER_PASSWORD does the same. Neither:
	// the password is "cassandra" and every node warns at start while it
	// is in use, as Cassandra's.
	SuperuserPasswordFile string `yaml:"superuser_password_file"`
	// Users, if set, are the superusers (name: password) a new cluster
	// gets instead of "cassandra"; later, roles are managed in CQL only.
	Users map[string]string `yaml:"users"`
}

// DefaultConfig returns the defaults: a single node with its data in
// ./wcdb-data, CQL on 127.0.0.1:9042, periodic commit log sync every 10 s.
func DefaultConfig() Config {
	return Config{
		ClusterName:   "wcdb",
		DataDir:       "./wcdb-data",
		ListenAddress: "127.0.0.1",
		CQLPort:       9042,
		DataCenter:    "datacenter1",
		Rack:          "rack1",

		NumTokens:                16,
		GossipPort:               7946,
		InternodePort:            7000,
		GossipProfile:            "lan",
		RingDelay:                Duration(30 * time.Second),
		HintedHandoff:            true,
		MaxHintWindow:            Duration(3 * time.Hour),
		AutoBootstrap:            true,
		ServerEncryption:         EncryptionOptions{InternodeEncryption: "none"},
		StreamThroughputOutbound: 24 << 20,
		WriteRequestTimeout:      Duration(2 * time.Second),
		CASContentionTimeout:     Duration(time.Second),
		ReadRequestTimeout:       Duration(5 * time.Second),
		RangeRequestTimeout:      Duration(10 * time.Second),

		BatchSizeWarnThreshold:                   5 << 10,
		BatchSizeFailThreshold:                   50 << 10,
		TombstoneWarnThreshold:                   1000,
		TombstoneFailureThreshold:                100000,
		CollectionSizeWarnThreshold:              1 << 20,
		CompactionLargePartitionWarningThreshold: 100 << 20,

		CommitLog: CommitLogConfig{
			Sync:          "periodic",
			SyncPeriod:    Duration(10 * time.Second),
			GroupWindow:   Duration(2 * time.Millisecond),
			SegmentSize:   32 << 20,
			FailurePolicy: "stop",
		},
		Storage: StorageConfig{
			MemtableFlushSize:    64 << 20,
			BlockCacheSize:       256 << 20,
			CompactionThroughput: 64 << 20,
			CompactionCPUShare:   compaction.DefaultCPUShare,
			DiskFailurePolicy:    "stop",
		},
		Native: NativeConfig{
			MaxFrameSize:             16 << 20,
			MaxConnections:           1024,
			RequestTimeout:           Duration(10 * time.Second),
			MaxRequestsPerConnection: 128,

			MaxConcurrentConnectionsPerIP: -1,
			IdleUnauthenticatedTimeout:    Duration(10 * time.Second),
			SlowQueryLogTimeout:           Duration(500 * time.Millisecond),
		},
		Auth: AuthConfig{Authenticator: "AllowAllAuthenticator", Authorizer: "AllowAllAuthorizer",
			RoleManager: "CassandraRoleManager", RolesValidity: Duration(2 * time.Second)},
		Metrics: MetricsConfig{Port: 9180},
		Logging: LoggingConfig{Format: "text", Level: "info"},
		Repair: RepairConfig{
			Scheduler:     true,
			Throughput:    16 << 20,
			MinInterval:   Duration(time.Hour),
			MaxInterval:   Duration(7 * 24 * time.Hour),
			CheckInterval: Duration(time.Minute),
			RetryAfter:    Duration(10 * time.Minute),
			InitialDelay:  Duration(5 * time.Minute),
		},
	}
}

// LoadConfig reads a YAML file over the defaults. Unknown settings are
// errors (a misspelt setting would otherwise be silently ignored), and
// every error names the setting.
func LoadConfig(path string) (Config, error) {
	cfg := DefaultConfig()
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return cfg, fmt.Errorf("config %s: %s", path, yaml.FormatError(err, false, true))
	}
	if err := applyAliases(doc); err != nil {
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}
	if err := setFields(reflect.ValueOf(&cfg).Elem(), doc, ""); err != nil {
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// setFields sets the fields of the struct v from the YAML mapping m, by
// their yaml tags; prefix is the dotted path of v, for messages.
func setFields(v reflect.Value, m map[string]any, prefix string) error {
	fields := map[string]reflect.Value{}
	for i := range v.NumField() {
		fields[v.Type().Field(i).Tag.Get("yaml")] = v.Field(i)
	}
	for key, val := range m {
		name := prefix + key
		f, ok := fields[key]
		if !ok {
			return fmt.Errorf("unknown setting %s", name)
		}
		if mm, ok := val.(map[string]any); ok && f.Kind() == reflect.Struct {
			if err := setFields(f, mm, name+"."); err != nil {
				return err
			}
			continue
		}
		if err := setField(f, val); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

func setField(f reflect.Value, val any) error {
	if val == nil {
		return nil // "setting:" with nothing after it keeps the default
	}
	text := fmt.Sprint(val)
	switch p := f.Addr().Interface().(type) {
	case *ByteSize:
		return p.UnmarshalText([]byte(text))
	case *Duration:
		return p.UnmarshalText([]byte(text))
	case *Rate:
		return p.UnmarshalText([]byte(text))
	case *string:
		if _, ok := val.(string); !ok {
			return fmt.Errorf("want a string, got %v", val)
		}
		*p = text
		return nil
	case *int:
		n, err := strconv.Atoi(text)
		if err != nil {
			return fmt.Errorf("want an integer, got %v", val)
		}
		*p = n
		return nil
	case *float64:
		x, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return fmt.Errorf("want a number, got %v", val)
		}
		*p = x
		return nil
	case *bool:
		b, ok := val.(bool)
		if !ok {
			return fmt.Errorf("want true or false, got %v", val)
		}
		*p = b
		return nil
	case *[]string:
		// A list, or one string of comma-separated items.
		switch v := val.(type) {
		case []any:
			*p = nil
			for _, e := range v {
				s, ok := e.(string)
				if !ok {
					return fmt.Errorf("want strings, got %v", e)
				}
				*p = append(*p, s)
			}
		case string:
			*p = SplitList(v)
		default:
			return fmt.Errorf("want a list of strings, got %v", val)
		}
		return nil
	case *map[string]string:
		mm, ok := val.(map[string]any)
		if !ok {
			return fmt.Errorf("want a mapping, got %v", val)
		}
		*p = make(map[string]string, len(mm))
		for k, v := range mm {
			(*p)[k] = fmt.Sprint(v)
		}
		return nil
	}
	if f.Kind() == reflect.Struct {
		return fmt.Errorf("want a mapping, got %v", val)
	}
	return fmt.Errorf("unsupported setting type %s", f.Type())
}

// Validate reports the first setting that cannot work, by its YAML name.
func (c *Config) Validate() error {
	bad := func(setting string, format string, args ...any) error {
		return fmt.Errorf("config: %s: %s", setting, fmt.Sprintf(format, args...))
	}
	switch {
	case c.ClusterName == "":
		return bad("cluster_name", "must not be empty")
	case c.DataDir == "":
		return bad("data_dir", "must not be empty")
	case net.ParseIP(c.ListenAddress) == nil:
		return bad("listen_address", "%q is not an IP address", c.ListenAddress)
	case c.BroadcastAddress != "" && (net.ParseIP(c.BroadcastAddress) == nil || net.ParseIP(c.BroadcastAddress).IsUnspecified()):
		return bad("broadcast_address", "%q is not the IP address of an interface", c.BroadcastAddress)
	case c.BroadcastAddress == "" && net.ParseIP(c.ListenAddress).IsUnspecified():
		return bad("broadcast_address", "required when listen_address is %s: the address other nodes and drivers reach this one at", c.ListenAddress)
	case c.CQLPort < 0 || c.CQLPort > 65535:
		return bad("cql_port", "%d is not a port number (0-65535)", c.CQLPort)
	case c.DataCenter == "":
		return bad("datacenter", "must not be empty")
	case c.Rack == "":
		return bad("rack", "must not be empty")
	case c.NumTokens < 1 || c.NumTokens > 256:
		return bad("num_tokens", "%d is outside 1-256", c.NumTokens)
	case c.GossipPort < 0 || c.GossipPort > 65535:
		return bad("gossip_port", "%d is not a port number (0-65535)", c.GossipPort)
	case c.InternodePort < 0 || c.InternodePort > 65535:
		return bad("internode_port", "%d is not a port number (0-65535)", c.InternodePort)
	case c.GossipPort != 0 && c.GossipPort == c.InternodePort:
		return bad("internode_port", "%d is also gossip_port", c.InternodePort)
	case c.GossipProfile != "lan" && c.GossipProfile != "local":
		return bad("gossip_profile", "%q is not lan or local", c.GossipProfile)
	case c.RingDelay < 0:
		return bad("ring_delay", "must not be negative")
	case c.MaxHintWindow <= 0:
		return bad("max_hint_window", "must be positive")
	case c.ReplaceAddress != "" && net.ParseIP(c.ReplaceAddress) == nil:
		return bad("replace_address", "%q is not an IP address", c.ReplaceAddress)
	case c.StreamThroughputOutbound < 0:
		return bad("stream_throughput_outbound", "must not be negative")
	case c.WriteRequestTimeout <= 0:
		return bad("write_request_timeout", "must be positive")
	case c.ReadRequestTimeout <= 0:
		return bad("read_request_timeout", "must be positive")
	case c.RangeRequestTimeout <= 0:
		return bad("range_request_timeout", "must be positive")
	case c.CASContentionTimeout <= 0:
		return bad("cas_contention_timeout", "must be positive")
	}
	if err := c.validateGuardrails(); err != nil {
		return err
	}
	for _, s := range c.Seeds {
		if _, err := SeedAddress(s, c.GossipPort); err != nil {
			return bad("seeds", "%v", err)
		}
	}
	if err := c.validateSecurity(); err != nil {
		return err
	}
	if err := c.validateFailurePolicies(); err != nil {
		return err
	}
	switch c.CommitLog.Sync {
	case "periodic", "batch", "group":
	default:
		return bad("commitlog.sync", "%q is not periodic, batch or group", c.CommitLog.Sync)
	}
	switch {
	case c.CommitLog.SyncPeriod <= 0:
		return bad("commitlog.sync_period", "must be positive")
	case c.CommitLog.GroupWindow <= 0:
		return bad("commitlog.group_window", "must be positive")
	case c.CommitLog.SegmentSize < 1<<20:
		return bad("commitlog.segment_size", "%s is below 1MiB", c.CommitLog.SegmentSize)
	case c.Storage.MemtableFlushSize < 1<<20:
		return bad("storage.memtable_flush_size", "%s is below 1MiB", c.Storage.MemtableFlushSize)
	case c.Storage.BlockCacheSize < 0:
		return bad("storage.block_cache_size", "must not be negative")
	case c.Storage.CompactionThroughput < 0:
		return bad("storage.compaction_throughput", "must not be negative")
	case !(c.Storage.CompactionCPUShare >= 0 && c.Storage.CompactionCPUShare <= 1):
		return bad("storage.compaction_cpu_share", "%v is outside 0-1", c.Storage.CompactionCPUShare)
	case c.Native.MaxFrameSize < 64<<10 || c.Native.MaxFrameSize > 256<<20:
		return bad("native_transport.max_frame_size", "%s is outside 64KiB-256MiB", c.Native.MaxFrameSize)
	case c.Native.MaxConnections <= 0:
		return bad("native_transport.max_connections", "must be positive")
	case c.Native.RequestTimeout <= 0:
		return bad("native_transport.request_timeout", "must be positive")
	case c.Native.MaxRequestsPerConnection <= 0:
		return bad("native_transport.max_requests_per_connection", "must be positive")
	case c.Native.MaxConcurrentConnectionsPerIP < -1:
		return bad("native_transport.max_concurrent_connections_per_ip", "%d is below -1 (no limit)", c.Native.MaxConcurrentConnectionsPerIP)
	case c.Native.IdleUnauthenticatedTimeout < 0:
		return bad("native_transport.idle_unauthenticated_timeout", "must not be negative")
	case c.Native.MaxRequestDataInFlight != 0 && c.Native.MaxRequestDataInFlight < c.Native.MaxFrameSize:
		return bad("native_transport.max_request_data_in_flight", "%s is below native_transport.max_frame_size (%s): one frame would take all of it",
			c.Native.MaxRequestDataInFlight, c.Native.MaxFrameSize)
	case c.Native.PreparedStatementsCacheSize != 0 && c.Native.PreparedStatementsCacheSize < 1<<20:
		return bad("native_transport.prepared_statements_cache_size", "%s is below 1MiB (0: 1/256 of the memory budget)", c.Native.PreparedStatementsCacheSize)
	case c.Native.SlowQueryLogTimeout < 0:
		return bad("native_transport.slow_query_log_timeout", "must not be negative (0: no slow query log)")
	case c.Metrics.Port < 0 || c.Metrics.Port > 65535:
		return bad("metrics.port", "%d is not a port number (0-65535; 0 turns the listener off)", c.Metrics.Port)
	case c.Metrics.Address != "" && net.ParseIP(c.Metrics.Address) == nil:
		return bad("metrics.address", "%q is not an IP address", c.Metrics.Address)
	case c.Repair.Throughput < 0:
		return bad("repair.throughput", "must not be negative")
	case c.Repair.MinInterval <= 0:
		return bad("repair.min_interval", "must be positive")
	case c.Repair.MaxInterval < c.Repair.MinInterval:
		return bad("repair.max_interval", "%v is below repair.min_interval (%v)", time.Duration(c.Repair.MaxInterval), time.Duration(c.Repair.MinInterval))
	case c.Repair.CheckInterval <= 0:
		return bad("repair.check_interval", "must be positive")
	case c.Repair.RetryAfter <= 0:
		return bad("repair.retry_after", "must be positive")
	case c.Repair.InitialDelay < 0:
		return bad("repair.initial_delay", "must not be negative")
	}
	if err := c.Logging.validate(); err != nil {
		return err
	}
	return c.validateAuth()
}

// ByteSize is a size in bytes, written in YAML as a number of bytes or
// with a unit: 64MiB, 512KiB, 1GiB (KB, MB and GB are read as powers of
// 1024 too, as Cassandra's configuration does).
type ByteSize int64

// UnmarshalText implements encoding.TextUnmarshaler.
func (b *ByteSize) UnmarshalText(text []byte) error {
	v, err := ParseByteSize(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// String prints the size with the largest unit that divides it.
func (b ByteSize) String() string {
	for _, u := range []struct {
		name string
		n    int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if b != 0 && int64(b)%u.n == 0 {
			return strconv.FormatInt(int64(b)/u.n, 10) + u.name
		}
	}
	return strconv.FormatInt(int64(b), 10) + "B"
}

// ParseByteSize reads a ByteSize.
func ParseByteSize(s string) (ByteSize, error) {
	s = strings.TrimSpace(s)
	num := strings.TrimRightFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	unit := strings.TrimSpace(strings.TrimPrefix(s, num))
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || num == "" || strings.HasPrefix(num, "+") {
		return 0, fmt.Errorf("%q is not a size (a number of bytes, or with B, KiB, MiB, GiB)", s)
	}
	mult := int64(1)
	switch strings.ToLower(unit) {
	case "", "b":
	case "k", "kb", "kib":
		mult = 1 << 10
	case "m", "mb", "mib":
		mult = 1 << 20
	case "g", "gb", "gib":
		mult = 1 << 30
	default:
		return 0, fmt.Errorf("%q: unknown size unit %q (want B, KiB, MiB or GiB)", s, unit)
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return ByteSize(n * mult), nil
}

// Rate is a number of bytes per second, written as a ByteSize with an
// optional "/s": 24MiB/s, 24MiB, 0.
type Rate int64

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Rate) UnmarshalText(text []byte) error {
	v, err := ParseByteSize(strings.TrimSuffix(strings.TrimSpace(string(text)), "/s"))
	if err != nil {
		return err
	}
	*r = Rate(v)
	return nil
}

// String prints the rate as a ByteSize per second.
func (r Rate) String() string { return ByteSize(r).String() + "/s" }

// Duration is a time.Duration written as Go writes durations: 10s, 2ms,
// 1m30s.
type Duration time.Duration

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := time.ParseDuration(strings.TrimSpace(string(text)))
	if err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "time: "))
	}
	*d = Duration(v)
	return nil
}

// String prints the duration as Go does.
func (d Duration) String() string { return time.Duration(d).String() }

// SplitList splits a comma-separated list, dropping blanks.
func SplitList(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// SeedAddress returns a seed as host:port, the port defaulting to the
// gossip port (or 7946 when that is 0: a seed's port cannot be "any").
func SeedAddress(seed string, gossipPort int) (string, error) {
	if gossipPort == 0 {
		gossipPort = 7946
	}
	host, port, err := net.SplitHostPort(seed)
	if err != nil {
		host, port = seed, strconv.Itoa(gossipPort)
	}
	if net.ParseIP(host) == nil {
		ips, lerr := net.LookupIP(host)
		if lerr != nil || len(ips) == 0 {
			return "", fmt.Errorf("%q is not an IP address or a host name that resolves", seed)
		}
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return "", fmt.Errorf("%q: port must be 1-65535", seed)
	}
	return net.JoinHostPort(host, port), nil
}

// Advertised is the address other nodes and drivers reach the node at.
func (c *Config) Advertised() string {
	if c.BroadcastAddress != "" {
		return c.BroadcastAddress
	}
	return c.ListenAddress
}
