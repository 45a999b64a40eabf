package catalog

// This file writes and reads rows of the system tables with the data
// conventions every table of wcdb follows (the DML code reads what is
// written here through SELECT):
//
//   - partition key bytes: the serialized value of a single-column key,
//     ring.CompositeKey of the values for several; the token is
//     ring.Murmur3 of those bytes;
//   - clustering: schema.ClusteringKey of the clustering values; a table
//     without clustering columns has its one row at the empty clustering
//     key, in Partition.Rows;
//   - a full write (INSERT) has a row marker; cells carry the column's
//     schema.Column.ID and its serialized value; a non-frozen collection
//     is one cell per element (schema.CollectionElements), preceded, when
//     the whole collection is replaced, by a column deletion one
//     microsecond older.

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/schema"
)

// Store is how the catalog reads and writes the system tables: through
// the coordinator (replication.Coordinator is one), at consistency ONE,
// which for the LocalStrategy system keyspaces is the local node. Safe for
// concurrent use.
type Store interface {
	Write(ctx context.Context, ks *schema.Keyspace, ms []mutation.Mutation, cl replication.Consistency) error
	ReadRange(ctx context.Context, cmd replication.RangeCommand, cl replication.Consistency) (replication.RangeResult, error)
}

// Batch accumulates mutations of system tables made at one timestamp.
type Batch struct {
	ts     int64 // microseconds
	nowSec int64 // local deletion time of tombstones
	ms     []mutation.Mutation
	err    error
}

// NewBatch returns an empty batch at timestamp ts (microseconds).
func NewBatch(ts int64) *Batch {
	return &Batch{ts: ts, nowSec: ts / 1e6}
}

func (b *Batch) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

func (b *Batch) deletion(ts int64) mutation.Deletion {
	return mutation.Deletion{Timestamp: ts, LocalDeletionTime: b.nowSec}
}

// sysEncode serializes a Go value (as schema.Encode takes it) as type t.
func sysEncode(t schema.Type, v any) ([]byte, error) {
	if b, ok := v.([]byte); ok && t.Kind != schema.KindBlob {
		return b, nil // already serialized
	}
	return schema.Encode(t, v)
}

// sysKey is the partition key of t for the values of its partition key
// columns.
func sysKey(t *schema.Table, pk []any) (mutation.Key, error) {
	cols := t.PartitionKey()
	if len(pk) != len(cols) {
		return mutation.Key{}, fmt.Errorf("query: %d partition key values for %s.%s", len(pk), t.Keyspace, t.Name)
	}
	comps := make([][]byte, len(pk))
	for i, v := range pk {
		b, err := sysEncode(cols[i].Type, v)
		if err != nil {
			return mutation.Key{}, err
		}
		comps[i] = b
	}
	return PartitionKey(comps)
}

// sysClustering is the clustering key (or prefix) of t for values.
func sysClustering(t *schema.Table, ck []any) ([]byte, error) {
	types, desc := t.ClusteringTypes()
	vals := make([][]byte, len(ck))
	for i, v := range ck {
		if i >= len(types) {
			return nil, fmt.Errorf("query: %d clustering values for %s.%s", len(ck), t.Keyspace, t.Name)
		}
		b, err := sysEncode(types[i], v)
		if err != nil {
			return nil, err
		}
		vals[i] = b
	}
	return schema.ClusteringKey(types, desc, vals)
}

// splitKey returns the primary key values of t: the partition key values
// then the clustering values (len(pk)+len(ck) of them).
func (b *Batch) splitKey(t *schema.Table, key []any) (pk, ck []any) {
	n := len(t.PartitionKey())
	if len(key) < n {
		b.fail(fmt.Errorf("query: %d key values for %s.%s", len(key), t.Keyspace, t.Name))
		return nil, nil
	}
	return key[:n], key[n:]
}

func (b *Batch) partition(t *schema.Table, pk []any) *mutation.Partition {
	k, err := sysKey(t, pk)
	if err != nil {
		b.fail(err)
		return nil
	}
	b.ms = append(b.ms, mutation.Mutation{Table: t.ID, Partition: mutation.Partition{Key: k, Deletion: mutation.Live}})
	return &b.ms[len(b.ms)-1].Partition
}

// Upsert writes a row of t, as INSERT: a row marker and the given values
// (by column name; nil values are left out). With replace, the row's
// previous content is deleted first (a row deletion one microsecond older),
// as Cassandra's schema code does, so that a column now null reads null.
func (b *Batch) Upsert(t *schema.Table, key []any, values map[string]any, replace bool) {
	b.write(t, key, values, true, replace)
}

// Update writes values of a row of t, as UPDATE: no row marker.
func (b *Batch) Update(t *schema.Table, key []any, values map[string]any) {
	b.write(t, key, values, false, false)
}

func (b *Batch) write(t *schema.Table, key []any, values map[string]any, marker, replace bool) {
	pk, ck := b.splitKey(t, key)
	if b.err != nil {
		return
	}
	cl, err := sysClustering(t, ck)
	if err != nil {
		b.fail(err)
		return
	}
	row := mutation.NewRow(cl)
	if marker {
		row.Liveness = mutation.Liveness{Timestamp: b.ts, ExpiresAt: mutation.NoDeletionTime}
	}
	if replace {
		row.Deletion = b.deletion(b.ts - 1)
	}
	for i := range t.Columns {
		c := &t.Columns[i]
		v, ok := values[c.Name]
		if !ok || v == nil || c.Kind == schema.PartitionKeyColumn || c.Kind == schema.ClusteringColumn {
			continue
		}
		ser, err := sysEncode(c.Type, v)
		if err != nil {
			b.fail(fmt.Errorf("query: %s.%s.%s: %w", t.Keyspace, t.Name, c.Name, err))
			return
		}
		if !c.Type.IsMultiCell() {
			row.Cells = append(row.Cells, mutation.Cell{Column: c.ID, Timestamp: b.ts,
				LocalDeletionTime: mutation.NoDeletionTime, Value: ser})
			continue
		}
		row.Cells = append(row.Cells, mutation.Cell{Column: c.ID, Flags: mutation.CellColumnDeletion,
			Timestamp: b.ts - 1, LocalDeletionTime: b.nowSec})
		elems, err := schema.CollectionElements(c.Type, ser, nil)
		if err != nil {
			b.fail(err)
			return
		}
		for i := range elems.Len() {
			row.Cells = append(row.Cells, mutation.Cell{Column: c.ID, Path: elems.Path(i), Timestamp: b.ts,
				LocalDeletionTime: mutation.NoDeletionTime, Value: elems.Value(i)})
		}
	}
	sortCells(row.Cells)
	p := b.partition(t, pk)
	if p == nil {
		return
	}
	if t.HasStatic() && len(cl) == 0 {
		p.Static = &row
	} else {
		p.Rows = []mutation.Row{row}
	}
}

// sortCells puts cells in the order mutation.Row requires: by column, a
// column deletion first, then by path.
func sortCells(cells []mutation.Cell) {
	slices.SortStableFunc(cells, func(a, b mutation.Cell) int {
		if a.Column != b.Column {
			if a.Column < b.Column {
				return -1
			}
			return 1
		}
		ad, bd := a.IsColumnDeletion(), b.IsColumnDeletion()
		if ad != bd {
			if ad {
				return -1
			}
			return 1
		}
		return bytes.Compare(a.Path, b.Path)
	})
}

// DeleteRow deletes the row of t with the full primary key key.
func (b *Batch) DeleteRow(t *schema.Table, key []any) {
	pk, ck := b.splitKey(t, key)
	if b.err != nil {
		return
	}
	cl, err := sysClustering(t, ck)
	if err != nil {
		b.fail(err)
		return
	}
	row := mutation.NewRow(cl)
	row.Deletion = b.deletion(b.ts)
	if p := b.partition(t, pk); p != nil {
		p.Rows = []mutation.Row{row}
	}
}

// DeletePrefix deletes the rows of t whose clustering starts with the
// values after the partition key in key (a range tombstone).
func (b *Batch) DeletePrefix(t *schema.Table, key []any) {
	pk, ck := b.splitKey(t, key)
	if b.err != nil {
		return
	}
	prefix, err := sysClustering(t, ck)
	if err != nil {
		b.fail(err)
		return
	}
	if p := b.partition(t, pk); p != nil {
		p.RangeTombstones = []mutation.RangeTombstone{{Start: prefix, End: mutation.PrefixEnd(prefix), Deletion: b.deletion(b.ts)}}
	}
}

// DeletePartition deletes a whole partition of t.
func (b *Batch) DeletePartition(t *schema.Table, pk []any) {
	if p := b.partition(t, pk); p != nil {
		p.Deletion = b.deletion(b.ts)
	}
}

// Apply writes the batch's mutations, in order, through the coordinator
// at consistency ONE (system keyspaces are LocalStrategy: the local node).
// One Write each: a coordinator may apply the mutations of one Write in
// parallel, and the order matters to a crash (a table's columns are
// written before its tables row, and deleted after it).
func (b *Batch) Apply(ctx context.Context, st Store, ks *schema.Keyspace) error {
	if b.err != nil {
		return b.err
	}
	ms := mergeSysMutations(b.ms)
	for i := range ms {
		if err := st.Write(ctx, ks, ms[i:i+1], replication.One); err != nil {
			return err
		}
	}
	return nil
}

// mergeSysMutations merges adjacent mutations of the same partition into
// one, so that, for example, all the column rows of a new table are
// applied atomically. Mutations whose rows share a clustering key, or that
// both have a static row, stay apart.
func mergeSysMutations(ms []mutation.Mutation) []mutation.Mutation {
	out := ms[:0:0]
	for _, m := range ms {
		if n := len(out); n > 0 && canMergeSys(&out[n-1], &m) {
			last := &out[n-1].Partition
			last.Deletion = last.Deletion.Max(m.Partition.Deletion)
			last.RangeTombstones = append(last.RangeTombstones, m.Partition.RangeTombstones...)
			if m.Partition.Static != nil {
				last.Static = m.Partition.Static
			}
			last.Rows = append(last.Rows, m.Partition.Rows...)
			slices.SortFunc(last.Rows, func(a, b mutation.Row) int { return bytes.Compare(a.Clustering, b.Clustering) })
			continue
		}
		m.Partition.Rows = slices.Clone(m.Partition.Rows)
		m.Partition.RangeTombstones = slices.Clone(m.Partition.RangeTombstones)
		out = append(out, m)
	}
	return out
}

func canMergeSys(a, b *mutation.Mutation) bool {
	if a.Table != b.Table || !a.Partition.Key.Equal(b.Partition.Key) {
		return false
	}
	if a.Partition.Static != nil && b.Partition.Static != nil {
		return false
	}
	for i := range b.Partition.Rows {
		for j := range a.Partition.Rows {
			if bytes.Equal(a.Partition.Rows[j].Clustering, b.Partition.Rows[i].Clustering) {
				return false
			}
		}
	}
	return true
}

// Row is a row read back from a system table: its values by column
// name (Go values as schema.Decode returns them; absent when null).
type Row map[string]any

// Text returns a text value, "" if null.
func (r Row) Text(name string) string {
	s, _ := r[name].(string)
	return s
}

// TextSet returns a set<text> (or list<text>) value, nil if null.
func (r Row) TextSet(name string) []string {
	v, ok := r[name].([]any)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(v))
	for _, e := range v {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// Int32 returns an int value, def if null.
func (r Row) Int32(name string, def int32) int32 {
	if v, ok := r[name].(int32); ok {
		return v
	}
	return def
}

// Double returns a double value, def if null.
func (r Row) Double(name string, def float64) float64 {
	if v, ok := r[name].(float64); ok {
		return v
	}
	return def
}

// Boolean returns a boolean value, false if null.
func (r Row) Boolean(name string) bool {
	b, _ := r[name].(bool)
	return b
}

// TextMap returns a map<text, text> (or map<text, blob> as strings).
func (r Row) TextMap(name string) map[string]string {
	es, _ := r[name].([]schema.MapEntry)
	if es == nil {
		return nil
	}
	out := make(map[string]string, len(es))
	for _, e := range es {
		k, _ := e.Key.(string)
		switch v := e.Value.(type) {
		case string:
			out[k] = v
		case []byte:
			out[k] = string(v)
		case int32:
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

// ReadTable reads every row of a system table through the coordinator
// at consistency ONE, and returns them decoded, with the greatest write
// timestamp seen.
func ReadTable(ctx context.Context, st Store, ks *schema.Keyspace, t *schema.Table) ([]Row, int64, error) {
	var rows []Row
	maxTS := int64(mutation.NoTimestamp)
	cmd := replication.RangeCommand{Keyspace: ks, Table: t.ID}
	for {
		res, err := st.ReadRange(ctx, cmd, replication.One)
		if err != nil {
			return nil, 0, err
		}
		for _, p := range res.Partitions {
			rs, ts, err := decodeSysPartition(t, p)
			if err != nil {
				return nil, 0, err
			}
			rows = append(rows, rs...)
			maxTS = max(maxTS, ts)
		}
		if res.Next == nil {
			return rows, maxTS, nil
		}
		cmd.After = res.Next
	}
}

// decodeSysPartition decodes the rows of a partition of t (static columns,
// if any, are added to every row).
func decodeSysPartition(t *schema.Table, p *mutation.Partition) ([]Row, int64, error) {
	maxTS := int64(mutation.NoTimestamp)
	pkCols := t.PartitionKey()
	comps, err := SplitPartitionKey(p.Key.Bytes, len(pkCols))
	if err != nil {
		return nil, 0, err
	}
	base := Row{}
	for i, c := range pkCols {
		v, err := schema.Decode(c.Type, comps[i])
		if err != nil {
			return nil, 0, err
		}
		base[c.Name] = v
	}
	if p.Static != nil {
		ts, err := decodeSysCells(t, p.Static, base)
		if err != nil {
			return nil, 0, err
		}
		maxTS = max(maxTS, ts)
	}
	types, desc := t.ClusteringTypes()
	var out []Row
	for i := range p.Rows {
		r := &p.Rows[i]
		row := Row{}
		for k, v := range base {
			row[k] = v
		}
		vals, err := schema.SplitClustering(types, desc, r.Clustering)
		if err != nil {
			return nil, 0, err
		}
		for j, v := range vals {
			c := t.Clustering()[j]
			d, err := schema.Decode(c.Type, v)
			if err != nil {
				return nil, 0, err
			}
			row[c.Name] = d
		}
		ts, err := decodeSysCells(t, r, row)
		if err != nil {
			return nil, 0, err
		}
		maxTS = max(maxTS, ts, r.Liveness.Timestamp)
		out = append(out, row)
	}
	return out, maxTS, nil
}

// decodeSysCells adds the values of a row's live cells to row and returns
// the greatest cell timestamp.
func decodeSysCells(t *schema.Table, r *mutation.Row, row Row) (int64, error) {
	maxTS := int64(mutation.NoTimestamp)
	elems := map[uint32][]schema.Element{}
	for i := range r.Cells {
		c := &r.Cells[i]
		maxTS = max(maxTS, c.Timestamp)
		if c.IsTombstone() {
			continue
		}
		col := t.ColumnByID(c.Column)
		if col == nil {
			continue // a dropped column's data
		}
		if col.Type.IsMultiCell() {
			elems[c.Column] = append(elems[c.Column], schema.Element{Path: c.Path, Value: c.Value})
			continue
		}
		v, err := schema.Decode(col.Type, c.Value)
		if err != nil {
			return 0, fmt.Errorf("query: %s.%s.%s: %w", t.Keyspace, t.Name, col.Name, err)
		}
		row[col.Name] = v
	}
	for id, es := range elems {
		col := t.ColumnByID(id)
		b, err := schema.CollectionFromElements(col.Type, es)
		if err != nil {
			return 0, err
		}
		if b == nil {
			continue
		}
		v, err := schema.Decode(col.Type, b)
		if err != nil {
			return 0, err
		}
		row[col.Name] = v
	}
	return maxTS, nil
}
