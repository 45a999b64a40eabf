package mutation

import (
	"bytes"
	"slices"
)

// MergeRows reconciles two versions of the same row into dst, reusing dst's
// cell storage (dst may not be a or b). Cells of the result alias a and b.
// Data shadowed by the merged row deletion or by a column deletion is dropped
// (the deletion that shadows it is kept, so nothing can resurface).
func MergeRows(dst, a, b *Row) {
	dst.Clustering = a.Clustering
	dst.Liveness = a.Liveness
	if b.Liveness.Supersedes(a.Liveness) {
		dst.Liveness = b.Liveness
	}
	dst.Deletion = a.Deletion.Max(b.Deletion)
	dst.Cells = dst.Cells[:0]
	i, j := 0, 0
	for i < len(a.Cells) || j < len(b.Cells) {
		var c *Cell
		switch {
		case i == len(a.Cells):
			c = &b.Cells[j]
			j++
		case j == len(b.Cells):
			c = &a.Cells[i]
			i++
		default:
			switch cmp := compareCellPos(&a.Cells[i], &b.Cells[j]); {
			case cmp < 0:
				c = &a.Cells[i]
				i++
			case cmp > 0:
				c = &b.Cells[j]
				j++
			default:
				c = Reconcile(&a.Cells[i], &b.Cells[j])
				i++
				j++
			}
		}
		dst.Cells = append(dst.Cells, *c)
	}
	dst.Shadow(Live)
}

// Shadow drops what del, the row's own deletion and its column deletions
// delete: cells and row marker written at or before them. del is the
// deletion covering the row from outside it (partition or range tombstone);
// the row keeps its own deletion only if it supersedes del.
func (r *Row) Shadow(del Deletion) {
	if !del.IsLive() && !r.Deletion.Supersedes(del) {
		r.Deletion = Live
	}
	eff := del.Max(r.Deletion)
	if eff.IsLive() {
		// Only column deletions can shadow.
		if !r.hasColumnDeletion() {
			return
		}
	}
	if eff.Shadows(r.Liveness.Timestamp) {
		r.Liveness = NoLiveness
	}
	out := r.Cells[:0]
	colDel := Live
	colDelFor := uint32(0)
	for i := range r.Cells {
		c := r.Cells[i]
		if eff.Shadows(c.Timestamp) {
			continue
		}
		if c.IsColumnDeletion() {
			colDel, colDelFor = Deletion{c.Timestamp, c.LocalDeletionTime}, c.Column
			out = append(out, c)
			continue
		}
		if colDelFor == c.Column && len(c.Path) > 0 && colDel.Shadows(c.Timestamp) {
			continue
		}
		out = append(out, c)
	}
	r.Cells = out
}

func (r *Row) hasColumnDeletion() bool {
	for i := range r.Cells {
		if r.Cells[i].IsColumnDeletion() {
			return true
		}
	}
	return false
}

// Visible reduces r, in place, to what a reader sees at now (seconds): del
// (the partition deletion merged with any range tombstone covering the row)
// and the row's own deletions are applied, then tombstones and expired cells
// are dropped. It reports whether the row exists: a live row marker or at
// least one live cell.
func (r *Row) Visible(del Deletion, now int64) bool {
	r.Shadow(del)
	r.Deletion = Live
	if !r.Liveness.IsEmpty() && !r.Liveness.IsLive(now) {
		r.Liveness = NoLiveness
	}
	out := r.Cells[:0]
	for i := range r.Cells {
		if r.Cells[i].IsLive(now) {
			out = append(out, r.Cells[i])
		}
	}
	r.Cells = out
	return !r.Liveness.IsEmpty() || len(r.Cells) > 0
}

// MergeHeaders reconciles two versions of a partition header. The merged
// static row, if both have one, is new storage whose cells alias a and b.
func MergeHeaders(a, b *Header) Header {
	h := Header{Deletion: a.Deletion.Max(b.Deletion)}
	if len(a.RangeTombstones)+len(b.RangeTombstones) > 0 {
		h.RangeTombstones = make([]RangeTombstone, 0, len(a.RangeTombstones)+len(b.RangeTombstones))
		for _, rts := range [][]RangeTombstone{a.RangeTombstones, b.RangeTombstones} {
			for _, rt := range rts {
				// A range tombstone no newer than the partition deletion
				// deletes nothing more; one already kept (the same write
				// applied twice) adds nothing.
				if rt.Deletion.Timestamp > h.Deletion.Timestamp && !slices.ContainsFunc(h.RangeTombstones, rt.equal) {
					h.RangeTombstones = append(h.RangeTombstones, rt)
				}
			}
		}
	}
	switch {
	case a.Static != nil && b.Static != nil:
		h.Static = new(Row)
		MergeRows(h.Static, a.Static, b.Static)
	case a.Static != nil:
		h.Static = a.Static
	case b.Static != nil:
		h.Static = b.Static
	}
	if h.Static != nil && !h.Deletion.IsLive() {
		s := *h.Static
		s.Cells = append([]Cell(nil), s.Cells...)
		s.Shadow(h.Deletion)
		if s.IsEmpty() {
			h.Static = nil
		} else {
			h.Static = &s
		}
	}
	return h
}

func (rt RangeTombstone) equal(o RangeTombstone) bool {
	return rt.Deletion == o.Deletion && bytes.Equal(rt.Start, o.Start) && bytes.Equal(rt.End, o.End) &&
		(rt.Start == nil) == (o.Start == nil) && (rt.End == nil) == (o.End == nil)
}

// SelectColumns keeps the cells of the given column ids (ascending; nil
// keeps all), in place.
func (r *Row) SelectColumns(cols []uint32) {
	if cols == nil {
		return
	}
	out := r.Cells[:0]
	j := 0
	for _, c := range r.Cells {
		for j < len(cols) && cols[j] < c.Column {
			j++
		}
		if j < len(cols) && cols[j] == c.Column {
			out = append(out, c)
		}
	}
	r.Cells = out
}

// RowDeletion returns the deletion covering the regular row with clustering
// key c from outside it: the partition deletion and every range tombstone
// covering c.
func (h *Header) RowDeletion(c []byte) Deletion {
	d := h.Deletion
	for i := range h.RangeTombstones {
		if h.RangeTombstones[i].Covers(c) {
			d = d.Max(h.RangeTombstones[i].Deletion)
		}
	}
	return d
}
