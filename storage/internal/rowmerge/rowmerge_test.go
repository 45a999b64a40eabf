package rowmerge

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// sliceIter iterates over clustering keys, in the order given.
type sliceIter struct {
	keys []string
	i    int
}

func (s *sliceIter) Next() bool         { s.i++; return s.i <= len(s.keys) }
func (s *sliceIter) Clustering() []byte { return []byte(s.keys[s.i-1]) }
func (s *sliceIter) Row() []byte        { return nil }
func (s *sliceIter) Err() error         { return nil }
func (s *sliceIter) Close() error       { return nil }

func TestMerger(t *testing.T) {
	for _, tc := range []struct {
		reverse bool
		srcs    [][]string
		want    string
	}{
		{false, [][]string{{"a", "c"}, {"b", "c", "d"}, nil}, "a[0] b[1] c[0 1] d[1]"},
		{true, [][]string{{"c", "a"}, {"d", "c", "b"}}, "d[1] c[0 1] b[1] a[0]"},
		{false, nil, ""},
	} {
		its := make([]Iter, len(tc.srcs))
		for i, keys := range tc.srcs {
			its[i] = &sliceIter{keys: keys}
		}
		var m Merger
		m.Reset(its, tc.reverse)
		var got []string
		for {
			c, ok, err := m.Next()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			got = append(got, fmt.Sprintf("%s%v", c, slices.Clone(m.Cur)))
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("reverse %v, %v: got %q, want %q", tc.reverse, tc.srcs, g, tc.want)
		}
	}
}
