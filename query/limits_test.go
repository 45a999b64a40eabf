package query

import (
	"context"
	"errors"
	"strings"
	"testing"

	"wcdb/mutation"
	"wcdb/query/parser"
	"wcdb/replication"
	"wcdb/schema"
)

// TestParseLimits checks that oversized statements, deep nesting and huge
// IN lists get a clear Invalid error instead of exhausting memory or the
// stack.
func TestParseLimits(t *testing.T) {
	deep := "INSERT INTO t (k, v) VALUES (0, " + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + ")"
	deepType := "CREATE TABLE t (k int PRIMARY KEY, v " + strings.Repeat("frozen<list<", 1000) + "int" + strings.Repeat(">>", 1000) + ")"
	manyIn := "SELECT * FROM t WHERE k IN (" + strings.Repeat("1,", parser.MaxInValues) + "1)"
	for _, tc := range []struct {
		name, src, want string
	}{
		{"size", "SELECT * FROM t WHERE k = '" + strings.Repeat("x", parser.MaxStatementSize) + "'", "longer than the limit"},
		{"nesting", deep, "nested more than"},
		{"type nesting", deepType, "nested more than"},
		{"in list", manyIn, "IN list of more than"},
	} {
		_, err := parser.Parse(tc.src)
		var ie *parser.InvalidError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an InvalidError saying %q", tc.name, err, tc.want)
		}
	}
	// Just inside the limits parses.
	ok := "INSERT INTO t (k, v) VALUES (0, " + strings.Repeat("[", parser.MaxNesting-2) + strings.Repeat("]", parser.MaxNesting-2) + ")"
	if _, err := parser.Parse(ok); err != nil {
		t.Errorf("nesting within the limit: %v", err)
	}
	// The pooled parser is usable after a limit error.
	if _, err := parser.Parse("SELECT * FROM t"); err != nil {
		t.Errorf("after limit errors: %v", err)
	}
}

// TestInCombinationsLimit checks that bound IN lists whose product
// exceeds MaxInCombinations are refused before any read.
func TestInCombinationsLimit(t *testing.T) {
	h := newQH(t)
	if err := h.createTable("CREATE TABLE t (a int, b int, c int, v int, PRIMARY KEY ((a, b), c))"); err != nil {
		t.Fatal(err)
	}
	p, err := h.x.Prepare(h.s, "SELECT * FROM t WHERE a IN ? AND b IN ?")
	if err != nil {
		t.Fatal(err)
	}
	list := func(n int) []byte {
		elems := make([]any, n)
		for i := range elems {
			elems[i] = int64(i)
		}
		b, err := schema.Encode(schema.ListOf(schema.Native(schema.KindInt)), elems)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	opts := &Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp, Values: [][]byte{list(300), list(300)}}
	_, err = h.x.Execute(context.Background(), h.s, p, opts)
	if code, _ := ErrorKindOf(err); code != KindInvalid || !strings.Contains(err.Error(), "combinations") {
		t.Errorf("90000 combinations: got %v, want Invalid naming the limit", err)
	}
	opts.Values = [][]byte{list(3), list(3)}
	if _, err := h.x.Execute(context.Background(), h.s, p, opts); err != nil {
		t.Errorf("9 combinations: %v", err)
	}
}
