package server

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/gocql/gocql"
)

// rawUDT binds its bytes as they are, as a driver that serializes a user
// type value itself may send them.
type rawUDT []byte

func (r rawUDT) MarshalCQL(gocql.TypeInfo) ([]byte, error) { return r, nil }

// udtFields serializes fields as a user type value.
func udtFields(fields ...string) rawUDT {
	var b []byte
	for _, f := range fields {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

// TestCompatGocqlUDTNested: user types as map keys and set elements bound
// and read through gocql, a field of a type held in a map, writetime() of
// a non-frozen one (Cassandra 5's list with nulls), conditions on fields
// with bound values, and a bound value with more fields than the type.
func TestCompatGocqlUDTNested(t *testing.T) {
	n := compatNode(t)
	s := compatSession(t, n, nil)
	mustExec(t, s,
		"CREATE KEYSPACE udtn WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TYPE udtn.pt (x text, y text)",
		"CREATE TABLE udtn.t (k int PRIMARY KEY, byp map<frozen<pt>, int>, ps set<frozen<pt>>, u pt)",
	)
	type pt struct {
		X string `cql:"x"`
		Y string `cql:"y"`
	}
	if err := s.Query("UPDATE udtn.t USING TIMESTAMP 100 SET byp = ?, ps = ps + ?, u.x = ? WHERE k = 1",
		map[pt]int{{"b", "1"}: 2, {"a", "2"}: 1}, []pt{{"z", ""}, {"a", "b"}}, "ux").Exec(); err != nil {
		t.Fatalf("bound map keys and set elements: %v", err)
	}
	var byp map[pt]int
	var ps []pt
	if err := s.Query("SELECT byp, ps FROM udtn.t WHERE k = 1").Scan(&byp, &ps); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(byp) != "map[{a 2}:1 {b 1}:2]" || fmt.Sprint(ps) != "[{a b} {z }]" {
		t.Errorf("read back %v, %v", byp, ps)
	}
	var y string
	if err := s.Query("SELECT byp[?] FROM udtn.t WHERE k = 1", pt{"b", "1"}).Scan(new(int)); err != nil {
		t.Errorf("element by a bound key: %v", err)
	}
	if err := s.Query("SELECT ps FROM udtn.t WHERE k = 1 AND ps CONTAINS ? ALLOW FILTERING", pt{"a", "b"}).Scan(&ps); err != nil {
		t.Errorf("CONTAINS a bound user type: %v", err)
	}
	mustExec(t, s, "CREATE TABLE udtn.m (k int PRIMARY KEY, m map<int, frozen<pt>>)", "INSERT INTO udtn.m (k, m) VALUES (1, {7: {x: 'p', y: 'q'}})")
	if err := s.Query("SELECT m[7].y FROM udtn.m WHERE k = 1").Scan(&y); err != nil || y != "q" {
		t.Errorf("field of a type in a map: %q, %v", y, err)
	}
	// writetime(u): a list, null for y that has no cell.
	var wt []*int64
	if err := s.Query("SELECT writetime(u) FROM udtn.t WHERE k = 1").Scan(&wt); err != nil {
		t.Fatalf("writetime(u): %v", err)
	}
	if len(wt) != 2 || wt[0] == nil || *wt[0] != 100 || wt[1] != nil {
		t.Errorf("writetime(u) = %v, want [100 nil]", wt)
	}
	// Conditions on a field, bound.
	m := map[string]any{}
	if applied, err := s.Query("UPDATE udtn.t SET u.y = ? WHERE k = 1 IF u.x = ?", "uy", "nope").MapScanCAS(m); err != nil || applied {
		t.Errorf("IF u.x = 'nope': applied %v, %v", applied, err)
	}
	if applied, err := s.Query("UPDATE udtn.t SET u.y = ? WHERE k = 1 IF u.x = ? AND u.y = ?", "uy", "ux", nil).ScanCAS(); err != nil || !applied {
		t.Errorf("IF u.x = 'ux' AND u.y = null: applied %v, %v", applied, err)
	}
	// A bound value: fewer fields than the type is a value written before
	// ALTER TYPE ADD; more is refused as Cassandra's UserTypeSerializer.
	if err := s.Query("UPDATE udtn.t SET u = ? WHERE k = 2", udtFields("only")).Exec(); err != nil {
		t.Errorf("a value with fewer fields: %v", err)
	}
	var u pt
	if err := s.Query("SELECT u FROM udtn.t WHERE k = 2").Scan(&u); err != nil || u != (pt{"only", ""}) {
		t.Errorf("read back %+v, %v", u, err)
	}
	for _, q := range []string{"UPDATE udtn.t SET u = ? WHERE k = 3", "INSERT INTO udtn.t (k, ps) VALUES (3, {?})", "UPDATE udtn.t SET byp[?] = 1 WHERE k = 3"} {
		err := s.Query(q, udtFields("a", "b", "c")).Exec()
		if err == nil || !strings.Contains(err.Error(), "Invalid remaining data after end of UDT value") {
			t.Errorf("%s with three fields: %v", q, err)
		}
	}
	mustExec(t, s, "DROP KEYSPACE udtn")
}
