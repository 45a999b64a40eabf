package replication

import (
	"bytes"

	"wcdb/mutation"
)

// reconcile merges replicas' raw answers for one partition (nil: no data)
// into the newest version of each cell, row and deletion, as Cassandra's
// read resolver does. Rows are in read order (descending if reverse). The
// result is new storage, or nil if no replica had anything.
func reconcile(ps []*mutation.Partition, reverse bool) *mutation.Partition {
	var out *mutation.Partition
	for _, p := range ps {
		if p == nil {
			continue
		}
		if out == nil {
			c := *p
			c.Rows = append([]mutation.Row(nil), p.Rows...)
			out = &c
			continue
		}
		out = mergeTwo(out, p, reverse)
	}
	return out
}

func mergeTwo(a, b *mutation.Partition, reverse bool) *mutation.Partition {
	ha := mutation.Header{Deletion: a.Deletion, RangeTombstones: a.RangeTombstones, Static: a.Static}
	hb := mutation.Header{Deletion: b.Deletion, RangeTombstones: b.RangeTombstones, Static: b.Static}
	h := mutation.MergeHeaders(&ha, &hb)
	out := &mutation.Partition{Key: a.Key, Deletion: h.Deletion, RangeTombstones: h.RangeTombstones, Static: h.Static,
		Rows: make([]mutation.Row, 0, max(len(a.Rows), len(b.Rows)))}
	cmp := func(x, y []byte) int {
		if reverse {
			return bytes.Compare(y, x)
		}
		return bytes.Compare(x, y)
	}
	i, j := 0, 0
	for i < len(a.Rows) || j < len(b.Rows) {
		switch {
		case j == len(b.Rows) || i < len(a.Rows) && cmp(a.Rows[i].Clustering, b.Rows[j].Clustering) < 0:
			out.Rows = append(out.Rows, a.Rows[i])
			i++
		case i == len(a.Rows) || cmp(a.Rows[i].Clustering, b.Rows[j].Clustering) > 0:
			out.Rows = append(out.Rows, b.Rows[j])
			j++
		default:
			var r mutation.Row
			mutation.MergeRows(&r, &a.Rows[i], &b.Rows[j])
			out.Rows = append(out.Rows, r)
			i++
			j++
		}
	}
	return out
}

// visible reduces a raw partition to what a reader sees at now (seconds):
// deletions applied, expired and deleted data dropped, cmd's columns
// selected, at most cmd.Limit live rows. It returns nil if nothing is
// visible. p is not modified.
func visible(p *mutation.Partition, columns []uint32, limit int, now int64, v mutation.VersionRule) *mutation.Partition {
	if p == nil {
		return nil
	}
	h := mutation.Header{Deletion: p.Deletion, RangeTombstones: p.RangeTombstones}
	out := &mutation.Partition{Key: p.Key, Deletion: mutation.Live}
	if p.Static != nil {
		st := *p.Static
		st.Cells = append([]mutation.Cell(nil), st.Cells...)
		st.Shadow(p.Deletion)
		st.SelectColumns(columns)
		if st.Visible(mutation.Live, now) {
			out.Static = &st
		}
	}
	for i := range p.Rows {
		if limit > 0 && len(out.Rows) >= limit {
			break
		}
		r := p.Rows[i]
		r.Cells = append([]mutation.Cell(nil), r.Cells...)
		r.Shadow(h.RowDeletion(r.Clustering))
		r.ApplyVersions(v, now*1e6) // before Visible drops expired versions, which count
		r.SelectColumns(columns)
		if r.Visible(mutation.Live, now) {
			out.Rows = append(out.Rows, r)
		}
	}
	if out.Static == nil && len(out.Rows) == 0 {
		return nil
	}
	return out
}

// truncateAfter drops the rows of p beyond clustering key c in read order
// (c itself is kept).
func truncateAfter(p *mutation.Partition, c []byte, reverse bool) {
	if p == nil {
		return
	}
	n := len(p.Rows)
	for n > 0 {
		k := bytes.Compare(p.Rows[n-1].Clustering, c)
		if reverse {
			k = -k
		}
		if k <= 0 {
			break
		}
		n--
	}
	p.Rows = p.Rows[:n]
}
