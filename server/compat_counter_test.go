package server

import (
	"strings"
	"sync"
	"testing"

	"github.com/gocql/gocql"
)

// TestCompatGocqlCounters: gocql increments and decrements counters with
// bound int64s, in a counter batch too, reads them as bigint (int64), sees
// the type counter in its metadata, and gets Cassandra's refusals.
func TestCompatGocqlCounters(t *testing.T) {
	n := compatNode(t)
	s := compatSession(t, n, nil)
	mustExec(t, s,
		"CREATE KEYSPACE cnt WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE cnt.likes (post int, day int, n counter, views counter, PRIMARY KEY (post, day))")
	for i := range 10 {
		if err := s.Query("UPDATE cnt.likes SET n = n + ?, views = views + 2 WHERE post = ? AND day = ?", int64(i), 1, 1).Exec(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Query("UPDATE cnt.likes SET n = n - ? WHERE post = 1 AND day = 1", int64(5)).Exec(); err != nil {
		t.Fatal(err)
	}
	b := s.NewBatch(gocql.CounterBatch)
	b.Query("UPDATE cnt.likes SET n = n + 100 WHERE post = 1 AND day = 1")
	b.Query("UPDATE cnt.likes SET n = n + ? WHERE post = 2 AND day = 1", int64(7))
	if err := s.ExecuteBatch(b); err != nil {
		t.Fatalf("counter batch: %v", err)
	}
	var nv, views int64
	if err := s.Query("SELECT n, views FROM cnt.likes WHERE post = 1 AND day = 1").Scan(&nv, &views); err != nil {
		t.Fatal(err)
	}
	if nv != 45-5+100 || views != 20 {
		t.Errorf("counters: n %d views %d, want 140 and 20", nv, views)
	}
	m, err := s.Query("SELECT * FROM cnt.likes WHERE post = 2").Iter().SliceMap()
	if err != nil || len(m) != 1 || m[0]["n"] != int64(7) {
		t.Errorf("as a map: %v, %v; want n = int64(7)", m, err)
	}
	km, err := s.KeyspaceMetadata("cnt")
	if err != nil {
		t.Fatal(err)
	}
	if c := km.Tables["likes"].Columns["n"]; c == nil || c.Type.Type() != gocql.TypeCounter {
		t.Errorf("metadata of n: %+v, want type counter", c)
	}
	if err := s.Query("DELETE n FROM cnt.likes WHERE post = 2 AND day = 1").Exec(); err != nil {
		t.Fatal(err)
	}
	if err := s.Query("SELECT n FROM cnt.likes WHERE post = 2 AND day = 1").Scan(&nv); err != gocql.ErrNotFound {
		t.Errorf("deleted counter: %d, %v; want no row", nv, err)
	}
	logged := s.NewBatch(gocql.LoggedBatch)
	logged.Query("UPDATE cnt.likes SET n = n + 1 WHERE post = 1 AND day = 1")
	for _, tc := range []struct {
		run  func() error
		want string
	}{
		{func() error { return s.Query("INSERT INTO cnt.likes (post, day, n) VALUES (1, 2, 3)").Exec() },
			"INSERT statements are not allowed on counter tables, use UPDATE instead"},
		{func() error { return s.Query("UPDATE cnt.likes SET n = 3 WHERE post = 1 AND day = 1").Exec() },
			"Cannot set the value of counter column n (counters can only be incremented/decremented, not set)"},
		{func() error {
			return s.Query("UPDATE cnt.likes USING TTL 10 SET n = n + 1 WHERE post = 1 AND day = 1").Exec()
		}, "Cannot provide custom TTL for counter updates"},
		{func() error {
			return s.Query("UPDATE cnt.likes USING TIMESTAMP 10 SET n = n + 1 WHERE post = 1 AND day = 1").Exec()
		}, "Cannot provide custom timestamp for counter updates"},
		{func() error { return s.ExecuteBatch(logged) }, "Cannot include a counter statement in a logged batch"},
		{func() error {
			return s.Query("UPDATE cnt.likes SET n = n + 1 WHERE post = 1 AND day = 1").Consistency(gocql.Any).Exec()
		}, "Consistency level ANY is not yet supported for counter table likes"},
		{func() error { return s.Query("CREATE TABLE cnt.mixed (k int PRIMARY KEY, n counter, v int)").Exec() },
			"Cannot mix counter and non counter columns in the same table"},
	} {
		err := tc.run()
		var re gocql.RequestError
		if !errorsAs(err, &re) || re.Code() != gocql.ErrCodeInvalid || !strings.Contains(re.Message(), tc.want) {
			t.Errorf("got %v, want Invalid %q", err, tc.want)
		}
	}
	if err := s.Query("SELECT n FROM cnt.likes WHERE post = 1 AND day = 1").Scan(&nv); err != nil || nv != 140 {
		t.Errorf("after the refusals: %d, %v; want 140", nv, err)
	}
}

func errorsAs(err error, re *gocql.RequestError) bool {
	r, ok := err.(gocql.RequestError)
	if ok {
		*re = r
	}
	return ok
}

// TestCountersOnThreeNodes: 6 clients increment one counter through three
// nodes at QUORUM with RF 3 (the leader is often another node, reached
// through the internode "counter.apply" call): the counter ends at exactly
// the sum, read at ALL through every node.
func TestCountersOnThreeNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three nodes")
	}
	c := startNodes(t, 3, nil)
	s := clusterSession(t, c.nodes[0], gocql.Quorum)
	mustExec(t, s,
		"CREATE KEYSPACE cnt3 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}",
		"CREATE TABLE cnt3.c (k int PRIMARY KEY, n counter)")
	const clients, each = 6, 50
	var wg sync.WaitGroup
	for cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sess := clusterSession(t, c.nodes[cl%3], gocql.Quorum)
			for range each {
				if err := sess.Query("UPDATE cnt3.c SET n = n + 1 WHERE k = 1").Exec(); err != nil {
					t.Errorf("increment: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for i, node := range c.nodes {
		var n int64
		if err := clusterSession(t, node, gocql.All).Query("SELECT n FROM cnt3.c WHERE k = 1").Scan(&n); err != nil || n != clients*each {
			t.Errorf("read at ALL through node %d: %d, %v; want %d", i, n, err, clients*each)
		}
	}
}
