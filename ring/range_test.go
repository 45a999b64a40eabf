package ring

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// TestRangeDataDriven runs testdata/range. Commands:
//
//	contains      input: a range "(start, end]", then tokens; prints in/out per token
//	unwrap        input: ranges, one per line; prints each range's pieces
//
// Tokens are integers or min, max, min+N, max-N.
func TestRangeDataDriven(t *testing.T) {
	datadriven.RunTest(t, "testdata/range", func(t *testing.T, d *datadriven.TestData) string {
		lines := strings.Split(strings.TrimSpace(d.Input), "\n")
		var out strings.Builder
		switch d.Cmd {
		case "contains":
			r := parseRange(t, lines[0])
			for _, line := range lines[1:] {
				for _, f := range strings.Fields(line) {
					verdict := "out"
					if r.Contains(parseToken(t, f)) {
						verdict = "in"
					}
					fmt.Fprintf(&out, "%s %s\n", f, verdict)
				}
			}
		case "unwrap":
			for _, line := range lines {
				r := parseRange(t, line)
				var pieces []string
				for _, p := range r.Unwrap() {
					pieces = append(pieces, formatRange(p))
				}
				fmt.Fprintf(&out, "%s -> %s\n", formatRange(r), strings.Join(pieces, " "))
			}
		default:
			d.Fatalf(t, "unknown command %q", d.Cmd)
		}
		return out.String()
	})
}

func parseToken(t *testing.T, s string) int64 {
	t.Helper()
	s = strings.TrimSpace(s)
	base, off := s, int64(0)
	if i := strings.IndexAny(s, "+-"); i > 0 {
		n, err := strconv.ParseInt(s[i:], 10, 64)
		if err != nil {
			t.Fatalf("bad token %q: %v", s, err)
		}
		base, off = s[:i], n
	}
	switch base {
	case "min":
		return MinToken + off
	case "max":
		return MaxToken + off
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("bad token %q: %v", s, err)
	}
	return n
}

func parseRange(t *testing.T, s string) Range {
	t.Helper()
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "(") || !strings.HasSuffix(s, "]") {
		t.Fatalf("bad range %q: want (start, end]", s)
	}
	start, end, ok := strings.Cut(s[1:len(s)-1], ",")
	if !ok {
		t.Fatalf("bad range %q: want (start, end]", s)
	}
	return Range{Start: parseToken(t, start), End: parseToken(t, end)}
}

// formatRange writes min and max by name so the expected output stays readable.
func formatRange(r Range) string {
	f := func(v int64) string {
		switch v {
		case MinToken:
			return "min"
		case MaxToken:
			return "max"
		}
		return strconv.FormatInt(v, 10)
	}
	return "(" + f(r.Start) + ", " + f(r.End) + "]"
}

func TestRangeString(t *testing.T) {
	for _, c := range []struct {
		r    Range
		want string
	}{
		{Range{10, 20}, "(10, 20]"},
		{Range{MinToken, MinToken}, "(-9223372036854775808, -9223372036854775808]"},
		{Range{MaxToken, -5}, "(9223372036854775807, -5]"},
	} {
		if got := c.r.String(); got != c.want {
			t.Errorf("Range%v.String() = %q, want %q", [2]int64{c.r.Start, c.r.End}, got, c.want)
		}
	}
}

// inModel is Contains by another route: t is in (Start, End] when its
// clockwise distance from Start is in (0, length], length being the clockwise
// distance from Start to End, 0 standing for the whole ring.
func inModel(r Range, t int64) bool {
	length := uint64(r.End) - uint64(r.Start)
	d := uint64(t) - uint64(r.Start)
	if length == 0 {
		return true
	}
	return d > 0 && d <= length
}

// TestRangeProperties draws ranges and tokens near the interesting points
// (the ends of the ring, the range's own ends) and checks Contains against
// inModel, and Unwrap's pieces against Contains.
func TestRangeProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	special := []int64{MinToken, MinToken + 1, -1, 0, 1, MaxToken - 1, MaxToken}
	pick := func(near ...int64) int64 {
		switch rng.IntN(4) {
		case 0:
			return special[rng.IntN(len(special))]
		case 1:
			if len(near) > 0 {
				return near[rng.IntN(len(near))] + int64(rng.IntN(3)) - 1
			}
		case 2:
			return int64(rng.IntN(11)) - 5
		}
		return int64(rng.Uint64())
	}
	for range 20000 {
		r := Range{Start: pick(), End: pick()}
		if rng.IntN(10) == 0 {
			r.End = r.Start
		}
		pieces := r.Unwrap()
		if len(pieces) < 1 || len(pieces) > 2 {
			t.Fatalf("%v.Unwrap() = %v: want 1 or 2 pieces", r, pieces)
		}
		for _, p := range pieces {
			if p.Start >= p.End && p.End != MinToken {
				t.Fatalf("%v.Unwrap() piece %v wraps and does not end at MinToken", r, p)
			}
		}
		for range 20 {
			tok := pick(r.Start, r.End)
			got := r.Contains(tok)
			if want := inModel(r, tok); got != want {
				t.Fatalf("%v.Contains(%d) = %v, want %v", r, tok, got, want)
			}
			n := 0
			for _, p := range pieces {
				if p.Contains(tok) {
					n++
				}
			}
			want := 0
			if got {
				want = 1
			}
			if n != want {
				t.Fatalf("%v.Contains(%d) = %v, but the token lies in %d of its pieces %v, want %d", r, tok, got, n, pieces, want)
			}
		}
	}
}

func TestRangeFullRing(t *testing.T) {
	full := Range{Start: MinToken, End: MinToken}
	for _, tok := range []int64{math.MinInt64, math.MinInt64 + 1, 0, math.MaxInt64} {
		if !full.Contains(tok) {
			t.Errorf("(min, min].Contains(%d) = false, want true", tok)
		}
	}
	if got := full.Unwrap(); len(got) != 1 || got[0] != full {
		t.Errorf("(min, min].Unwrap() = %v, want [%v]", got, full)
	}
}
