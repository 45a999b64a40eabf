package memsize

import (
	"reflect"
	"testing"
)

type node struct {
	name  string
	data  []byte
	next  *node
	share *shared
}

// shared holds what nodes share: a big array behind a pointer.
type shared struct{ big [1 << 16]byte }

// TestMeasure: allocations counted once at their size class, substrings
// of the text free, skipped types not followed, the limit stopping the
// walk.
func TestMeasure(t *testing.T) {
	text := "SELECT a FROM t"
	sh := &shared{}
	sh.big[0] = 1
	b := &node{name: text[7:8], data: make([]byte, 1000), share: sh}
	a := &node{name: "x", data: make([]byte, 10), next: b, share: sh}
	b.next = a // a cycle: each counted once
	skip := func(t reflect.Type) bool { return t == reflect.TypeOf(shared{}) }
	got, over := Measure(a, 1<<20, Options{Text: text, Skip: skip})
	nodeSize := int64(roundAlloc(reflect.TypeOf(node{}).Size()))
	// Two nodes, "x" (8-byte class), 16 bytes of data, 1024 for 1000.
	if want := 2*nodeSize + 8 + 16 + 1024; got != want || over {
		t.Errorf("Measure = %d, %v; want %d", got, over, want)
	}
	if got, _ := Measure(a, 1<<20, Options{}); got <= 1<<16 {
		t.Errorf("without Skip: %d, want the shared array counted", got)
	}
	if _, over := Measure(a, 100, Options{Skip: skip}); !over {
		t.Error("over a 100-byte limit: not reported")
	}
}
