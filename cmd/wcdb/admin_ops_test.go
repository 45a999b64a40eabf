package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"wcdb/internal/testutil"
	"wcdb/server"
	"wcdb/server/nodeops"
	"wcdb/storage/snapshot"
)

// TestAdminNodeOps runs the node-local admin commands against a real
// node: flush, snapshot, listsnapshots (true size growing once compaction
// replaced the files), compact, clearsnapshot, the compaction throughput,
// the log level and the version, the statistics (tablestats, tpstats, ...),
// and their errors.
func TestAdminNodeOps(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	cfg := server.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.ListenAddress = "127.0.0.1"
	cfg.CQLPort, cfg.GossipPort, cfg.InternodePort, cfg.Metrics.Port = 0, 0, 0, 0
	cfg.CommitLog.Sync = "batch"
	var logs testutil.SyncBuffer
	level := new(slog.LevelVar)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := server.Start(ctx, cfg, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: level})))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	n.SetLogLevel(level)
	host := n.InternodeAddr()

	cl := gocql.NewCluster(n.Addr().String())
	cl.DisableInitialHostLookup = true
	cl.Timeout = 10 * time.Second
	cl.Logger = log.New(io.Discard, "", 0) // the drained node refuses it at the end
	s, err := cl.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if err := s.Query(q, args...).Exec(); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	exec("CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
	for k := range 100 {
		exec("INSERT INTO ks.t (k, v) VALUES (?, ?)", k, fmt.Sprint("v", k))
	}
	admin := func(want int, args ...string) string {
		t.Helper()
		code, out, errOut := runCmd(append([]string{"admin"}, append(args, "--host", host)...)...)
		if code != want {
			t.Fatalf("admin %v: exit %d, want %d; stdout %q stderr %q", args, code, want, out, errOut)
		}
		return out + errOut
	}
	if out := admin(0, "flush", "ks"); !strings.Contains(out, "flushed 1 tables") {
		t.Errorf("flush: %q", out)
	}
	for k := 100; k < 200; k++ {
		exec("INSERT INTO ks.t (k, v) VALUES (?, ?)", k, fmt.Sprint("v", k))
	}
	if out := admin(0, "snapshot", "-t", "before", "ks"); !strings.Contains(out, "Snapshot directory: before (1 tables, 2 files)") {
		t.Errorf("snapshot: %q", out)
	}
	if out := admin(1, "snapshot", "-t", "before", "ks"); !strings.Contains(out, "already exists") {
		t.Errorf("a second snapshot before: %q", out)
	}
	if out := admin(1, "snapshot", "nosuch"); !strings.Contains(out, `keyspace "nosuch" does not exist`) {
		t.Errorf("snapshot of a missing keyspace: %q", out)
	}
	list := func() []snapshot.Info {
		t.Helper()
		var infos []snapshot.Info
		if err := json.Unmarshal([]byte(admin(0, "listsnapshots", "--json")), &infos); err != nil {
			t.Fatal(err)
		}
		return infos
	}
	if infos := list(); len(infos) != 1 || infos[0].Table != "t" || infos[0].TrueSize != 0 || infos[0].Size == 0 {
		t.Errorf("listsnapshots: %+v; want ks.t sharing every byte", infos)
	}
	if out := admin(0, "compact", "ks", "t"); !strings.Contains(out, "compacted 1 tables") {
		t.Errorf("compact: %q", out)
	}
	if infos := list(); len(infos) != 1 || infos[0].TrueSize != infos[0].Size {
		t.Errorf("listsnapshots after compaction: %+v; want the snapshot the only owner of its bytes", infos)
	}
	// The compacted file is in the table's compression already.
	if out := admin(0, "recompress_sstables", "ks", "t"); !strings.Contains(out, "recompressed 0 SSTables of 1 tables") ||
		!strings.Contains(out, "(1 already in their table's compression)") {
		t.Errorf("recompress_sstables: %q", out)
	}
	out := admin(0, "listsnapshots")
	for _, w := range []string{"Snapshot name", "before", "ks", "Total TrueDiskSpaceUsed"} {
		if !strings.Contains(out, w) {
			t.Errorf("listsnapshots lacks %q:\n%s", w, out)
		}
	}
	schema, err := filepath.Glob(filepath.Join(cfg.DataDir, "snapshots", "before", "ks", "t-*", "schema.cql"))
	if err != nil || len(schema) != 1 {
		t.Errorf("schema.cql of the snapshot: %v, %v", schema, err)
	}
	// A snapshot restores through import, after a TRUNCATE.
	exec("TRUNCATE ks.t")
	snapDir := filepath.Dir(schema[0])
	if out := admin(0, "import", "ks", "t", snapDir); !strings.Contains(out, "imported 2 files") {
		t.Errorf("import: %q", out)
	}
	var restored int
	if err := s.Query("SELECT count(*) FROM ks.t").Scan(&restored); err != nil || restored != 200 {
		t.Errorf("after TRUNCATE and import of the snapshot: %d rows, %v; want 200", restored, err)
	}
	if out := admin(1, "import", "ks", "t", "relative/dir"); !strings.Contains(out, "absolute path") {
		t.Errorf("import of a relative directory: %q", out)
	}
	if out := admin(2, "clearsnapshot"); !strings.Contains(out, "-t TAG or --all") {
		t.Errorf("clearsnapshot without a tag: %q", out)
	}
	if out := admin(0, "clearsnapshot", "-t", "before"); !strings.Contains(out, "Cleared snapshots: [before]") {
		t.Errorf("clearsnapshot: %q", out)
	}
	if out := admin(0, "listsnapshots"); !strings.Contains(out, "There are no snapshots") {
		t.Errorf("listsnapshots after clearing: %q", out)
	}
	var count int
	if err := s.Query("SELECT count(*) FROM ks.t").Scan(&count); err != nil || count != 200 {
		t.Errorf("count after the operations: %d, %v", count, err)
	}

	for range 10 {
		var v string
		if err := s.Query("SELECT v FROM ks.t WHERE k = 7").Scan(&v); err != nil || v != "v7" {
			t.Fatalf("read k=7: %q, %v", v, err)
		}
	}
	out = admin(0, "tablestats", "ks")
	for _, w := range []string{"Total number of tables: 1", "Keyspace : ks", "\t\tTable: t", "SSTable count: 2",
		"Number of partitions (estimate): 200", "Local read count: 10", "Local write count: 200"} {
		if !strings.Contains(out, w) {
			t.Errorf("tablestats lacks %q:\n%s", w, out)
		}
	}
	out = admin(0, "tablehistograms", "ks.t")
	for _, w := range []string{"ks/t histograms", "Read Latency", "50%", "Max"} {
		if !strings.Contains(out, w) {
			t.Errorf("tablehistograms lacks %q:\n%s", w, out)
		}
	}
	out = admin(0, "proxyhistograms")
	for _, w := range []string{"proxy histograms", "Range Latency", "99%"} {
		if !strings.Contains(out, w) {
			t.Errorf("proxyhistograms lacks %q:\n%s", w, out)
		}
	}
	var ph nodeops.ProxyHistograms
	if err := json.Unmarshal([]byte(admin(0, "proxyhistograms", "--json")), &ph); err != nil || ph.ReadUS[len(ph.ReadUS)-1] == 0 ||
		ph.WriteUS[len(ph.WriteUS)-1] == 0 || ph.RangeUS[len(ph.RangeUS)-1] == 0 {
		t.Errorf("proxyhistograms: %+v, %v; want reads, writes and range reads counted", ph, err)
	}
	if out := admin(1, "tablehistograms", "ks", "nosuch"); !strings.Contains(out, "table ks.nosuch does not exist") {
		t.Errorf("tablehistograms of a missing table: %q", out)
	}
	out = admin(0, "tpstats")
	for _, w := range []string{"Pool Name", "All time blocked", "RequestWorkers", "MemtableFlush", "Message type", "NATIVE_REQUEST"} {
		if !strings.Contains(out, w) {
			t.Errorf("tpstats lacks %q:\n%s", w, out)
		}
	}
	var tp nodeops.TPStats
	if err := json.Unmarshal([]byte(admin(0, "tpstats", "--json")), &tp); err != nil {
		t.Fatal(err)
	}
	pools := map[string]nodeops.Pool{}
	for _, p := range tp.Pools {
		pools[p.Name] = p
	}
	// The writes and reads above, the flushes and compaction the commands
	// ran, and this very request, in progress on the internode server.
	for name, least := range map[string]int64{"RequestWorkers": 200, "MutationApply": 200, "Reads": 10,
		"MemtableFlush": 2, "Compaction": 1, "Internode": 10} {
		if p, ok := pools[name]; !ok || p.Completed < least {
			t.Errorf("tpstats %s: %+v; want at least %d completed", name, p, least)
		}
	}
	if p := pools["Internode"]; p.Active < 1 {
		t.Errorf("tpstats Internode: %+v; want the tpstats request active", p)
	}
	if len(tp.Dropped) != 6 || tp.Dropped[0].Type != "NATIVE_REQUEST" || tp.Dropped[0].Dropped != 0 {
		t.Errorf("tpstats dropped: %+v", tp.Dropped)
	}
	if out := admin(0, "compactionstats"); !strings.HasPrefix(out, "pending tasks: ") || !strings.Contains(out, "Compaction throughput: 64 MiB/s") {
		t.Errorf("compactionstats: %q", out)
	}
	if out := admin(0, "indexstats"); !strings.HasPrefix(out, "keyspace  table  index  built  state") {
		t.Errorf("indexstats: %q", out)
	}

	if out := admin(0, "setcompactionthroughput", "16"); !strings.Contains(out, "16 MiB/s") {
		t.Errorf("setcompactionthroughput: %q", out)
	}
	if out := admin(0, "getcompactionthroughput"); out != "Current compaction throughput: 16 MiB/s\n" {
		t.Errorf("getcompactionthroughput: %q", out)
	}
	if out := admin(0, "getcompactioncpushare"); out != "Current compaction CPU share: 0.25\n" {
		t.Errorf("getcompactioncpushare: %q", out)
	}
	if out := admin(1, "setcompactioncpushare", "1.5"); !strings.Contains(out, "from 0 to 1") {
		t.Errorf("setcompactioncpushare 1.5: %q", out)
	}
	if out := admin(0, "setcompactioncpushare", "0.5"); out != "Compaction CPU share set to: 0.5\n" {
		t.Errorf("setcompactioncpushare: %q", out)
	}
	if out := admin(1, "setlogginglevel", "loud"); !strings.Contains(out, "is not a level") {
		t.Errorf("setlogginglevel loud: %q", out)
	}
	admin(0, "setlogginglevel", "debug")
	if out := admin(0, "getlogginglevel"); out != "Log level: DEBUG\n" {
		t.Errorf("getlogginglevel: %q", out)
	}
	if out := admin(0, "version"); out != "ReleaseVersion: "+server.ReleaseVersion+"\n" {
		t.Errorf("version: %q", out)
	}
	if !strings.Contains(logs.String(), `msg="snapshot taken"`) {
		t.Errorf("the node did not log the snapshot")
	}

	// The node in its cluster (of one).
	out = admin(0, "info")
	for _, w := range []string{"ID                      : " + n.HostID(), "Gossip active           : true",
		"Native Transport active : true", "Token                   : (node has 16 tokens)", "State                   : NORMAL"} {
		if !strings.Contains(out, w) {
			t.Errorf("info lacks %q:\n%s", w, out)
		}
	}
	if out := admin(0, "ring"); !strings.Contains(out, "Datacenter: datacenter1") || strings.Count(out, "127.0.0.1  rack1  Up") != 16 {
		t.Errorf("ring: want 16 tokens of 127.0.0.1, up:\n%s", out)
	}
	if out := admin(0, "describecluster"); !strings.Contains(out, "Partitioner: org.apache.cassandra.dht.Murmur3Partitioner") ||
		!strings.Contains(out, ": [127.0.0.1]") {
		t.Errorf("describecluster:\n%s", out)
	}
	if out := admin(0, "gossipinfo"); !strings.Contains(out, "/127.0.0.1\n  STATUS:NORMAL") || !strings.Contains(out, "HOST_ID:"+n.HostID()) {
		t.Errorf("gossipinfo:\n%s", out)
	}

	// Drain: clients are refused, every table flushed, once only.
	if out := admin(0, "drain"); !strings.Contains(out, "drained: flushed") {
		t.Errorf("drain: %q", out)
	}
	if out := admin(0, "info"); !strings.Contains(out, "Native Transport active : false") || !strings.Contains(out, "Drained                 : true") {
		t.Errorf("info after drain:\n%s", out)
	}
	if _, err := cl.CreateSession(); err == nil {
		t.Error("a new CQL session connected to a drained node")
	}
	if out := admin(1, "drain"); !strings.Contains(out, "already drained") {
		t.Errorf("a second drain: %q", out)
	}
}
