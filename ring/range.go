package ring

import "strconv"

// Range is the token range (Start, End]: the tokens after Start up to and
// including End, the same convention as Cassandra's Range. A node with token
// T owns (previous node's token, T].
//
// A range with Start >= End wraps around the ring: it holds the tokens after
// Start up to MaxToken and then from MinToken up to End. So (x, x] is the
// whole ring for any x, written canonically as (MinToken, MinToken]; and
// (x, MinToken] means from x to the end of the ring (it also holds MinToken,
// which no non-empty key has).
type Range struct {
	Start, End int64
}

// Wraps reports whether r wraps around the ring (Start >= End).
func (r Range) Wraps() bool { return r.Start >= r.End }

// Contains reports whether token t lies in r.
func (r Range) Contains(t int64) bool {
	if r.Wraps() {
		return t > r.Start || t <= r.End
	}
	return t > r.Start && t <= r.End
}

// Unwrap splits r into ranges that each either do not wrap (Start < End) or
// end at MinToken, meaning "to the end of the ring": a scan over tokens can
// then walk each piece in increasing order. A wrapping r with End != MinToken
// becomes (Start, MinToken] and (MinToken, End]; any other r is returned
// alone. The pieces hold the same tokens as r, as Cassandra's Range.unwrap.
func (r Range) Unwrap() []Range {
	if !r.Wraps() || r.End == MinToken {
		return []Range{r}
	}
	return []Range{{Start: r.Start, End: MinToken}, {Start: MinToken, End: r.End}}
}

// String formats r as "(Start, End]".
func (r Range) String() string {
	b := make([]byte, 0, 44)
	b = append(b, '(')
	b = strconv.AppendInt(b, r.Start, 10)
	b = append(b, ", "...)
	b = strconv.AppendInt(b, r.End, 10)
	b = append(b, ']')
	return string(b)
}
