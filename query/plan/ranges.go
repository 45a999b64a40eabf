package plan

// Clustering ranges: [start, end) on the byte-comparable clustering
// encoding, sorted and disjoint, so that mixed ASC/DESC columns and
// multi-column slices such as (c1, c2) > (1, 2) read exactly the rows
// Cassandra returns, in table order (backwards for a reversed read).

import (
	"bytes"
	"slices"
	"wcdb/query/term"

	"wcdb/query/plan/keyrange"
	"wcdb/query/qerr"
	"wcdb/schema"
)

// Range is a clustering range [start, end); a nil start or end is open.
type Range = keyrange.Range

// IntersectRanges intersects two normalized range lists.
func IntersectRanges(a, b []Range) []Range { return keyrange.Intersect(a, b) }

// ckValue evaluates a clustering value (null and unset refused) and
// normalizes it.
func ckValue(b *Binder, t Term, c *schema.Column) ([]byte, error) {
	v, err := keyValue(b, t, c)
	if err != nil {
		return nil, err
	}
	nv, err := schema.Normalize(c.Type, v)
	if err != nil {
		return nil, qerr.Convert("", err)
	}
	return nv, nil
}

// clusteringPrefixes returns the values of the clustering columns
// restricted by = or IN from the first one on (the cartesian product), and
// the number of columns they cover. With a multi-column = or IN the tuples
// are its values.
func (w *Where) clusteringPrefixes(b *Binder) ([][][]byte, int, error) {
	ck := w.t.Clustering()
	if m := w.Multi; m != nil && (m.Eq != nil || m.IsIn) {
		var tuples []Term
		var vals [][]byte
		switch {
		case m.Eq != nil:
			tuples = []Term{m.Eq}
		case m.inList != nil:
			l, err := m.inList.Eval(b)
			if err != nil {
				return nil, 0, err
			}
			if l == nil || term.IsUnset(l) {
				return nil, 0, qerr.Invalidf("Invalid null value for IN restriction")
			}
			if vals, err = SplitList(l); err != nil {
				return nil, 0, err
			}
		default:
			tuples = m.in
		}
		for _, t := range tuples {
			v, err := t.Eval(b)
			if err != nil {
				return nil, 0, err
			}
			vals = append(vals, v)
		}
		if err := checkCombinations(len(vals)); err != nil {
			return nil, 0, err
		}
		out := make([][][]byte, 0, len(vals))
		for _, v := range vals {
			if v == nil || term.IsUnset(v) {
				return nil, 0, qerr.Invalidf("Invalid null value in condition for column %s", m.Cols[0].Name)
			}
			fields, err := splitTupleValue(v, len(m.Cols))
			if err != nil {
				return nil, 0, err
			}
			if len(fields) > len(m.Cols) {
				return nil, 0, qerr.Invalidf("Invalid tuple value for %d columns", len(m.Cols))
			}
			for i, f := range fields {
				if f == nil {
					return nil, 0, qerr.Invalidf("Invalid null value in condition for column %s", m.Cols[i].Name)
				}
				if fields[i], err = schema.Normalize(ck[i].Type, f); err != nil {
					return nil, 0, qerr.Convert("", err)
				}
			}
			out = append(out, fields)
		}
		return out, len(m.Cols), nil
	}
	combos := [][][]byte{{}}
	n := 0
	for _, r := range w.CK {
		if r == nil || !r.IsEqOrIn() {
			break
		}
		vals, err := r.values(b)
		if err != nil {
			return nil, 0, err
		}
		if err := checkCombinations(len(combos) * len(vals)); err != nil {
			return nil, 0, err
		}
		next := make([][][]byte, 0, len(combos)*len(vals))
		for _, c := range combos {
			for _, v := range vals {
				nv, err := schema.Normalize(r.col.Type, v)
				if err != nil {
					return nil, 0, qerr.Convert("", err)
				}
				next = append(next, append(slices.Clip(c), nv))
			}
		}
		combos = next
		n++
	}
	return combos, n, nil
}

// encodePrefixes encodes clustering prefixes and returns them sorted in
// clustering order, without duplicates.
func (w *Where) encodePrefixes(prefixes [][][]byte) ([][]byte, error) {
	types, desc := w.t.ClusteringTypes()
	out := make([][]byte, 0, len(prefixes))
	for _, p := range prefixes {
		k, err := schema.ClusteringKey(types, desc, p)
		if err != nil {
			return nil, qerr.Convert("", err)
		}
		if k == nil {
			k = []byte{}
		}
		out = append(out, k)
	}
	slices.SortFunc(out, bytes.Compare)
	return slices.CompactFunc(out, bytes.Equal), nil
}

// wholePartition is the one range of a partition's every row. Shared:
// callers never write into range slices they are given.
var wholePartition = []Range{{}}

// ClusteringRanges returns the clustering ranges the restrictions select
// (sliceCols: the restrictions used, from the first clustering column;
// later ones are left to filtering), normalized.
func (w *Where) ClusteringRanges(b *Binder, sliceCols int) ([]Range, error) {
	if sliceCols == 0 && w.Multi == nil {
		return wholePartition, nil
	}
	prefixes, n, err := w.clusteringPrefixes(b)
	if err != nil {
		return nil, err
	}
	if n > sliceCols && w.Multi == nil {
		n = sliceCols
		for i := range prefixes {
			prefixes[i] = prefixes[i][:n]
		}
	}
	enc, err := w.encodePrefixes(prefixes)
	if err != nil {
		return nil, err
	}
	if m := w.Multi; m != nil && (m.lo != nil || m.hi != nil) {
		return w.multiSliceRanges(b)
	}
	var sr *Restriction
	if w.Multi == nil && n < sliceCols && n < len(w.CK) && w.CK[n] != nil && w.CK[n].IsSlice() {
		sr = w.CK[n]
	}
	out := make([]Range, 0, len(enc))
	for _, p := range enc {
		if sr == nil {
			out = append(out, keyrange.Prefix(p))
			continue
		}
		var lo, hi []byte
		var err error
		if sr.lo != nil {
			if lo, err = ckValue(b, sr.lo.t, sr.col); err != nil {
				return nil, err
			}
		}
		if sr.hi != nil {
			if hi, err = ckValue(b, sr.hi.t, sr.col); err != nil {
				return nil, err
			}
		}
		loIncl, hiIncl := sr.lo != nil && sr.lo.incl, sr.hi != nil && sr.hi.incl
		out = append(out, keyrange.Slice(p, sr.col.Type, sr.col.Desc, lo, hi, loIncl, hiIncl, sr.lo != nil, sr.hi != nil))
	}
	return keyrange.Normalize(out), nil
}

// multiSliceRanges turns (c1, ..., cn) > (v1, ..., vn) (and <, <=, >=)
// into byte ranges: the lexicographic comparison by value is the union over
// i of (c1..ci-1 = v1..vi-1 and ci > vi), each a slice inside a prefix,
// whatever the columns' directions.
func (w *Where) multiSliceRanges(b *Binder) ([]Range, error) {
	m := w.Multi
	ck := w.t.Clustering()
	side := func(mb *mbound, lower bool) ([]Range, error) {
		if mb == nil {
			return []Range{{}}, nil
		}
		v, err := mb.t.Eval(b)
		if err != nil {
			return nil, err
		}
		if v == nil || term.IsUnset(v) {
			return nil, qerr.Invalidf("Invalid null value in condition for column %s", ck[0].Name)
		}
		fields, err := splitTupleValue(v, mb.n)
		if err != nil {
			return nil, err
		}
		if len(fields) > mb.n {
			return nil, qerr.Invalidf("Invalid tuple value for %d columns", mb.n)
		}
		for i, f := range fields {
			if f == nil {
				return nil, qerr.Invalidf("Invalid null value in condition for column %s", ck[i].Name)
			}
			if fields[i], err = schema.Normalize(ck[i].Type, f); err != nil {
				return nil, qerr.Convert("", err)
			}
		}
		var out []Range
		var p []byte
		for i := 0; i < mb.n; i++ {
			c := &ck[i]
			if lower {
				out = append(out, keyrange.Slice(p, c.Type, c.Desc, fields[i], nil, false, false, true, false))
			} else {
				out = append(out, keyrange.Slice(p, c.Type, c.Desc, nil, fields[i], false, false, false, true))
			}
			p = schema.AppendComparable(slices.Clip(p), c.Type, fields[i], c.Desc)
		}
		if mb.incl {
			out = append(out, keyrange.Prefix(p))
		}
		return keyrange.Normalize(out), nil
	}
	lo, err := side(m.lo, true)
	if err != nil {
		return nil, err
	}
	hi, err := side(m.hi, false)
	if err != nil {
		return nil, err
	}
	return IntersectRanges(lo, hi), nil
}

// FullClusterings returns the clustering keys of the rows an UPDATE or
// DELETE names with = and IN on every clustering column.
func (w *Where) FullClusterings(b *Binder) ([][]byte, error) {
	if key, ok, err := w.eqClustering(b); ok {
		return key, err
	}
	prefixes, n, err := w.clusteringPrefixes(b)
	if err != nil {
		return nil, err
	}
	if n != len(w.CK) {
		return nil, qerr.Invalidf("query: clustering is not fully restricted")
	}
	return w.encodePrefixes(prefixes)
}

// eqClustering is FullClusterings when every clustering column is
// restricted by = (an INSERT's or a single-row UPDATE's, the common case):
// the one key, encoded as the values are read, without the product of
// clusteringPrefixes. ok is false when the restrictions are not so.
func (w *Where) eqClustering(b *Binder) (keys [][]byte, ok bool, err error) {
	if w.Multi != nil {
		return nil, false, nil
	}
	for _, r := range w.CK {
		if r == nil || r.Eq == nil {
			return nil, false, nil
		}
	}
	key := []byte{}
	for _, r := range w.CK {
		v, err := ckValue(b, r.Eq, r.col)
		if err != nil {
			return nil, true, err
		}
		key = schema.AppendComparable(key, r.col.Type, v, r.col.Desc)
	}
	return [][]byte{key}, true, nil
}
