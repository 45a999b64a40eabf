package cluster

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"wcdb/ring"
)

func TestConfigValidate(t *testing.T) {
	good := DefaultConfig()
	good.NodeID = NewHostID()
	if err := good.Validate(); err != nil {
		t.Fatalf("default config with a host id: %v", err)
	}
	local := DefaultLocalConfig()
	local.NodeID = good.NodeID
	if err := local.Validate(); err != nil {
		t.Fatalf("local config with a host id: %v", err)
	}
	for _, tc := range []struct {
		want string
		f    func(c *Config)
	}{
		{"NodeID is required", func(c *Config) { c.NodeID = "" }},
		{"not a UUID", func(c *Config) { c.NodeID = "node1" }},
		{"ClusterName", func(c *Config) { c.ClusterName = "" }},
		{"ClusterName", func(c *Config) { c.ClusterName = strings.Repeat("x", 65) }},
		{"DataCenter", func(c *Config) { c.DataCenter = "" }},
		{"Rack", func(c *Config) { c.Rack = "" }},
		{"BindAddr", func(c *Config) { c.BindAddr = "localhost" }},
		{"AdvertiseAddr", func(c *Config) { c.AdvertiseAddr = "nowhere" }},
		{"GossipPort", func(c *Config) { c.GossipPort = 70000 }},
		{"NumTokens", func(c *Config) { c.NumTokens = 0 }},
		{"NumTokens", func(c *Config) { c.NumTokens = ring.MaxNumTokens + 1 }},
		{"appears twice", func(c *Config) { c.Tokens = []ring.Token{5, 1, 5} }},
		{"reserved", func(c *Config) { c.Tokens = []ring.Token{ring.MinToken} }},
		{"AllocationRF", func(c *Config) { c.AllocationRF = 0 }},
		{"ProbeTimeout", func(c *Config) { c.ProbeTimeout = 2 * c.ProbeInterval }},
		{"SuspicionMult", func(c *Config) { c.SuspicionMult = 0 }},
		{"GossipInterval", func(c *Config) { c.GossipInterval = 0 }},
		{"RingDelay", func(c *Config) { c.RingDelay = -time.Second }},
		{"EventBuffer", func(c *Config) { c.EventBuffer = 0 }},
		{"CQLAddress", func(c *Config) { c.CQLAddress = "9042" }},
		{"InternodeAddress", func(c *Config) { c.InternodeAddress = "h:0" }},
		{"seed", func(c *Config) { c.Seeds = []string{":7946"} }},
		{"seed", func(c *Config) { c.Seeds = []string{"10.0.0.1"} }},
	} {
		c := good
		tc.f(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want an error about %s", err, tc.want)
		}
	}
	// NumTokens does not matter when tokens are given.
	c := good
	c.NumTokens = 0
	c.Tokens = []ring.Token{3, 1, 2}
	if err := c.Validate(); err != nil {
		t.Errorf("got %v for a config with tokens, want nil", err)
	}
}

func TestNewHostID(t *testing.T) {
	a, b := NewHostID(), NewHostID()
	if a == b || !validHostID(a) || a[14] != '4' {
		t.Fatalf("got %q and %q, want two distinct version 4 UUIDs", a, b)
	}
	for _, bad := range []ring.NodeID{"", "x", "0123456789abcdef0123456789abcdef0123", "01234567-89ab-cdef-0123-456789abcdeg"} {
		if validHostID(bad) {
			t.Errorf("got %q valid, want invalid", bad)
		}
	}
}

func TestStateFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadState(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v from an empty directory, want fs.ErrNotExist", err)
	}
	want := State{HostID: NewHostID(), Tokens: []ring.Token{-5, 7, 1 << 62}}
	if err := SaveState(dir, State{HostID: want.HostID, Tokens: []ring.Token{7, 1 << 62, -5}}); err != nil {
		t.Fatal(err)
	}
	got, err := LoadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.HostID != want.HostID || !slices.Equal(got.Tokens, want.Tokens) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	// Saving again replaces the state and leaves no temporary file.
	want.Tokens = []ring.Token{1}
	if err := SaveState(dir, want); err != nil {
		t.Fatal(err)
	}
	if got, _ := LoadState(dir); !slices.Equal(got.Tokens, want.Tokens) {
		t.Fatalf("got tokens %v, want %v", got.Tokens, want.Tokens)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != StateFile {
		t.Fatalf("got directory entries %v, want only %s", ents, StateFile)
	}
	if err := SaveState(dir, State{HostID: "bad"}); err == nil {
		t.Fatal("got nil saving a bad host id, want an error")
	}
	for name, content := range map[string]string{
		"truncated": `{"version": 1, "host_id": "`,
		"version":   `{"version": 2, "host_id": "` + string(want.HostID) + `"}`,
		"host id":   `{"version": 1, "host_id": "nope"}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, StateFile), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadState(dir); err == nil {
			t.Errorf("%s: got nil, want an error", name)
		}
	}
}
