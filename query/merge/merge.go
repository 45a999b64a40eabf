// Package merge assembles the update of one partition: a statement's
// writes into a mutation (Builder), and the updates of one partition by
// the statements of a batch into one (Partition), each row's versions
// reconciled as storage would.
package merge

import (
	"bytes"
	"slices"

	"wcdb/mutation"
	"wcdb/schema"
)

// Builder assembles one partition's mutation from a statement's writes.
type Builder struct {
	P mutation.Partition
	// Versioned, if set, says which columns keep cell versions
	// (cell_versions; mutation/versions.go): Finish turns their cells in
	// regular rows into versions, and their deletions into column
	// deletions, which shadow every version at or before them.
	Versioned func(col uint32) bool
	rows      map[string]int
}

// NewBuilder returns the builder of partition k's mutation.
func NewBuilder(k mutation.Key) *Builder {
	return &Builder{P: mutation.Partition{Key: k, Deletion: mutation.Live}}
}

// Row returns the row ck of the partition, added if new. Rows are found by
// a scan while few (a statement usually writes one), by a map beyond.
func (pb *Builder) Row(ck []byte) *mutation.Row {
	if pb.rows != nil {
		if i, ok := pb.rows[string(ck)]; ok {
			return &pb.P.Rows[i]
		}
		pb.rows[string(ck)] = len(pb.P.Rows)
	} else {
		for i := range pb.P.Rows {
			if bytes.Equal(pb.P.Rows[i].Clustering, ck) {
				return &pb.P.Rows[i]
			}
		}
		if len(pb.P.Rows) == 8 {
			pb.rows = make(map[string]int, 16)
			for i := range pb.P.Rows {
				pb.rows[string(pb.P.Rows[i].Clustering)] = i
			}
			pb.rows[string(ck)] = len(pb.P.Rows)
		}
	}
	pb.P.Rows = append(pb.P.Rows, mutation.NewRow(ck))
	return &pb.P.Rows[len(pb.P.Rows)-1]
}

// Static returns the partition's static row, added if new.
func (pb *Builder) Static() *mutation.Row {
	if pb.P.Static == nil {
		r := mutation.NewRow([]byte{})
		pb.P.Static = &r
	}
	return pb.P.Static
}

// finishRow sorts a row's cells in the order mutation requires and keeps
// one version of a cell written twice (the winner, as reconciliation would).
func finishRow(r *mutation.Row) {
	cmp := func(a, b mutation.Cell) int {
		switch {
		case a.Column != b.Column:
			if a.Column < b.Column {
				return -1
			}
			return 1
		case a.IsColumnDeletion() != b.IsColumnDeletion():
			if a.IsColumnDeletion() {
				return -1
			}
			return 1
		}
		return bytes.Compare(a.Path, b.Path)
	}
	if !slices.IsSortedFunc(r.Cells, cmp) { // usually they come in column order
		slices.SortStableFunc(r.Cells, cmp)
	}
	out := r.Cells[:0]
	for i := range r.Cells {
		c := r.Cells[i]
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.Column == c.Column && last.IsColumnDeletion() == c.IsColumnDeletion() && bytes.Equal(last.Path, c.Path) {
				*last = *mutation.Reconcile(last, &c)
				continue
			}
		}
		out = append(out, c)
	}
	r.Cells = out
}

// Finish returns the mutation, its rows sorted by clustering.
func (pb *Builder) Finish(id mutation.TableID) mutation.Mutation {
	slices.SortFunc(pb.P.Rows, func(a, b mutation.Row) int { return bytes.Compare(a.Clustering, b.Clustering) })
	for i := range pb.P.Rows {
		if pb.Versioned != nil {
			ToVersions(&pb.P.Rows[i], pb.Versioned)
		}
		finishRow(&pb.P.Rows[i])
	}
	if pb.P.Static != nil {
		finishRow(pb.P.Static)
	}
	return mutation.Mutation{Table: id, Partition: pb.P}
}

// Partition gathers the updates of one partition by the statements of
// a batch, and merges them once at the end (finish): merging each
// statement's update into the ones before would copy the rows gathered so
// far every time, quadratic in the statements (a batch of 50,000 inserts
// into one partition took minutes).
type Partition struct {
	M       mutation.Mutation
	statics []mutation.Row
	rows    []mutation.Row
}

// Add gathers p, another update of the partition.
func (bp *Partition) Add(p *mutation.Partition) {
	a := &bp.M.Partition
	a.Deletion = a.Deletion.Max(p.Deletion)
	a.RangeTombstones = append(a.RangeTombstones, p.RangeTombstones...)
	if p.Static != nil {
		bp.statics = append(bp.statics, *p.Static)
	}
	bp.rows = append(bp.rows, p.Rows...)
}

// Finish returns the partition's merged mutation: its rows sorted by
// clustering, the versions of a row merged into one.
func (bp *Partition) Finish() mutation.Mutation {
	p := &bp.M.Partition
	if len(bp.statics) > 0 {
		st := rowVersions(bp.statics)
		p.Static = &st
	}
	byClustering := func(a, b mutation.Row) int { return bytes.Compare(a.Clustering, b.Clustering) }
	if !slices.IsSortedFunc(bp.rows, byClustering) {
		slices.SortStableFunc(bp.rows, byClustering)
	}
	rows := bp.rows[:0]
	for i := 0; i < len(bp.rows); {
		j := i + 1
		for j < len(bp.rows) && bytes.Equal(bp.rows[j].Clustering, bp.rows[i].Clustering) {
			j++
		}
		rows = append(rows, rowVersions(bp.rows[i:j]))
		i = j
	}
	p.Rows = rows
	return bp.M
}

// rowVersions merges versions of one row, as mutation.MergeRows would
// two at a time, in time linear in their cells (less the sort): the newest
// marker and deletion, the cells in order with one version of each (the
// one reconciliation picks), then what the deletions shadow dropped.
func rowVersions(vs []mutation.Row) mutation.Row {
	if len(vs) == 1 {
		return vs[0]
	}
	r := mutation.Row{Clustering: vs[0].Clustering, Liveness: mutation.NoLiveness, Deletion: mutation.Live}
	n := 0
	for i := range vs {
		n += len(vs[i].Cells)
	}
	r.Cells = make([]mutation.Cell, 0, n)
	for i := range vs {
		v := &vs[i]
		if v.Liveness.Supersedes(r.Liveness) {
			r.Liveness = v.Liveness
		}
		r.Deletion = r.Deletion.Max(v.Deletion)
		r.Cells = append(r.Cells, v.Cells...)
	}
	finishRow(&r)
	r.Shadow(mutation.Live)
	return r
}

// ToVersions turns, in place, the simple cells of r's versioned columns
// into versions (mutation.CellVersion, their path the timestamp's) and
// their tombstones (DELETE col, or a null) into column deletions, which
// shadow the versions, each with the tombstone kept, which deletes the
// plain cell a table given cell_versions by ALTER may hold from before.
// Cells already converted are left as they are; the result may need
// sorting (finishRow).
func ToVersions(r *mutation.Row, versioned func(col uint32) bool) {
	n := len(r.Cells)
	for i := range n {
		c := &r.Cells[i]
		if len(c.Path) > 0 || c.IsColumnDeletion() || !versioned(c.Column) {
			continue
		}
		if c.Flags&mutation.CellTombstone != 0 {
			r.Cells = append(r.Cells, *c)
			c = &r.Cells[i] // append may have moved the cells
			c.Flags = mutation.CellColumnDeletion
			continue
		}
		c.Flags |= mutation.CellVersion
		c.Path = mutation.VersionPath(c.Timestamp)
	}
}

// VersionedColumns returns Builder.Versioned for table t: nil when it
// keeps no versions.
func VersionedColumns(t *schema.Table) func(col uint32) bool {
	if !t.CellVersions.Enabled() {
		return nil
	}
	return func(col uint32) bool {
		c := t.ColumnByID(col)
		return c != nil && t.Versioned(c)
	}
}

// Partitions merges a batch's mutations into one per partition, in the
// order each partition first appears. Mutations each of its own partition
// and of at most one row (a fan-out of INSERTs) are returned as they are:
// merging them would change nothing, and gathering them by partition cost
// a map entry, a key string and a Partition for each.
func Partitions(ms []mutation.Mutation) []mutation.Mutation {
	if distinct(ms) {
		return ms
	}
	var order []*Partition
	parts := map[string]*Partition{}
	for i := range ms {
		id := string(ms[i].Table[:]) + string(ms[i].Partition.Key.Bytes)
		bp := parts[id]
		if bp == nil {
			bp = &Partition{M: mutation.Mutation{Table: ms[i].Table,
				Partition: mutation.Partition{Key: ms[i].Partition.Key, Deletion: mutation.Live}}}
			order = append(order, bp)
			parts[id] = bp
		}
		bp.Add(&ms[i].Partition)
	}
	out := make([]mutation.Mutation, len(order))
	for i, bp := range order {
		out[i] = bp.Finish()
	}
	return out
}

// distinct reports whether ms are each of a different partition and of at
// most one row. It compares pairs, so it answers false past 64 mutations
// (a map is cheaper there).
func distinct(ms []mutation.Mutation) bool {
	if len(ms) > 64 {
		return false
	}
	for i := range ms {
		a := &ms[i]
		if len(a.Partition.Rows) > 1 {
			return false
		}
		for j := range i {
			b := &ms[j]
			if a.Partition.Key.Token == b.Partition.Key.Token && a.Table == b.Table && bytes.Equal(a.Partition.Key.Bytes, b.Partition.Key.Bytes) {
				return false
			}
		}
	}
	return true
}
