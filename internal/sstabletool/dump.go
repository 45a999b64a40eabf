package sstabletool

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"wcdb/mutation"
	"wcdb/schema"
	"wcdb/sstable"
)

// DumpOptions are sstabledump's.
type DumpOptions struct {
	// Keys, if set, are the only partitions dumped (-k); Exclude are left
	// out (-x). A key is written as the dump shows it (components of a
	// composite key separated by ':'), or as 0x and the key bytes in hex.
	Keys, Exclude []string
	// Lines prints one line per row (and per partition deletion and range
	// tombstone) in an internal form instead of JSON (-d).
	Lines bool
	// EnumerateKeys prints only the partition keys (-e).
	EnumerateKeys bool
	// RawTimestamps prints timestamps as numbers (microseconds, and
	// seconds for local deletion times) rather than dates (-t).
	RawTimestamps bool
	// Now (unix seconds) tells what has expired.
	Now int64
}

// Dump writes the partitions of r as JSON, in the shape of Cassandra's
// sstabledump: an array of partitions, each its key, token and deletion,
// then its static row, rows and range tombstones in clustering order, the
// cells of each with timestamp, TTL and deletion. t, the table's schema,
// decodes keys, clusterings and values; without it (nil) they are hex and
// columns are named by id (#3).
func Dump(w io.Writer, r *sstable.Reader, t *schema.Table, o DumpOptions) error {
	bw := bufio.NewWriter(w)
	d := dumper{dec: decoder{t: t}, o: o, w: bw}
	it := r.ScanUncached(nil, nil)
	n := 0
	if !o.Lines {
		bw.WriteString("[")
	}
	for it.Next() {
		p := it.Partition()
		kb := p.Key().Bytes
		if !d.selected(kb) {
			continue
		}
		var err error
		switch {
		case o.EnumerateKeys:
			err = d.enumerate(p, n)
		case o.Lines:
			err = d.lines(p)
		default:
			err = d.json(p, n)
		}
		if err != nil {
			it.Close()
			bw.Flush()
			return fmt.Errorf("%s: partition %s: %w", r.Path(), d.dec.keyText(kb), err)
		}
		n++
	}
	if err := it.Close(); err != nil {
		bw.Flush()
		return err
	}
	if !o.Lines {
		if n > 0 {
			bw.WriteString("\n")
		}
		bw.WriteString("]\n")
	}
	return bw.Flush()
}

type dumper struct {
	dec decoder
	o   DumpOptions
	w   *bufio.Writer
}

func (d *dumper) selected(kb []byte) bool {
	match := func(keys []string) bool {
		text, hx := d.dec.keyText(kb), hexOf(kb)
		return slices.ContainsFunc(keys, func(k string) bool { return k == text || strings.EqualFold(k, hx) })
	}
	if len(d.o.Keys) > 0 && !match(d.o.Keys) {
		return false
	}
	return !match(d.o.Exclude)
}

// decoded is a partition read whole.
type decoded struct {
	key  mutation.Key
	hdr  mutation.Header
	rows []mutation.Row
	// size is what the partition takes in the data blocks, less framing
	// (key, header, clusterings and rows): the measure of compaction's
	// large-partition warning.
	size int64
}

func decodePartition(p *sstable.Partition) (*decoded, error) {
	dp := &decoded{key: p.Key(), hdr: mutation.Header{Deletion: mutation.Live}}
	dp.size = int64(len(p.Key().Bytes) + len(p.Header()))
	if h := p.Header(); len(h) > 0 {
		if err := mutation.DecodeHeader(h, &dp.hdr); err != nil {
			return nil, fmt.Errorf("partition header: %w", err)
		}
	}
	ri := p.Rows(nil, nil, false)
	for ri.Next() {
		var row mutation.Row
		if err := mutation.DecodeRow(ri.Row(), ri.Clustering(), &row); err != nil {
			ri.Close()
			return nil, fmt.Errorf("row %x: %w", ri.Clustering(), err)
		}
		dp.rows = append(dp.rows, row)
		dp.size += int64(len(ri.Clustering()) + len(ri.Row()))
	}
	return dp, ri.Close()
}

func (d *dumper) enumerate(p *sstable.Partition, n int) error {
	b, err := json.Marshal(d.dec.key(p.Key().Bytes))
	return d.element(b, n, err)
}

// element writes the n-th element of the dump's array, JSON b (unless
// err, which it returns).
func (d *dumper) element(b []byte, n int, err error) error {
	if err != nil {
		return err
	}
	if n > 0 {
		d.w.WriteString(",")
	}
	d.w.WriteString("\n  ")
	d.w.Write(b)
	return nil
}

// The JSON shapes, after sstabledump's.
type (
	jsonPartition struct {
		Partition jsonPartitionInfo `json:"partition"`
		Rows      []any             `json:"rows"`
	}
	jsonPartitionInfo struct {
		Key      []string      `json:"key"`
		Token    string        `json:"token"`
		Deletion *jsonDeletion `json:"deletion_info,omitempty"`
	}
	jsonDeletion struct {
		MarkedDeleted   any `json:"marked_deleted,omitempty"`
		LocalDeleteTime any `json:"local_delete_time"`
	}
	jsonLiveness struct {
		Timestamp any   `json:"tstamp"`
		TTL       int32 `json:"ttl,omitempty"`
		ExpiresAt any   `json:"expires_at,omitempty"`
		Expired   *bool `json:"expired,omitempty"`
	}
	jsonRow struct {
		Type       string        `json:"type"`
		Clustering []any         `json:"clustering,omitempty"`
		Liveness   *jsonLiveness `json:"liveness_info,omitempty"`
		Deletion   *jsonDeletion `json:"deletion_info,omitempty"`
		Cells      []jsonCell    `json:"cells"`
	}
	jsonCell struct {
		Name      string        `json:"name"`
		Path      []any         `json:"path,omitempty"`
		Value     any           `json:"value,omitempty"`
		Deletion  *jsonDeletion `json:"deletion_info,omitempty"`
		Timestamp any           `json:"tstamp"`
		TTL       int32         `json:"ttl,omitempty"`
		ExpiresAt any           `json:"expires_at,omitempty"`
		Expired   *bool         `json:"expired,omitempty"`
	}
	jsonRangeTombstone struct {
		Type     string       `json:"type"`
		Start    *bound       `json:"start,omitempty"`
		End      *bound       `json:"end,omitempty"`
		Deletion jsonDeletion `json:"deletion_info"`
	}
)

// micros and seconds format a timestamp and a local time.
func (d *dumper) micros(ts int64) any {
	if d.o.RawTimestamps {
		return ts
	}
	return time.UnixMicro(ts).UTC().Format("2006-01-02T15:04:05.000000Z")
}

func (d *dumper) seconds(s int64) any {
	if d.o.RawTimestamps {
		return s
	}
	return time.Unix(s, 0).UTC().Format("2006-01-02T15:04:05Z")
}

func (d *dumper) deletion(del mutation.Deletion) *jsonDeletion {
	if del.IsLive() {
		return nil
	}
	return &jsonDeletion{MarkedDeleted: d.micros(del.Timestamp), LocalDeleteTime: d.seconds(del.LocalDeletionTime)}
}

func (d *dumper) json(p *sstable.Partition, n int) error {
	dp, err := decodePartition(p)
	if err != nil {
		return err
	}
	jp := jsonPartition{Partition: jsonPartitionInfo{
		Key:      d.dec.key(dp.key.Bytes),
		Token:    strconv.FormatInt(dp.key.Token, 10),
		Deletion: d.deletion(dp.hdr.Deletion),
	}, Rows: []any{}}
	if s := dp.hdr.Static; s != nil {
		jp.Rows = append(jp.Rows, d.row("static_block", s))
	}
	rts := dp.hdr.RangeTombstones
	for i := range dp.rows {
		r := &dp.rows[i]
		for len(rts) > 0 && bytes.Compare(rts[0].Start, r.Clustering) <= 0 {
			jp.Rows = append(jp.Rows, d.rangeTombstone(&rts[0]))
			rts = rts[1:]
		}
		jp.Rows = append(jp.Rows, d.row("row", r))
	}
	for i := range rts {
		jp.Rows = append(jp.Rows, d.rangeTombstone(&rts[i]))
	}
	b, err := json.MarshalIndent(jp, "  ", "  ")
	return d.element(b, n, err)
}

func (d *dumper) expiry(ttl int32, expiresAt int64) (int32, any, *bool) {
	if expiresAt == mutation.NoDeletionTime {
		return 0, nil, nil
	}
	expired := expiresAt <= d.o.Now
	return ttl, d.seconds(expiresAt), &expired
}

func (d *dumper) row(typ string, r *mutation.Row) jsonRow {
	jr := jsonRow{Type: typ, Deletion: d.deletion(r.Deletion), Cells: []jsonCell{}}
	if typ == "row" {
		jr.Clustering, _ = d.dec.clustering(r.Clustering)
	}
	if l := r.Liveness; !l.IsEmpty() {
		jr.Liveness = &jsonLiveness{Timestamp: d.micros(l.Timestamp)}
		jr.Liveness.TTL, jr.Liveness.ExpiresAt, jr.Liveness.Expired = d.expiry(l.TTL, l.ExpiresAt)
	}
	for i := range r.Cells {
		c := &r.Cells[i]
		jc := jsonCell{Name: d.dec.columnName(c.Column), Timestamp: d.micros(c.Timestamp)}
		if len(c.Path) > 0 {
			jc.Path = []any{d.dec.path(c.Column, c.Path)}
		}
		switch {
		case c.IsColumnDeletion():
			jc.Deletion = &jsonDeletion{MarkedDeleted: d.micros(c.Timestamp), LocalDeleteTime: d.seconds(c.LocalDeletionTime)}
		case c.IsTombstone():
			jc.Deletion = &jsonDeletion{LocalDeleteTime: d.seconds(c.LocalDeletionTime)}
		default:
			jc.Value = d.dec.value(c.Column, len(c.Path) > 0, cellValue(c))
			if c.Flags&mutation.CellExpiring != 0 {
				jc.TTL, jc.ExpiresAt, jc.Expired = d.expiry(c.TTL, c.LocalDeletionTime)
			}
		}
		jr.Cells = append(jr.Cells, jc)
	}
	return jr
}

func (d *dumper) rangeTombstone(rt *mutation.RangeTombstone) jsonRangeTombstone {
	j := jsonRangeTombstone{Type: "range_tombstone", Deletion: *d.deletion(rt.Deletion)}
	if len(rt.Start) > 0 {
		b := d.dec.bound(rt.Start, true)
		j.Start = &b
	}
	if rt.End != nil {
		b := d.dec.bound(rt.End, false)
		j.End = &b
	}
	return j
}

// lines prints the partition in the internal form of sstabledump -d:
//
//	[key]@token deletedAt=ts, localDeletion=ldt
//	[key]@token Static Row[info=[ts=.. ttl=.. ldt=..] del=..]: STATIC | [col=value ts=..], ...
//	[key]@token Row[info=[ts=..] ]: c1, c2 | [col=value ts=..], [col[path]=value ts=..], [col=<tombstone> ts=.. ldt=..]
//	[key]@token RangeTombstone[start=exclusive(5), end=inclusive(9)]@ts/ldt
func (d *dumper) lines(p *sstable.Partition) error {
	dp, err := decodePartition(p)
	if err != nil {
		return err
	}
	prefix := fmt.Sprintf("[%s]@%d ", d.dec.keyText(dp.key.Bytes), dp.key.Token)
	if del := dp.hdr.Deletion; !del.IsLive() {
		fmt.Fprintf(d.w, "%sdeletedAt=%v, localDeletion=%v\n", prefix, d.micros(del.Timestamp), d.seconds(del.LocalDeletionTime))
	}
	for _, rt := range dp.hdr.RangeTombstones {
		start, end := "unbounded", "unbounded"
		if len(rt.Start) > 0 {
			b := d.dec.bound(rt.Start, true)
			start = b.Type + "(" + b.text + ")"
		}
		if rt.End != nil {
			b := d.dec.bound(rt.End, false)
			end = b.Type + "(" + b.text + ")"
		}
		fmt.Fprintf(d.w, "%sRangeTombstone[start=%s, end=%s]@%v/%v\n", prefix, start, end,
			d.micros(rt.Deletion.Timestamp), d.seconds(rt.Deletion.LocalDeletionTime))
	}
	if s := dp.hdr.Static; s != nil {
		d.w.WriteString(prefix + "Static " + d.rowLine(s, "STATIC") + "\n")
	}
	for i := range dp.rows {
		r := &dp.rows[i]
		d.w.WriteString(prefix + d.rowLine(r, d.dec.clusteringText(r.Clustering)) + "\n")
	}
	return nil
}

func (d *dumper) rowLine(r *mutation.Row, clustering string) string {
	var s strings.Builder
	s.WriteString("Row[info=[")
	if l := r.Liveness; !l.IsEmpty() {
		fmt.Fprintf(&s, "ts=%v", d.micros(l.Timestamp))
		if l.ExpiresAt != mutation.NoDeletionTime {
			fmt.Fprintf(&s, " ttl=%d ldt=%v", l.TTL, d.seconds(l.ExpiresAt))
		}
	}
	s.WriteString("] ")
	if !r.Deletion.IsLive() {
		fmt.Fprintf(&s, "del(row)=deletedAt=%v, localDeletion=%v ", d.micros(r.Deletion.Timestamp), d.seconds(r.Deletion.LocalDeletionTime))
	}
	s.WriteString("]: ")
	s.WriteString(clustering)
	s.WriteString(" |")
	for i := range r.Cells {
		c := &r.Cells[i]
		if i > 0 {
			s.WriteString(",")
		}
		s.WriteString(" [")
		s.WriteString(d.dec.columnName(c.Column))
		if len(c.Path) > 0 {
			s.WriteString("[" + d.dec.pathText(c.Column, c.Path) + "]")
		}
		switch {
		case c.IsColumnDeletion():
			what := "collection"
			if col := d.dec.column(c.Column); col != nil && !col.Type.IsMultiCell() {
				what = "versions" // a versioned column's history
			}
			fmt.Fprintf(&s, "=<deleted %s> ts=%v ldt=%v", what, d.micros(c.Timestamp), d.seconds(c.LocalDeletionTime))
		case c.IsTombstone():
			fmt.Fprintf(&s, "=<tombstone> ts=%v ldt=%v", d.micros(c.Timestamp), d.seconds(c.LocalDeletionTime))
		default:
			fmt.Fprintf(&s, "=%s ts=%v", d.dec.valueText(c.Column, len(c.Path) > 0, cellValue(c)), d.micros(c.Timestamp))
			if c.Flags&mutation.CellExpiring != 0 {
				fmt.Fprintf(&s, " ttl=%d ldt=%v", c.TTL, d.seconds(c.LocalDeletionTime))
			}
		}
		s.WriteString("]")
	}
	return s.String()
}

// cellValue is the value a cell shows: a counter's is its total, as a
// bigint (the sum of its shards); a context that does not decode shows
// as it is.
func cellValue(c *mutation.Cell) []byte {
	if c.IsCounter() {
		if n, err := mutation.CounterTotal(c.Value); err == nil {
			return binary.BigEndian.AppendUint64(nil, uint64(n))
		}
	}
	return c.Value
}
