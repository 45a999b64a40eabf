package server

import (
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"wcdb/cql"
)

// TestExampleConfigIsDefaults keeps deploy/wcdb.example.yaml, which
// documents every setting, equal to DefaultConfig.
func TestExampleConfigIsDefaults(t *testing.T) {
	got, err := LoadConfig(filepath.Join("..", "deploy", "wcdb.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := DefaultConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("example file: got %+v, want the defaults %+v", got, want)
	}
	data, err := os.ReadFile(filepath.Join("..", "deploy", "wcdb.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Every setting appears in the example (users only as a comment).
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			tag := f.Tag.Get("yaml")
			if !strings.Contains(string(data), tag+":") {
				t.Errorf("setting %s is not in the example file", tag)
			}
			if f.Type.Kind() == reflect.Struct {
				walk(f.Type)
			}
		}
	}
	walk(reflect.TypeOf(Config{}))
}

func TestConfigErrorsNameTheSetting(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"cql_port: 70000", "cql_port"},
		{"cql_port: -1", "cql_port"},
		{"listen_address: nowhere", "listen_address"},
		{"commitlog:\n  sync: sometimes", "commitlog.sync"},
		{"commitlog:\n  segment_size: 12XB", "segment_size"},
		{"commitlog:\n  sync_period: soon", "sync_period"},
		{"storage:\n  memtable_flush_size: 1KiB", "storage.memtable_flush_size"},
		{"storage:\n  compaction_cpu_share: 1.5", "storage.compaction_cpu_share"},
		{"storage:\n  compaction_cpu_share: -0.1", "storage.compaction_cpu_share"},
		{"native_transport:\n  max_connections: 0", "native_transport.max_connections"},
		{"native_transport:\n  max_concurrent_connections_per_ip: -2", "native_transport.max_concurrent_connections_per_ip"},
		{"native_transport:\n  idle_unauthenticated_timeout: -1s", "native_transport.idle_unauthenticated_timeout"},
		{"native_transport:\n  max_request_data_in_flight: 1MiB", "native_transport.max_request_data_in_flight"},
		{"native_transport_max_request_data_in_flight: 1MiB", "native_transport.max_request_data_in_flight"},
		{"native_transport:\n  prepared_statements_cache_size: 512KiB", "native_transport.prepared_statements_cache_size"},
		{"auth:\n  authorizer: CassandraAuthorizer", "auth.authorizer"},
		{"authorizer: CassandraAuthorizer", "auth.authorizer"},
		{"authorizer: AllowAllAuthorizer\nauth:\n  authorizer: AllowAllAuthorizer", "both set"},
		{"auth:\n  role_manager: LDAPRoleManager", "auth.role_manager"},
		{"no_such_setting: 1", "no_such_setting"},
		{"listen_address: 0.0.0.0", "broadcast_address"},
		{"broadcast_address: 0.0.0.0", "broadcast_address"},
		{"num_tokens: 0", "num_tokens"},
		{"gossip_port: 7000", "internode_port"},
		{"gossip_profile: wan", "gossip_profile"},
		{"seeds: [\"10.0.0.1:99999\"]", "seeds"},
		{"seeds: 5", "seeds"},
		{"hinted_handoff_enabled: maybe", "hinted_handoff_enabled"},
		{"max_hint_window: 0s", "max_hint_window"},
		{"write_request_timeout: 0s", "write_request_timeout"},
		{"batch_size_warn_threshold: 100KiB", "batch_size_warn_threshold"},
		{"batch_size_fail_threshold: -1", "batch_size_fail_threshold"},
		{"tombstone_failure_threshold: 10", "tombstone_warn_threshold"},
		{"tombstone_warn_threshold: lots", "tombstone_warn_threshold"},
		{"collection_size_fail_threshold: 512KiB", "collection_size_warn_threshold"},
		{"compaction_large_partition_warning_threshold: -1", "compaction_large_partition_warning_threshold"},
		{"logging:\n  format: xml", "logging.format"},
		{"log_level: loud", "logging.level"},
		{"slow_query_log_timeout: -1s", "native_transport.slow_query_log_timeout"},
	} {
		path := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(path, []byte(tc.yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(path)
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got error %v, want one naming %s", tc.yaml, err, tc.want)
		}
	}
}

// TestConfigSeeds checks both ways of writing seeds.
func TestConfigSeeds(t *testing.T) {
	for _, doc := range []string{"seeds: [10.0.0.1, \"10.0.0.2:7000\"]", "seeds: 10.0.0.1, 10.0.0.2:7000"} {
		path := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(path, []byte(doc), 0o644)
		cfg, err := LoadConfig(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); err != nil || len(cfg.Seeds) != 2 || cfg.Seeds[1] != "10.0.0.2:7000" {
			t.Errorf("%q: seeds %q, %v", doc, cfg.Seeds, err)
		}
	}
}

func TestConfigValues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte("commitlog:\n  sync: group\n  group_window: 5ms\n  segment_size: 1048576\nstorage:\n  block_cache_size: 1GiB\n"), 0o644)
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.CommitLog.Sync != "group" || time.Duration(cfg.CommitLog.GroupWindow) != 5*time.Millisecond ||
		cfg.CommitLog.SegmentSize != 1<<20 || cfg.Storage.BlockCacheSize != 1<<30 || cfg.CQLPort != 9042 {
		t.Errorf("got %+v", cfg)
	}
	if s := ByteSize(64 << 20).String(); s != "64MiB" {
		t.Errorf("ByteSize(64MiB).String() = %q", s)
	}
}

// TestLogging: log_format json makes a JSON logger, at the level set,
// which the returned LevelVar changes.
func TestLogging(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte("log_format: json\nlog_level: warn\n"), 0o644)
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	log, level, err := cfg.NewLogger(&b)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hidden")
	log.Warn("shown", "k", 1)
	level.Set(slog.LevelDebug)
	log.Debug("now shown")
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `{"time":`) || !strings.Contains(lines[0], `"msg":"shown","k":1`) ||
		!strings.Contains(lines[1], `"msg":"now shown"`) {
		t.Errorf("got %q", lines)
	}
}

// TestStorageFitsBudget: a memory budget below the block cache and
// memtable settings shrinks them to a quarter and a sixteenth of it; the
// defaults' budget leaves them as they are.
func TestStorageFitsBudget(t *testing.T) {
	cfg := DefaultConfig()
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, nil))
	o := storageOptions(&cfg, log, 512<<20)
	if o.BlockCacheSize != 128<<20 || o.MemtableFlushSize != 32<<20 {
		t.Errorf("512MiB budget: block cache %d, memtable %d; want 128MiB and 32MiB", o.BlockCacheSize, o.MemtableFlushSize)
	}
	if !strings.Contains(logs.String(), "storage.block_cache_size is over a quarter") {
		t.Errorf("the shrinking is not logged:\n%s", logs.String())
	}
	o = storageOptions(&cfg, log, defaultMemoryLimit(&cfg, 0))
	if o.BlockCacheSize != int64(cfg.Storage.BlockCacheSize) || o.MemtableFlushSize != int64(cfg.Storage.MemtableFlushSize) {
		t.Errorf("the default budget changed the settings: %d, %d", o.BlockCacheSize, o.MemtableFlushSize)
	}
}

// TestDefaultMemoryLimit checks Cassandra's heap sizing and the floor.
func TestDefaultMemoryLimit(t *testing.T) {
	cfg := DefaultConfig()
	const gib = 1 << 30
	for _, c := range []struct{ ram, want int64 }{
		{24 * gib, 6 * gib},                        // a quarter
		{64 * gib, 16 * gib / 2},                   // a quarter, capped at 8 GiB
		{2 * gib, 1 * gib},                         // half, capped at 1 GiB
		{0, 4 * int64(cfg.Storage.BlockCacheSize)}, // the floor: a quarter for the block cache
	} {
		want := max(c.want, 4*int64(cfg.Storage.BlockCacheSize))
		if got := defaultMemoryLimit(&cfg, c.ram); got != want {
			t.Errorf("RAM %d: limit %d, want %d", c.ram, got, want)
		}
	}
	if totalMemory() <= 0 {
		t.Error("totalMemory: unknown on this machine")
	}
}

// TestNativeLimits checks what the CQL server gets from native_transport:
// the settings as written, and the budget's shares for those left 0.
func TestNativeLimits(t *testing.T) {
	const gib = 1 << 30
	def := DefaultConfig()
	c := cql.DefaultConfig()
	applyNative(&def.Native, &c, 2*gib)
	if c.PreparedCacheBytes != 8<<20 || c.MaxRequestDataInFlight != 2*gib/10 {
		t.Errorf("budget 2GiB: prepared cache %d, in flight %d; want 8MiB and a tenth (%d)", c.PreparedCacheBytes, c.MaxRequestDataInFlight, 2*gib/10)
	}
	if c.MaxConnectionsPerIP != -1 || c.IdleUnauthenticatedTimeout != 10*time.Second || c.MaxConnections != 1024 {
		t.Errorf("defaults: %+v", c)
	}
	applyNative(&def.Native, &c, 64<<20)
	if c.PreparedCacheBytes != 1<<20 || c.MaxRequestDataInFlight != int64(def.Native.MaxFrameSize) {
		t.Errorf("budget 64MiB: prepared cache %d, in flight %d; want the floors 1MiB and a frame", c.PreparedCacheBytes, c.MaxRequestDataInFlight)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("the CQL config: %v", err)
	}

	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte("native_transport_max_concurrent_connections_per_ip: 10\nnative_transport:\n"+
		"  idle_unauthenticated_timeout: 3s\n  max_request_data_in_flight: 64MiB\n  prepared_statements_cache_size: 2MiB\n"), 0o644)
	cfg, err := LoadConfig(path)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		t.Fatal(err)
	}
	applyNative(&cfg.Native, &c, 2*gib)
	if c.MaxConnectionsPerIP != 10 || c.IdleUnauthenticatedTimeout != 3*time.Second ||
		c.MaxRequestDataInFlight != 64<<20 || c.PreparedCacheBytes != 2<<20 {
		t.Errorf("as set: %+v", c)
	}
}
