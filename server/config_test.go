package server

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
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
		{"native_transport:\n  max_connections: 0", "native_transport.max_connections"},
		{"auth:\n  authenticator: PasswordAuthenticator", "auth.users"},
		{"no_such_setting: 1", "no_such_setting"},
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
