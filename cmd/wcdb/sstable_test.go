package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wcdb/internal/localnode"
	"wcdb/internal/sstabletool"
	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/query"
	"wcdb/replication"
	"wcdb/storage"
)

type sstableTopology struct{}

func (sstableTopology) ClusterName() string { return "test" }
func (sstableTopology) Local() query.Node {
	return query.Node{Address: []byte{127, 0, 0, 1}, RPCAddress: []byte{127, 0, 0, 1}, RPCPort: 9042,
		DataCenter: "datacenter1", Rack: "rack1", Tokens: []string{"0"}}
}
func (sstableTopology) Peers() []query.Node { return nil }

// sstableNode writes a table through a node's engine and query layer
// into dir, closes it, and returns the table's SSTable.
func sstableNode(t *testing.T, dir string) string {
	t.Helper()
	opts := storage.DefaultOptions(dir)
	opts.DisableAutoCompaction = true
	e, err := storage.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	x, err := query.New(ctx, query.Config{
		Coordinator: replication.NewLocal(localnode.Replica{E: e}, "datacenter1"),
		Backend:     localnode.Backend{E: e},
		Topology:    sstableTopology{},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE ks.t (p text, c int, v text, tags set<text>, PRIMARY KEY (p, c)) WITH id = 11111111-2222-4333-8444-555555555555",
		"INSERT INTO ks.t (p, c, v, tags) VALUES ('alice', 1, 'hello', {'x'})",
		"INSERT INTO ks.t (p, c, v) VALUES ('bob', 1, 'bye') USING TTL 600",
		"DELETE FROM ks.t WHERE p = 'carol'",
	} {
		if _, err := x.Query(ctx, &query.Session{}, q, &query.Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp}); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := e.FlushAll(); err != nil {
		t.Fatal(err)
	}
	files, err := sstabletool.FindSSTables(vfs.Default, filepath.Join(dir, "data", "11111111222243338444555555555555"))
	if err != nil || len(files) != 1 {
		t.Fatalf("table files %v, %v; want one", files, err)
	}
	return files[0]
}

func TestSSTableCommands(t *testing.T) {
	dir := t.TempDir()
	file := sstableNode(t, dir)
	sh := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(append([]string{"sstable"}, args...), &out, &errOut)
		return code, out.String(), errOut.String()
	}

	code, out, errOut := sh("dump", file, "-k", "alice")
	if code != 0 || !json.Valid([]byte(out)) || !strings.Contains(out, `"hello"`) || strings.Contains(out, "bob") || errOut != "" {
		t.Errorf("dump -k alice: %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	code, out, _ = sh("dump", "-d", file)
	if code != 0 || !strings.Contains(out, "[bob]") || !strings.Contains(out, "ttl=600") || !strings.Contains(out, "[carol]@") {
		t.Errorf("dump -d: %d:\n%s", code, out)
	}

	// A copy outside the data directory has no schema unless told where.
	other := filepath.Join(t.TempDir(), "copy.sst")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = sh("dump", "-e", other)
	if code != 0 || !strings.Contains(out, "0x616c696365") || !strings.Contains(errOut, "no schema") {
		t.Errorf("dump -e of a copy: %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	code, out, errOut = sh("dump", "-e", "--data-dir", dir, "--table", "ks.t", other)
	if code != 0 || !strings.Contains(out, `["alice"]`) || errOut != "" {
		t.Errorf("dump -e --data-dir --table: %d, stderr %q, stdout:\n%s", code, errOut, out)
	}

	code, out, _ = sh("metadata", "--json", file)
	var m sstabletool.Metadata
	if code != 0 || json.Unmarshal([]byte(out), &m) != nil || m.Partitions != 3 || m.Table != "ks.t" {
		t.Errorf("metadata --json: %d, %+v:\n%s", code, m, out)
	}
	code, out, _ = sh("metadata", file)
	if code != 0 || !strings.Contains(out, "Partitions:") || !strings.Contains(out, "Estimated tombstone drop times:") {
		t.Errorf("metadata: %d:\n%s", code, out)
	}

	// The whole data directory verifies, system tables and all.
	code, out, _ = sh("verify", dir)
	if code != 0 || !strings.Contains(out, ", 0 with problems") || strings.Contains(out, "CORRUPT") {
		t.Errorf("verify %s: %d:\n%s", dir, code, out)
	}
	b[len(b)/3] ^= 0x40
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = sh("verify", file)
	if code != 1 || !strings.Contains(out, "CORRUPT") || !strings.Contains(out, "problem:") {
		t.Errorf("verify of a damaged file: %d, want 1:\n%s", code, out)
	}
	code, out, _ = sh("verify", dir)
	if code != 1 || !strings.Contains(out, ", 1 with problems") {
		t.Errorf("verify %s with a damaged file: %d, want 1:\n%s", dir, code, out)
	}

	if code, _, _ := sh("dump"); code != 2 {
		t.Errorf("dump without FILE: %d, want 2", code)
	}
	if code, _, _ := sh("frobnicate"); code != 2 {
		t.Errorf("unknown subcommand: %d, want 2", code)
	}
}
