package server

import (
	"encoding/json"
	"testing"
)

// TestCompatGocqlJSON: gocql reads SELECT JSON's one [json] column and
// toJson(), and binds fromJson(?) in a prepared statement.
func TestCompatGocqlJSON(t *testing.T) {
	n := compatNode(t)
	s := compatSession(t, n, nil)
	mustExec(t, s,
		"CREATE KEYSPACE js WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE js.t (k int PRIMARY KEY, tags set<text>, attrs map<text, int>, at timestamp)")
	if err := s.Query("INSERT INTO js.t (k, tags, attrs, at) VALUES (?, fromJson(?), fromJson(?), '2024-05-06 07:08:09Z')",
		1, `["b", "a"]`, `{"x": 1}`).Exec(); err != nil {
		t.Fatal(err)
	}
	var doc string
	if err := s.Query("SELECT JSON * FROM js.t WHERE k = 1").Scan(&doc); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(doc), &got); err != nil {
		t.Fatalf("SELECT JSON gave %q: %v", doc, err)
	}
	tags, _ := got["tags"].([]any)
	if got["k"] != 1.0 || len(tags) != 2 || tags[0] != "a" || got["at"] != "2024-05-06 07:08:09.000Z" {
		t.Errorf("SELECT JSON: %s", doc)
	}
	var attrs string
	if err := s.Query("SELECT toJson(attrs) FROM js.t WHERE k = 1").Scan(&attrs); err != nil || attrs != `{"x": 1}` {
		t.Errorf("toJson(attrs): %q, %v", attrs, err)
	}
}
