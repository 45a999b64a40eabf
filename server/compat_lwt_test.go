package server

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gocql/gocql"
)

// TestCompatGocqlLWT: gocql's LWT helpers (MapScanCAS, ScanCAS) read
// [applied] and the current row as Cassandra returns them, and a SERIAL
// read sees what the transactions wrote.
func TestCompatGocqlLWT(t *testing.T) {
	n := compatNode(t)
	s := compatSession(t, n, nil)
	mustExec(t, s,
		"CREATE KEYSPACE lwt WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE lwt.users (name text PRIMARY KEY, email text, visits int)")
	cur := map[string]any{}
	applied, err := s.Query("INSERT INTO lwt.users (name, email, visits) VALUES (?, ?, ?) IF NOT EXISTS", "ada", "ada@x", 1).MapScanCAS(cur)
	if err != nil || !applied {
		t.Fatalf("first insert: applied %v, %v", applied, err)
	}
	cur = map[string]any{}
	applied, err = s.Query("INSERT INTO lwt.users (name, email, visits) VALUES (?, ?, ?) IF NOT EXISTS", "ada", "other@x", 9).MapScanCAS(cur)
	if err != nil || applied || cur["email"] != "ada@x" || cur["visits"] != 1 || cur["name"] != "ada" {
		t.Fatalf("second insert: applied %v, current %v, %v; want not applied with ada's row", applied, cur, err)
	}
	var email string
	applied, err = s.Query("UPDATE lwt.users SET visits = 2 WHERE name = ? IF email = ?", "ada", "nobody@x").ScanCAS(&email)
	if err != nil || applied || email != "ada@x" {
		t.Fatalf("update with a false condition: applied %v, email %q, %v", applied, email, err)
	}
	applied, err = s.Query("UPDATE lwt.users SET visits = 2 WHERE name = ? IF email = ?", "ada", "ada@x").ScanCAS()
	if err != nil || !applied {
		t.Fatalf("update with a true condition: applied %v, %v", applied, err)
	}
	var visits int
	if err := s.Query("SELECT visits FROM lwt.users WHERE name = ?", "ada").Consistency(gocql.Consistency(gocql.Serial)).Scan(&visits); err != nil || visits != 2 {
		t.Fatalf("serial read: %d, %v", visits, err)
	}
	applied, err = s.Query("DELETE FROM lwt.users WHERE name = ? IF EXISTS", "ada").ScanCAS()
	if err != nil || !applied {
		t.Fatalf("delete if exists: %v, %v", applied, err)
	}
	applied, err = s.Query("DELETE FROM lwt.users WHERE name = ? IF EXISTS", "ada").ScanCAS()
	if err != nil || applied {
		t.Fatalf("second delete if exists: %v, %v", applied, err)
	}
}

// TestLWTUniqueNamesOnThreeNodes: 16 clients, spread over three nodes
// with RF 3, race INSERT ... IF NOT EXISTS for the same 100 names: each
// name is applied exactly once, and the row holds its winner.
func TestLWTUniqueNamesOnThreeNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three nodes")
	}
	c := startNodes(t, 3, nil)
	s := clusterSession(t, c.nodes[0], gocql.Quorum)
	mustExec(t, s,
		"CREATE KEYSPACE names WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}",
		"CREATE TABLE names.taken (name text PRIMARY KEY, owner int)")
	const clients, names = 16, 100
	var wins [names]atomic.Int32
	var winner [names]atomic.Int32
	var unknown atomic.Int32
	var wg sync.WaitGroup
	for cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sess := clusterSession(t, c.nodes[cl%3], gocql.Quorum)
			for i := range names {
				name := fmt.Sprintf("user%03d", (i+cl*7)%names)
				applied, err := sess.Query("INSERT INTO names.taken (name, owner) VALUES (?, ?) IF NOT EXISTS", name, cl).
					SerialConsistency(gocql.Serial).ScanCAS(nil, nil)
				if err != nil {
					if strings.Contains(err.Error(), "timed out") {
						unknown.Add(1)
						continue
					}
					t.Errorf("client %d, %s: %v", cl, name, err)
					return
				}
				if applied {
					var idx int
					fmt.Sscanf(name, "user%03d", &idx)
					wins[idx].Add(1)
					winner[idx].Store(int32(cl))
				}
			}
		}()
	}
	wg.Wait()
	for i := range names {
		var owner int
		name := fmt.Sprintf("user%03d", i)
		if err := s.Query("SELECT owner FROM names.taken WHERE name = ?", name).Consistency(gocql.Consistency(gocql.Serial)).Scan(&owner); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		switch w := wins[i].Load(); {
		case w > 1:
			t.Errorf("%s applied %d times", name, w)
		case w == 1 && int32(owner) != winner[i].Load():
			t.Errorf("%s: applied for client %d, the row says %d", name, winner[i].Load(), owner)
		case w == 0 && unknown.Load() == 0:
			t.Errorf("%s applied for nobody, with no unknown outcome", name)
		}
	}
	t.Logf("%d unknown outcomes", unknown.Load())
}
