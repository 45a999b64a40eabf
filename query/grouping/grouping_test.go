package grouping

import (
	"fmt"
	"testing"
)

func TestSort(t *testing.T) {
	row := func(s string) [][]byte { return [][]byte{[]byte(s)} }
	rows := [][][]byte{row("p1 b2"), row("p1 b4"), row("p2 b2"), row("p2 b4"), row("p4 b8"), row("static")}
	prefixes := [][]byte{{2}, {4}, {2}, {4}, {8}, nil}
	for _, tc := range []struct {
		reversed bool
		limit    int
		want     string
	}{
		{false, -1, "[static p1 b2 p2 b2 p1 b4 p2 b4 p4 b8]"},
		{true, -1, "[p4 b8 p1 b4 p2 b4 p1 b2 p2 b2 static]"},
		{true, 3, "[p4 b8 p1 b4 p2 b4]"},
	} {
		out := Sort(rows, prefixes, tc.reversed, tc.limit)
		var names []string
		for _, r := range out {
			names = append(names, string(r[0]))
		}
		if got := fmt.Sprint(names); got != tc.want {
			t.Errorf("Sort(reversed=%v, limit=%d) = %s, want %s", tc.reversed, tc.limit, got, tc.want)
		}
	}
}
