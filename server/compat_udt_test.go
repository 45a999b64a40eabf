package server

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// udtAddress is bound and scanned by field name (gocql's cql tags).
type udtAddress struct {
	Street string `cql:"street"`
	Zip    int    `cql:"zip"`
}

// TestCompatGocqlUDT: user types through gocql as an application uses
// them: CREATE TYPE, frozen and non-frozen columns, a type nested in a
// type, a list and a tuple; values written as literals and bound from
// structs and maps; field updates and deletes of a non-frozen column;
// field selection; ALTER TYPE ADD and RENAME seen by old values; the
// driver's metadata (system_schema.types); Cassandra's refusals.
func TestCompatGocqlUDT(t *testing.T) {
	n := compatNode(t)
	s := compatSession(t, n, nil)
	mustExec(t, s,
		"CREATE KEYSPACE udt WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TYPE udt.address (street text, zip int)",
		"CREATE TYPE IF NOT EXISTS udt.address (other int)",
		"CREATE TYPE udt.person (name text, home frozen<address>)",
		"CREATE TABLE udt.users (id int PRIMARY KEY, addr address, fa frozen<address>, people list<frozen<person>>, t tuple<int, frozen<address>>)",
		"CREATE TABLE udt.keyed (p int, b frozen<address>, v int, PRIMARY KEY (p, b))",
		"INSERT INTO udt.users (id, addr, fa, people, t) VALUES (1, {street: 'Main', zip: 1}, {street: 'F', zip: 2}, [{name: 'ann', home: {street: 'x', zip: 3}}], (5, {street: 'y', zip: 4}))",
	)
	// Bound from a struct and from a map (gocql marshals both by field
	// name, from the prepared statement's metadata).
	if err := s.Query("INSERT INTO udt.users (id, addr, fa) VALUES (?, ?, ?)", 2,
		udtAddress{Street: "Second", Zip: 20}, map[string]any{"street": "M", "zip": 21}).Exec(); err != nil {
		t.Fatalf("bound struct and map: %v", err)
	}
	var a, fa udtAddress
	if err := s.Query("SELECT addr, fa FROM udt.users WHERE id = 2").Scan(&a, &fa); err != nil {
		t.Fatal(err)
	}
	if a != (udtAddress{"Second", 20}) || fa != (udtAddress{"M", 21}) {
		t.Errorf("read back %+v, %+v", a, fa)
	}
	// Field updates and deletes of the non-frozen column.
	mustExec(t, s, "UPDATE udt.users SET addr.zip = 99 WHERE id = 1", "DELETE addr.street FROM udt.users WHERE id = 2")
	if err := s.Query("UPDATE udt.users SET addr.street = ? WHERE id = 3", "Third").Exec(); err != nil {
		t.Fatalf("bound field update: %v", err)
	}
	got := map[int]string{}
	iter := s.Query("SELECT id, addr FROM udt.users").Iter()
	var id int
	var m map[string]any
	for iter.Scan(&id, &m) {
		got[id] = fmt.Sprint(m)
		m = nil
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	want := map[int]string{1: "map[street:Main zip:99]", 2: "map[street: zip:20]", 3: "map[street:Third zip:0]"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("addr by id: %v, want %v", got, want)
	}
	var street string
	var zip int
	if err := s.Query("SELECT addr.street, fa.zip FROM udt.users WHERE id = 1").Scan(&street, &zip); err != nil || street != "Main" || zip != 2 {
		t.Errorf("field selection: %q %d %v, want Main 2", street, zip, err)
	}
	var people []map[string]any
	var tup struct {
		N    int
		Addr udtAddress
	}
	if err := s.Query("SELECT people, t FROM udt.users WHERE id = 1").Scan(&people, &tup.N, &tup.Addr); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(people) != "[map[home:map[street:x zip:3] name:ann]]" || tup.N != 5 || tup.Addr != (udtAddress{"y", 4}) {
		t.Errorf("nested: %v, %+v", people, tup)
	}
	// A frozen user type as a clustering key, ordered field by field.
	for _, z := range []int{3, 1, 2} {
		if err := s.Query("INSERT INTO udt.keyed (p, b, v) VALUES (?, ?, ?)", 1, udtAddress{"c", z}, z).Exec(); err != nil {
			t.Fatal(err)
		}
	}
	var order []int
	iter = s.Query("SELECT v FROM udt.keyed WHERE p = 1 AND b >= {street: 'c', zip: 2}").Iter()
	for v := 0; iter.Scan(&v); {
		order = append(order, v)
	}
	if err := iter.Close(); err != nil || fmt.Sprint(order) != "[2 3]" {
		t.Errorf("clustering by a user type: %v, %v; want [2 3]", order, err)
	}
	// ALTER TYPE: old values read with the new field null; a rename keeps
	// the values.
	mustExec(t, s, "ALTER TYPE udt.address ADD city text", "ALTER TYPE udt.address RENAME zip TO code")
	// A value written before ADD has no city (gocql leaves it out of a
	// map, as with Cassandra); one written after has it.
	mustExec(t, s, "UPDATE udt.users SET fa = {street: 'G', code: 3, city: 'Paris'}, addr.city = 'Rome' WHERE id = 2")
	for _, tc := range []struct {
		q, want string
	}{
		{"SELECT fa FROM udt.users WHERE id = 1", "map[code:2 street:F]"},
		{"SELECT fa FROM udt.users WHERE id = 2", "map[city:Paris code:3 street:G]"},
		{"SELECT addr FROM udt.users WHERE id = 1", "map[city: code:99 street:Main]"},
		{"SELECT addr FROM udt.users WHERE id = 2", "map[city:Rome code:20 street:]"},
	} {
		m = nil
		if err := s.Query(tc.q).Scan(&m); err != nil || fmt.Sprint(m) != tc.want {
			t.Errorf("after ALTER TYPE, %s: %v, %v; want %s", tc.q, m, err, tc.want)
		}
	}
	km, err := s.KeyspaceMetadata("udt")
	if err != nil {
		t.Fatal(err)
	}
	if ut := km.UserTypes["address"]; ut == nil || fmt.Sprint(ut.FieldNames) != "[street code city]" {
		t.Errorf("driver metadata of address: %+v", ut)
	}
	for _, tc := range []struct{ stmt, want string }{
		{"CREATE TYPE udt.address (a int)", "A user type with name 'address' already exists"},
		{"CREATE TYPE udt.bad (a int, a text)", "Duplicate field name 'a' in type 'bad'"},
		{"CREATE TYPE udt.bad (a address)", "A user type cannot contain non-frozen UDTs"},
		{"DROP TYPE udt.address", "Cannot drop user type 'udt.address' as it is still used by user types person"},
		{"DROP TYPE udt.person", "Cannot drop user type 'udt.person' as it is still used by tables users"},
		{"DROP TYPE udt.nope", "Type 'udt.nope' doesn't exist"},
		{"ALTER TYPE udt.nope ADD x int", "Type udt.nope doesn't exist"},
		{"CREATE TABLE udt.bad (k address PRIMARY KEY)", "Invalid non-frozen user-defined type address for PRIMARY KEY column 'k'"},
		{"UPDATE udt.users SET fa.code = 1 WHERE id = 1", "Invalid operation (fa.code = 1) for frozen UDT column fa"},
		{"UPDATE udt.users SET addr.nope = 1 WHERE id = 1", "UDT column addr does not have a field named nope"},
		{"INSERT INTO udt.users (id, addr) VALUES (9, {nope: 1})", "Unknown field 'nope' in value of user defined type address"},
		{"SELECT addr.nope FROM udt.users", "addr of type address has no field nope"},
	} {
		err := s.Query(tc.stmt).Exec()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.stmt, err, tc.want)
		}
	}
	mustExec(t, s, "DROP TABLE udt.users", "DROP TYPE udt.person", "DROP TYPE IF EXISTS udt.person")
}
