package repair

import (
	"math"

	"wcdb/ring"
)

// Intersect returns the tokens both a and b hold, as ranges that do not
// wrap (End MinToken meaning the end of the ring), ascending. A sub-range
// repair (-st, -et) repairs a range's intersection with (st, et].
func Intersect(a, b ring.Range) []ring.Range {
	type iv struct{ lo, hi uint64 } // tokens lo..hi, shifted to unsigned order
	ivs := func(r ring.Range) []iv {
		if r.Start == r.End {
			return []iv{{0, math.MaxUint64}}
		}
		var out []iv
		for _, p := range r.Unwrap() {
			if p.Start == math.MaxInt64 {
				continue // no token after the last one
			}
			lo := uint64(p.Start) ^ 1<<63 + 1
			hi := uint64(p.End) ^ 1<<63
			if p.End == ring.MinToken {
				hi = math.MaxUint64
			}
			if p.Start == ring.MinToken {
				lo = 0
			}
			out = append(out, iv{lo, hi})
		}
		return out
	}
	var out []ring.Range
	for _, x := range ivs(a) {
		for _, y := range ivs(b) {
			lo, hi := max(x.lo, y.lo), min(x.hi, y.hi)
			if lo > hi {
				continue
			}
			r := ring.Range{Start: int64((lo - 1) ^ 1<<63), End: int64(hi ^ 1<<63)}
			if lo == 0 {
				r.Start = ring.MinToken
			}
			if hi == math.MaxUint64 {
				r.End = ring.MinToken
			}
			out = append(out, r)
		}
	}
	return out
}
