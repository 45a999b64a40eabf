package sstabletool

import (
	"cmp"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"wcdb/mutation"
	"wcdb/schema"
	"wcdb/sstable"
)

// DefaultGCGrace is gc_grace_seconds when the table's schema is unknown.
const DefaultGCGrace = 864000

// Metadata is what sstablemetadata reports of a table: the stats block as
// stored, and what a pass over the data finds (deletion times, drop-time
// histogram, partition sizes, compression).
type Metadata struct {
	Path          string `json:"path"`
	FormatVersion uint32 `json:"format_version"`
	// Table is "keyspace.table" when the schema is known.
	Table   string `json:"table,omitempty"`
	TableID string `json:"table_id,omitempty"`

	Partitions int64 `json:"partitions"`
	Rows       int64 `json:"rows"`
	// Cells counts cells, cell tombstones and collection deletions.
	Cells int64 `json:"cells"`
	// Tombstones counts deletions of every kind (the stats block's count).
	Tombstones       int64            `json:"tombstones"`
	TombstonesByKind map[string]int64 `json:"tombstones_by_kind"`
	// Expiring counts cells and row markers with a TTL.
	Expiring int64 `json:"expiring"`

	MinTimestamp int64 `json:"min_timestamp"`
	MaxTimestamp int64 `json:"max_timestamp"`
	// Local deletion times are unix seconds: a tombstone's, or a TTL's
	// expiry. MaxLocalDeletionTime is the stats block's, which counts data
	// that never expires as math.MaxInt64 (Cassandra's convention).
	MinLocalDeletionTime int64 `json:"min_local_deletion_time"`
	MaxLocalDeletionTime int64 `json:"max_local_deletion_time"`
	MinTTL               int32 `json:"min_ttl"`
	MaxTTL               int32 `json:"max_ttl"`

	FirstKey KeyInfo `json:"first_key"`
	LastKey  KeyInfo `json:"last_key"`

	Compression Compression    `json:"compression"`
	Sizes       sstable.Layout `json:"sizes"`

	// GCGrace (seconds, the table's unless overridden) and Now give
	// GCBefore, the local deletion time before which a tombstone may be
	// dropped by compaction: DroppableTombstones of them, a
	// DroppableRatio of the cells (Cassandra's estimate).
	GCGrace             int64         `json:"gc_grace_seconds"`
	Now                 int64         `json:"now"`
	DroppableTombstones int64         `json:"droppable_tombstones"`
	DroppableRatio      float64       `json:"droppable_ratio"`
	DropTimes           []DropTimeBin `json:"tombstone_drop_times"`

	PartitionSize Distribution `json:"partition_size"`
	PartitionRows Distribution `json:"partition_rows"`
}

// KeyInfo is a partition key.
type KeyInfo struct {
	Token int64  `json:"token"`
	Key   string `json:"key"`
	Hex   string `json:"hex"`
}

// Compression describes the data blocks as stored.
type Compression struct {
	// Codec names the codec of the compressed blocks (several joined by
	// "+" when blocks copied unchanged from other files differ), else none.
	Codec string `json:"codec"`
	// Options are the compression options the file records it was written
	// with (sstable.CodecParams), or "not recorded" for a file of format
	// version 2 or 3.
	Options string `json:"options"`
	Blocks  int    `json:"blocks"`
	// Compressed counts the blocks stored compressed (the writer keeps a
	// block uncompressed when compressing does not save an eighth, or
	// does not reach the table's min_compress_ratio).
	Compressed int `json:"compressed_blocks"`
	// Stored and Uncompressed are the blocks' bytes on disk and
	// decompressed; Ratio is Stored/Uncompressed.
	Stored       int64   `json:"stored_bytes"`
	Uncompressed int64   `json:"uncompressed_bytes"`
	Ratio        float64 `json:"ratio"`
}

// DropTimeBin is a bin of the tombstone drop-time histogram: Count
// deletion times (or expiries) around Time (unix seconds).
type DropTimeBin struct {
	Time  int64 `json:"time"`
	Count int64 `json:"count"`
}

// Distribution summarizes per-partition values.
type Distribution struct {
	Min  int64   `json:"min"`
	Mean float64 `json:"mean"`
	Max  int64   `json:"max"`
	P50  int64   `json:"p50"`
	P95  int64   `json:"p95"`
	P99  int64   `json:"p99"`
}

// maxDropBins is the size of the drop-time histogram (Cassandra's streaming
// histogram keeps 100; a terminal shows fewer).
const maxDropBins = 20

// ReadMetadata reads r's statistics and scans its data. t, if known, names
// the table and gives gc_grace_seconds unless gcGrace >= 0 overrides it;
// now is unix seconds.
func ReadMetadata(r *sstable.Reader, t *schema.Table, gcGrace, now int64) (*Metadata, error) {
	meta := r.Meta()
	m := &Metadata{
		Path: r.Path(), FormatVersion: meta.FormatVersion,
		Partitions: meta.Partitions, Tombstones: meta.Tombstones, Rows: meta.Rows,
		MinTimestamp: meta.MinTimestamp, MaxTimestamp: meta.MaxTimestamp,
		MaxLocalDeletionTime: meta.MaxLocalDeletionTime,
		MinLocalDeletionTime: math.MaxInt64,
		TombstonesByKind:     map[string]int64{},
		GCGrace:              gcGrace,
		Now:                  now,
	}
	dec := decoder{t: t}
	if t != nil {
		m.Table, m.TableID = t.Keyspace+"."+t.Name, schema.UUID(t.ID).String()
		if gcGrace < 0 {
			m.GCGrace = int64(t.GCGrace)
		}
	}
	if m.GCGrace < 0 {
		m.GCGrace = DefaultGCGrace
	}
	keyInfo := func(k mutation.Key) KeyInfo {
		return KeyInfo{Token: k.Token, Key: dec.keyText(k.Bytes), Hex: hex.EncodeToString(k.Bytes)}
	}
	m.FirstKey, m.LastKey = keyInfo(meta.MinKey), keyInfo(meta.MaxKey)
	var err error
	if m.Sizes, err = r.Layout(); err != nil {
		return nil, err
	}
	if err := m.scanBlocks(r); err != nil {
		return nil, err
	}
	if err := m.scanData(r); err != nil {
		return nil, err
	}
	if m.MinLocalDeletionTime == math.MaxInt64 {
		m.MinLocalDeletionTime = mutation.NoDeletionTime
	}
	return m, nil
}

func (m *Metadata) scanBlocks(r *sstable.Reader) error {
	c := &m.Compression
	var codecs []string
	it := r.Blocks(mutation.Key{Token: math.MinInt64})
	for it.Next() {
		b := it.Block()
		c.Blocks++
		if b.Compressed() {
			c.Compressed++
			if name := b.Codec().String(); !slices.Contains(codecs, name) {
				codecs = append(codecs, name)
			}
		}
		c.Stored += int64(len(b.Stored()))
		c.Uncompressed += int64(b.Size())
	}
	if err := it.Close(); err != nil {
		return err
	}
	c.Codec = "none"
	c.Options = "not recorded"
	if p := r.Meta().Codec; p != nil {
		c.Options = p.String()
	}
	if len(codecs) > 0 {
		slices.Sort(codecs)
		c.Codec = strings.Join(codecs, "+")
	}
	if c.Uncompressed > 0 {
		c.Ratio = float64(c.Stored) / float64(c.Uncompressed)
	}
	return nil
}

// scanData decodes every partition for what the stats block does not keep.
func (m *Metadata) scanData(r *sstable.Reader) error {
	gcBefore := m.Now - m.GCGrace
	drops := map[int64]int64{}
	m.MinTTL, m.MaxTTL = math.MaxInt32, 0
	drop := func(kind string, t int64) {
		if kind != "" {
			m.TombstonesByKind[kind]++
		}
		m.MinLocalDeletionTime = min(m.MinLocalDeletionTime, t)
		drops[t]++
		if t < gcBefore {
			m.DroppableTombstones++
		}
	}
	ttl := func(ttl int32, expiresAt int64) {
		m.Expiring++
		m.MinTTL, m.MaxTTL = min(m.MinTTL, ttl), max(m.MaxTTL, ttl)
		drop("", expiresAt)
	}
	row := func(row *mutation.Row, kind string) {
		if l := row.Liveness; !l.IsEmpty() && l.ExpiresAt != mutation.NoDeletionTime {
			ttl(l.TTL, l.ExpiresAt)
		}
		if !row.Deletion.IsLive() {
			drop(kind, row.Deletion.LocalDeletionTime)
		}
		for i := range row.Cells {
			c := &row.Cells[i]
			m.Cells++
			switch {
			case c.IsColumnDeletion():
				drop("collection", c.LocalDeletionTime)
			case c.IsTombstone():
				drop("cell", c.LocalDeletionTime)
			case c.Flags&mutation.CellExpiring != 0:
				ttl(c.TTL, c.LocalDeletionTime)
			}
		}
	}
	var sizes, rows []int64
	it := r.ScanUncached(nil, nil)
	for it.Next() {
		p := it.Partition()
		dp, err := decodePartition(p)
		if err != nil {
			it.Close()
			return fmt.Errorf("%s: %w", r.Path(), err)
		}
		if !dp.hdr.Deletion.IsLive() {
			drop("partition", dp.hdr.Deletion.LocalDeletionTime)
		}
		for _, rt := range dp.hdr.RangeTombstones {
			drop("range", rt.Deletion.LocalDeletionTime)
		}
		if dp.hdr.Static != nil {
			row(dp.hdr.Static, "row")
		}
		for i := range dp.rows {
			r := &dp.rows[i]
			row(r, "row")
		}
		sizes = append(sizes, dp.size)
		rows = append(rows, int64(len(dp.rows)))
	}
	if err := it.Close(); err != nil {
		return err
	}
	if m.Expiring == 0 {
		m.MinTTL = 0
	}
	if m.Cells > 0 {
		m.DroppableRatio = float64(m.DroppableTombstones) / float64(m.Cells)
	}
	m.DropTimes = dropBins(drops, maxDropBins)
	m.PartitionSize = distribution(sizes)
	m.PartitionRows = distribution(rows)
	return nil
}

// dropBins makes a histogram of at most n bins from exact counts, merging
// the two closest bins into their weighted mean until it fits (the
// streaming histogram of Ben-Haim and Tom-Tov, as Cassandra's).
func dropBins(counts map[int64]int64, n int) []DropTimeBin {
	type bin struct {
		t float64
		c int64
	}
	bins := make([]bin, 0, len(counts))
	for t, c := range counts {
		bins = append(bins, bin{float64(t), c})
	}
	slices.SortFunc(bins, func(a, b bin) int { return cmp.Compare(a.t, b.t) })
	for len(bins) > n {
		best := 0
		for i := 1; i+1 < len(bins); i++ {
			if bins[i+1].t-bins[i].t < bins[best+1].t-bins[best].t {
				best = i
			}
		}
		a, b := bins[best], bins[best+1]
		c := a.c + b.c
		bins[best] = bin{(a.t*float64(a.c) + b.t*float64(b.c)) / float64(c), c}
		bins = slices.Delete(bins, best+1, best+2)
	}
	out := make([]DropTimeBin, len(bins))
	for i, b := range bins {
		out[i] = DropTimeBin{Time: int64(math.Round(b.t)), Count: b.c}
	}
	return out
}

func distribution(vs []int64) Distribution {
	if len(vs) == 0 {
		return Distribution{}
	}
	slices.Sort(vs)
	var sum int64
	for _, v := range vs {
		sum += v
	}
	pct := func(p float64) int64 { return vs[int(math.Ceil(p*float64(len(vs))))-1] }
	return Distribution{Min: vs[0], Mean: float64(sum) / float64(len(vs)), Max: vs[len(vs)-1],
		P50: pct(0.50), P95: pct(0.95), P99: pct(0.99)}
}

// WriteJSON writes m as one indented JSON object.
func (m *Metadata) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// dateOf shows a unix time in seconds, or what a sentinel means.
func dateOf(s int64) string {
	switch s {
	case mutation.NoDeletionTime:
		return "none"
	case math.MinInt64:
		return "none"
	}
	return fmt.Sprintf("%d (%s)", s, time.Unix(s, 0).UTC().Format("2006-01-02T15:04:05Z"))
}

// WriteText writes m as sstablemetadata does, one "name: value" a line.
func (m *Metadata) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	p := func(name, format string, args ...any) { fmt.Fprintf(tw, name+":\t"+format+"\n", args...) }
	p("SSTable", "%s", m.Path)
	p("Format version", "%d", m.FormatVersion)
	if m.Table != "" {
		p("Table", "%s (id %s)", m.Table, m.TableID)
	} else {
		p("Table", "unknown (no schema: keys in hex)")
	}
	p("Partitioner", "Murmur3Partitioner")
	p("Partitions", "%d", m.Partitions)
	p("Rows", "%d", m.Rows)
	p("Cells", "%d", m.Cells)
	kinds := make([]string, 0, len(m.TombstonesByKind))
	for _, k := range []string{"partition", "range", "row", "cell", "collection"} {
		if n := m.TombstonesByKind[k]; n > 0 {
			kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
		}
	}
	p("Tombstones", "%d (%s)", m.Tombstones, strings.Join(kinds, ", "))
	p("Expiring (TTL)", "%d, TTL min %d, max %d", m.Expiring, m.MinTTL, m.MaxTTL)
	if m.MinTimestamp <= m.MaxTimestamp {
		ts := func(us int64) string {
			return fmt.Sprintf("%d (%s)", us, time.UnixMicro(us).UTC().Format("2006-01-02T15:04:05.000000Z"))
		}
		p("Minimum timestamp", "%s", ts(m.MinTimestamp))
		p("Maximum timestamp", "%s", ts(m.MaxTimestamp))
	}
	p("Minimum local deletion time", "%s", dateOf(m.MinLocalDeletionTime))
	maxLDT := dateOf(m.MaxLocalDeletionTime)
	if m.MaxLocalDeletionTime == mutation.NoDeletionTime {
		maxLDT = "never (live data that does not expire)"
	}
	p("Maximum local deletion time", "%s", maxLDT)
	p("First key", "token %d, key %s", m.FirstKey.Token, m.FirstKey.Key)
	p("Last key", "token %d, key %s", m.LastKey.Token, m.LastKey.Key)
	c := m.Compression
	p("Compression", "%s: %d of %d data blocks compressed, ratio %.3f (%d of %d bytes); written with %s",
		c.Codec, c.Compressed, c.Blocks, c.Ratio, c.Stored, c.Uncompressed, c.Options)
	s := m.Sizes
	p("Sizes (bytes)", "file %d: data %d, index %d (partition-index blocks: %d), summary %d, bloom filter %d (bits: %d, hashes: %d), stats %d, footer %d",
		s.FileSize, s.Data, s.Index, s.IndexBlocks, s.Summary, s.Bloom, s.BloomBits, s.BloomHashes, s.Stats, s.Footer)
	ps := m.PartitionSize
	p("Partition size (bytes)", "min %d, mean %.1f, max %d (p50 %d, p95 %d, p99 %d)", ps.Min, ps.Mean, ps.Max, ps.P50, ps.P95, ps.P99)
	pr := m.PartitionRows
	p("Rows per partition", "min %d, mean %.1f, max %d", pr.Min, pr.Mean, pr.Max)
	p("GC before", "%s (now - gc_grace_seconds %d)", dateOf(m.Now-m.GCGrace), m.GCGrace)
	p("Estimated droppable tombstones", "%d (%.3f of cells)", m.DroppableTombstones, m.DroppableRatio)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "Estimated tombstone drop times:")
	if len(m.DropTimes) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, b := range m.DropTimes {
		fmt.Fprintf(w, "  %s: %d\n", dateOf(b.Time), b.Count)
	}
	return nil
}
