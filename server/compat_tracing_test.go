package server

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"wcdb/internal/testutil"
	"wcdb/ring"
)

// settledTracer hands a trace to gocql's TraceWriter once the node has
// written it: traces are recorded in the background after the response,
// so it first waits, as cqlsh does, for the session row's duration.
type settledTracer struct {
	t   *testing.T
	s   *gocql.Session
	w   gocql.Tracer
	mu  sync.Mutex
	ids [][]byte
}

func (st *settledTracer) Trace(id []byte) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		var dur *int
		err := st.s.Query("SELECT duration FROM system_traces.sessions WHERE session_id = ?", gocql.UUID(id)).
			Consistency(gocql.One).Scan(&dur)
		if err == nil && dur != nil {
			break
		}
		if time.Now().After(deadline) {
			st.t.Errorf("trace %x not recorded after 10 s (last error %v)", id, err)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	st.mu.Lock()
	st.ids = append(st.ids, id)
	st.mu.Unlock()
	st.w.Trace(id)
}

// TestCompatGocqlTracing: gocql's Query.Trace with its own TraceWriter
// reads back what a traced write and read did on the node, from
// system_traces, which has Cassandra's schema.
func TestCompatGocqlTracing(t *testing.T) {
	n := compatNode(t)
	s := compatSession(t, n, nil)
	mustExec(t, s,
		"CREATE KEYSPACE tr WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE tr.t (k int PRIMARY KEY, v text)")
	var out bytes.Buffer
	tracer := &settledTracer{t: t, s: s, w: gocql.NewTraceWriter(s, &out)}

	if err := s.Query("INSERT INTO tr.t (k, v) VALUES (1, 'one')").Trace(tracer).Exec(); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := s.Query("SELECT v FROM tr.t WHERE k = ?", 1).Trace(tracer).Consistency(gocql.One).Scan(&v); err != nil || v != "one" {
		t.Fatalf("got %q, %v", v, err)
	}
	// gocql prepares each statement first, traced too: a PREPARE and an
	// EXECUTE each.
	if len(tracer.ids) != 4 {
		t.Fatalf("got %d traces, want 4:\n%s", len(tracer.ids), out.String())
	}
	text := out.String()
	for _, want := range []string{
		"Tracing session " + strings.ReplaceAll(gocql.UUID(tracer.ids[0]).String(), "-", ""),
		"Preparing statement",
		"Writing at consistency ONE",
		"Mutation applied locally",
		"Reading at consistency ONE",
		"Read 1 rows from /127.0.0.1:",
		"Returning 1 rows of 1 columns",
		"[MutationStage]",
		"(source: 127.0.0.1, elapsed: ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("trace lacks %q:\n%s", want, text)
		}
	}

	// The session row, as drivers and cqlsh read it.
	var (
		command, request, client, coord string
		params                          map[string]string
		started                         time.Time
		dur                             int
	)
	err := s.Query(`SELECT command, request, client, coordinator, parameters, started_at, duration
		FROM system_traces.sessions WHERE session_id = ?`, gocql.UUID(tracer.ids[3])).
		Scan(&command, &request, &client, &coord, &params, &started, &dur)
	if err != nil {
		t.Fatal(err)
	}
	if command != "EXECUTE" || request != "Execute CQL3 prepared query" || client != "127.0.0.1" || coord != "127.0.0.1" ||
		params["consistency_level"] != "ONE" || params["query"] != "SELECT v FROM tr.t WHERE k = ?" ||
		time.Since(started) > time.Minute || dur <= 0 {
		t.Errorf("session: %q %q client %s coordinator %s %v started %v duration %d", command, request, client, coord, params, started, dur)
	}
	// Rows expire after a day: the tables' default TTL.
	var ttl int
	if err := s.Query("SELECT TTL(activity) FROM system_traces.events WHERE session_id = ? LIMIT 1",
		gocql.UUID(tracer.ids[3])).Scan(&ttl); err != nil || ttl <= 86000 || ttl > 86400 {
		t.Errorf("event TTL %d (%v), want about 86400", ttl, err)
	}
}

// TestTracingReplicas: on two nodes with RF 2, the trace of a write and a
// read at ALL names the other replica the coordinator contacted and its
// answers.
func TestTracingReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two nodes")
	}
	c := startNodes(t, 2, nil)
	coord, other := c.nodes[0], c.nodes[1]
	host, _, _ := strings.Cut(coord.Addr().String(), ":")
	s := compatSession(t, coord, func(cc *gocql.ClusterConfig) {
		cc.HostFilter = gocql.WhiteListHostFilter(host) // node 1 coordinates
	})
	mustExec(t, s,
		"CREATE KEYSPACE tr2 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}",
		"CREATE TABLE tr2.t (k int PRIMARY KEY, v text)")
	var out bytes.Buffer
	tracer := &settledTracer{t: t, s: s, w: gocql.NewTraceWriter(s, &out)}
	if err := s.Query("INSERT INTO tr2.t (k, v) VALUES (1, 'one')").Consistency(gocql.All).Trace(tracer).Exec(); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := s.Query("SELECT v FROM tr2.t WHERE k = 1").Consistency(gocql.All).Trace(tracer).Scan(&v); err != nil || v != "one" {
		t.Fatalf("got %q, %v", v, err)
	}
	ip, port := coord.cl.internodeAddr(ring.NodeID(other.HostID()))
	peer := "/" + net.JoinHostPort(ip.String(), strconv.Itoa(port))
	text := out.String()
	for _, want := range []string{
		"Writing at consistency ALL (2 needed)",
		"Sending MUTATION message to " + peer,
		"MUTATION response from " + peer,
		"Reading at consistency ALL (2 needed of 2 replicas)",
		"from " + peer,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("traces lack %q:\n%s", want, text)
		}
	}
	// The other replica's own events, with it as their source.
	for _, want := range []string{"MUTATION message received", "Appending to commitlog", "Added to tr2.t memtable",
		"Executing single-partition query on tr2.t", "Read 1 live rows and 0 tombstone cells", "Enqueuing response"} {
		found := false
		for _, line := range strings.Split(text, "\n") {
			found = found || strings.Contains(line, want) && strings.Contains(line, ip.String())
		}
		if !found {
			t.Errorf("traces lack %q from %s:\n%s", want, ip, text)
		}
	}
}

// TestSlowQueryLogNamesReplicas: the slow query log line of a write and a
// read at ALL on two nodes with RF 2 names both replicas the coordinator
// contacted, untraced.
func TestSlowQueryLogNamesReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two nodes")
	}
	dir := t.TempDir()
	var logs testutil.SyncBuffer
	cfg := clusterConfig(dir, 1)
	cfg.Native.SlowQueryLogTimeout = Duration(time.Nanosecond)
	coord, err := Start(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer coord.Close()
	other := startConfigured(t, clusterConfig(dir, 2, coord.GossipAddr()))
	defer other.Close()
	for _, n := range []*Node{coord, other} {
		waitFor(t, "two nodes alive", 10*time.Second, func() bool { return aliveOf(n) == 2 })
	}
	host, _, _ := strings.Cut(coord.Addr().String(), ":")
	s := compatSession(t, coord, func(cc *gocql.ClusterConfig) {
		cc.HostFilter = gocql.WhiteListHostFilter(host) // node 1 coordinates
	})
	mustExec(t, s,
		"CREATE KEYSPACE sl WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}",
		"CREATE TABLE sl.t (k int PRIMARY KEY, v text)")
	// The log takes slowLogBurst lines a second, and the driver's own
	// queries took this second's.
	time.Sleep(time.Second)
	if err := s.Query("INSERT INTO sl.t (k, v) VALUES (1, 'one')").Consistency(gocql.All).Exec(); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := s.Query("SELECT v FROM sl.t WHERE k = 1").Consistency(gocql.All).Scan(&v); err != nil {
		t.Fatal(err)
	}
	name := func(n *Node) string {
		ip, port := coord.cl.internodeAddr(ring.NodeID(n.HostID()))
		return "/" + net.JoinHostPort(ip.String(), strconv.Itoa(port))
	}
	both := []string{"replicas=\"[" + name(coord) + ", " + name(other) + "]\"", "replicas=\"[" + name(other) + ", " + name(coord) + "]\""}
	for _, stmt := range []string{"INSERT INTO sl.t", "SELECT v FROM sl.t"} {
		var line string
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "slow query") && strings.Contains(l, stmt) {
				line = l
			}
		}
		if line == "" {
			t.Errorf("no slow query line for %q:\n%s", stmt, logs.String())
			continue
		}
		if !strings.Contains(line, "consistency=ALL") || !(strings.Contains(line, both[0]) || strings.Contains(line, both[1])) {
			t.Errorf("slow query line lacks the consistency or both replicas %v:\n%s", both, line)
		}
	}
}
