// Package keyrange is the algebra of clustering ranges: [start, end) on
// the byte-comparable clustering encoding (schema.AppendComparable), kept
// sorted and disjoint, so that mixed ASC/DESC columns and multi-column
// slices read exactly the rows Cassandra returns.
package keyrange

import (
	"bytes"
	"slices"

	"wcdb/mutation"
	"wcdb/schema"
)

// Range is a clustering range [start, end); a nil start or end is open.
type Range struct{ Start, End []byte }

func cmpStart(a, b []byte) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return bytes.Compare(a, b)
}

func cmpEnd(a, b []byte) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return bytes.Compare(a, b)
}

// Empty reports whether r holds no key.
func (r Range) Empty() bool {
	return r.Start != nil && r.End != nil && bytes.Compare(r.Start, r.End) >= 0
}

// Contains reports whether c lies in r.
func (r Range) Contains(c []byte) bool {
	return (r.Start == nil || bytes.Compare(c, r.Start) >= 0) && (r.End == nil || bytes.Compare(c, r.End) < 0)
}

// Normalize sorts ranges and merges the overlapping and adjacent
// ones, dropping empty ones.
func Normalize(rs []Range) []Range {
	rs = slices.DeleteFunc(rs, Range.Empty)
	slices.SortFunc(rs, func(a, b Range) int { return cmpStart(a.Start, b.Start) })
	var out []Range
	for _, r := range rs {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.End == nil || (r.Start != nil && bytes.Compare(r.Start, last.End) <= 0) {
				if cmpEnd(r.End, last.End) > 0 {
					last.End = r.End
				}
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

// Intersect intersects two normalized range lists.
func Intersect(a, b []Range) []Range {
	var out []Range
	for _, x := range a {
		for _, y := range b {
			r := Range{Start: x.Start, End: x.End}
			if cmpStart(y.Start, r.Start) > 0 {
				r.Start = y.Start
			}
			if cmpEnd(y.End, r.End) < 0 {
				r.End = y.End
			}
			if !r.Empty() {
				out = append(out, r)
			}
		}
	}
	return Normalize(out)
}

// Prefix is the range of keys with clustering prefix p.
func Prefix(p []byte) Range {
	if len(p) == 0 {
		return Range{}
	}
	return Range{Start: p, End: mutation.PrefixEnd(p)}
}

// Slice returns the range, inside prefix p, of the rows whose next
// clustering column (type t, descending if desc) satisfies the bounds lo
// and hi (either may be nil), by value as CQL compares.
func Slice(p []byte, t schema.Type, desc bool, lo, hi []byte, loIncl, hiIncl bool, hasLo, hasHi bool) Range {
	pr := Prefix(p)
	r := pr
	enc := func(v []byte) []byte {
		return schema.AppendComparable(slices.Clip(p), t, v, desc)
	}
	// In byte order an ascending column's lower bound is a start; a
	// descending column's lower bound is an end.
	if hasLo {
		k := enc(lo)
		if !desc {
			if loIncl {
				r.Start = k
			} else {
				r.Start = mutation.PrefixEnd(k)
			}
		} else {
			if loIncl {
				r.End = mutation.PrefixEnd(k)
			} else {
				r.End = k
			}
		}
	}
	if hasHi {
		k := enc(hi)
		if !desc {
			if hiIncl {
				r.End = mutation.PrefixEnd(k)
			} else {
				r.End = k
			}
		} else {
			if hiIncl {
				r.Start = k
			} else {
				r.Start = mutation.PrefixEnd(k)
			}
		}
	}
	if r.Start == nil && pr.Start != nil {
		r.Start = pr.Start
	}
	return r
}
