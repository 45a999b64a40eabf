package mutation

import (
	"bytes"
	"cmp"
	"slices"
)

// MergeRows reconciles two versions of the same row into dst, reusing dst's
// cell storage (dst may not be a or b). Cells of the result alias a and b.
// Data shadowed by the merged row deletion or by a column deletion is dropped
// (the deletion that shadows it is kept, so nothing can resurface): the
// result is in canonical form, Shadow(Live), whatever a and b were, so a row
// merged with itself, or with the same writes in another grouping, comes out
// the same. Shadowing commutes with reconciliation (a cell a deletion
// shadows loses to, or is shadowed with, every version it could meet), so
// dropping it early changes no later merge.
func MergeRows(dst, a, b *Row) {
	dst.Clustering = a.Clustering
	dst.Liveness = a.Liveness
	if b.Liveness.Supersedes(a.Liveness) {
		dst.Liveness = b.Liveness
	}
	dst.Deletion = a.Deletion.Max(b.Deletion)
	dst.Cells = dst.Cells[:0]
	// Cells the merged row deletion shadows are dropped before they are
	// reconciled, as Cassandra's merge does: for ordinary cells it is the
	// same as dropping the winner after, but two counter cells merge into
	// one with the later timestamp, which would carry a deleted cell's
	// shards past the deletion.
	del, shadowing := dst.Deletion, !dst.Deletion.IsLive()
	i, j := 0, 0
	for i < len(a.Cells) || j < len(b.Cells) {
		if shadowing {
			if i < len(a.Cells) && del.Shadows(a.Cells[i].Timestamp) {
				i++
				continue
			}
			if j < len(b.Cells) && del.Shadows(b.Cells[j].Timestamp) {
				j++
				continue
			}
		}
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
// the row keeps its own deletion only if it supersedes del. Deletions are
// kept (except a row deletion del makes redundant), so nothing dropped can
// resurface. Shadow(Live) is the row's canonical form, which MergeRows
// produces and the memtable stores.
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

// Shadows reports whether Shadow(del) would change r; r is not modified.
func (r *Row) Shadows(del Deletion) bool {
	if !del.IsLive() && !r.Deletion.IsLive() && !r.Deletion.Supersedes(del) {
		return true
	}
	eff := del.Max(r.Deletion)
	if !r.Liveness.IsEmpty() && eff.Shadows(r.Liveness.Timestamp) {
		return true
	}
	colDel := Live
	colDelFor := uint32(0)
	for i := range r.Cells {
		c := &r.Cells[i]
		if eff.Shadows(c.Timestamp) {
			return true
		}
		if c.IsColumnDeletion() {
			colDel, colDelFor = Deletion{c.Timestamp, c.LocalDeletionTime}, c.Column
			continue
		}
		if colDelFor == c.Column && len(c.Path) > 0 && colDel.Shadows(c.Timestamp) {
			return true
		}
	}
	return false
}

// Expire turns the cells of r that have expired at now (seconds) into the
// tombstones they amount to, in place: as Cassandra, a tombstone with the
// cell's timestamp, deleted when the cell was written (expiry minus TTL).
// Compaction does it to what it writes, and raw reads to what they return,
// so that the two agree. The row marker is left as it is.
func (r *Row) Expire(now int64) {
	for i := range r.Cells {
		c := &r.Cells[i]
		if c.Flags&CellExpiring != 0 && c.LocalDeletionTime <= now {
			// A version stays one (it still counts in its cell's rank).
			*c = Cell{Column: c.Column, Path: c.Path, Flags: CellTombstone | c.Flags&CellVersion,
				Timestamp: c.Timestamp, LocalDeletionTime: c.LocalDeletionTime - int64(c.TTL)}
		}
	}
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

// MergeHeaders reconciles two versions of a partition header and returns
// the result in canonical form (see Canonical): how the same writes were
// grouped into headers before the merge cannot show in it. The merged static
// row, if any, is new storage whose cells alias a and b.
func MergeHeaders(a, b *Header) Header {
	h := Header{Deletion: a.Deletion.Max(b.Deletion)}
	if n := len(a.RangeTombstones) + len(b.RangeTombstones); n > 0 {
		h.RangeTombstones = make([]RangeTombstone, 0, n)
		h.RangeTombstones = append(h.RangeTombstones, a.RangeTombstones...)
		h.RangeTombstones = append(h.RangeTombstones, b.RangeTombstones...)
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
	h.canonicalize()
	return h
}

// Canonical returns h in canonical form, the form every merge produces, so
// that a partition's content (and a replica's digest of it) depends only on
// the writes it received, not on how many times each was applied, how they
// were grouped, or whether they sit in a memtable or SSTables:
//
//   - range tombstones are sorted (start, end with no end last, timestamp,
//     local deletion time), without duplicates, and none is kept that the
//     partition deletion makes redundant (timestamp <= its timestamp);
//   - the static row holds nothing shadowed by the partition deletion or
//     by its own deletions, and is dropped when nothing is left.
//
// Deletions themselves are never dropped here (only shadowed data, and
// range tombstones that delete nothing beyond the partition deletion):
// purging tombstones is compaction's business, after gc_grace. h is not
// modified; the result's static row, if shadowed, is new storage.
func (h *Header) Canonical() Header {
	c := *h
	c.RangeTombstones = append([]RangeTombstone(nil), h.RangeTombstones...)
	c.canonicalize()
	return c
}

// canonicalize brings h to canonical form, reordering h.RangeTombstones in
// place; a static row that must change is copied first (it may alias
// another header's).
func (h *Header) canonicalize() {
	rts := h.RangeTombstones[:0]
	for _, rt := range h.RangeTombstones {
		// A range tombstone no newer than the partition deletion deletes
		// nothing more.
		if rt.Deletion.Timestamp > h.Deletion.Timestamp {
			rts = append(rts, rt)
		}
	}
	slices.SortFunc(rts, compareRangeTombstones)
	// The same write applied twice leaves equal copies, now adjacent.
	rts = slices.CompactFunc(rts, func(a, b RangeTombstone) bool { return compareRangeTombstones(a, b) == 0 })
	if len(rts) == 0 {
		rts = nil
	}
	h.RangeTombstones = rts
	if h.Static != nil && h.Static.Shadows(h.Deletion) {
		s := *h.Static
		s.Cells = append([]Cell(nil), s.Cells...)
		s.Shadow(h.Deletion)
		h.Static = &s
	}
	if h.Static != nil && h.Static.IsEmpty() {
		h.Static = nil
	}
}

// compareRangeTombstones orders range tombstones by start, end (no end
// last), then deletion. It is 0 only for tombstones that encode alike.
func compareRangeTombstones(a, b RangeTombstone) int {
	if c := bytes.Compare(a.Start, b.Start); c != 0 {
		return c
	}
	switch {
	case a.End == nil && b.End != nil:
		return 1
	case a.End != nil && b.End == nil:
		return -1
	}
	if c := bytes.Compare(a.End, b.End); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Deletion.Timestamp, b.Deletion.Timestamp); c != 0 {
		return c
	}
	return cmp.Compare(a.Deletion.LocalDeletionTime, b.Deletion.LocalDeletionTime)
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
