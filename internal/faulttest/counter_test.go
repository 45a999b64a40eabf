package faulttest

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gocql/gocql"
)

// TestCountersUnderKill: eight clients, through all three nodes (RF 3),
// each make 1,000 increments at QUORUM on four counters; node 3 is killed
// with SIGKILL a third of the way and restarted at two thirds. Each
// counter's final value (read at ALL once the hints are replayed, and at
// QUORUM) lies between its acknowledged increments and those plus the
// ones whose outcome the client could not learn (a timeout, a lost
// connection): counters are not idempotent, so a retry would count twice,
// and a timed-out increment may or may not have been applied.
func TestCountersUnderKill(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a cluster of three wcdb processes")
	}
	f := newFixture(t, ports{cql: 26049, gossip: 26953, internode: 26007}, loopback(3))
	f.startAll()
	n1, n2, n3 := f.nodes[0], f.nodes[1], f.nodes[2]
	admin := f.session([]*node{n1, n2, n3}, sessionOpts{})
	for _, stmt := range []string{
		"CREATE KEYSPACE ft WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}",
		"CREATE TABLE ft.counts (k int PRIMARY KEY, c counter)",
	} {
		if err := admin.Query(stmt).Exec(); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	const clients, each, keys = 8, 1000, 4
	var acked, unknown, refused [keys]atomic.Int64
	var done atomic.Int64
	var wg sync.WaitGroup
	for c := range clients {
		s := f.session([]*node{n1, n2, n3}, sessionOpts{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				k := (c + i) % keys
				err := s.Query("UPDATE ft.counts SET c = c + 1 WHERE k = ?", k).Consistency(gocql.Quorum).Exec()
				var un *gocql.RequestErrUnavailable
				switch {
				case err == nil:
					acked[k].Add(1)
				case errors.As(err, &un) || errors.Is(err, gocql.ErrNoConnections):
					refused[k].Add(1) // nothing was written
				default:
					unknown[k].Add(1)
				}
				done.Add(1)
			}
		}()
	}
	waitUntil(2*time.Minute, 10*time.Millisecond, func() bool { return done.Load() >= clients*each/3 })
	t.Logf("kill -9 node 3 after %d increments", done.Load())
	f.kill(n3)
	waitUntil(2*time.Minute, 10*time.Millisecond, func() bool { return done.Load() >= 2*clients*each/3 })
	t.Logf("restart node 3 after %d increments", done.Load())
	f.start(n3)
	wg.Wait()
	f.waitView("every node to see the others up", 30*time.Second, f.nodes, f.nodes, true)

	for k := range keys {
		a, u := acked[k].Load(), unknown[k].Load()
		var v int64
		// ALL once node 3 has its hints: they are replayed in the
		// background, so the read is retried for a while.
		var err error
		ok := waitUntil(30*time.Second, 200*time.Millisecond, func() bool {
			err = admin.Query("SELECT c FROM ft.counts WHERE k = ?", k).Consistency(gocql.All).Scan(&v)
			return err == nil && v >= a
		})
		if !ok {
			t.Errorf("counter %d at ALL: %d (%v); %d increments acknowledged, %d unknown", k, v, err, a, u)
			continue
		}
		if v > a+u {
			t.Errorf("counter %d is %d, above the %d acknowledged and %d unknown increments", k, v, a, u)
		}
		var q int64
		if err := admin.Query("SELECT c FROM ft.counts WHERE k = ?", k).Consistency(gocql.Quorum).Scan(&q); err != nil || q != v {
			t.Errorf("counter %d at QUORUM: %d (%v), at ALL %d", k, q, err, v)
		}
		t.Logf("counter %d: %d (%d acknowledged, %d unknown, %d refused)", k, v, a, u, refused[k].Load())
	}
}
