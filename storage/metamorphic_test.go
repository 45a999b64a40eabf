package storage

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"wcdb/commitlog"
	"wcdb/internal/vfs"
	"wcdb/mutation"
)

var (
	seedFlag = flag.Int64("seed", 0, "metamorphic test seed (0: time-based)")
	opsFlag  = flag.Int("ops", 1500, "metamorphic test operations per configuration")
	traceOps = flag.Bool("trace", false, "metamorphic test: log every operation")
	bgFlush  = flag.Bool("bgflush", true, "metamorphic test: flush in the background by memtable size (false: only explicit flushes, deterministic)")
)

// The model is deliberately naive and independent of the mutation package's
// merge code: it keeps every write and deletion and decides visibility per
// cell at read time.
type mWrite struct {
	ck, col   int // ck -1: the static row; col -1: the row marker
	ts        int64
	val       string
	expiresAt int64
	tomb      bool
}

type mDel struct {
	lo, hi int // clustering range [lo, hi); a row delete is [ck, ck+1)
	ts     int64
	part   bool
}

type model struct {
	writes map[int][]mWrite
	dels   map[int][]mDel
	// versions, if positive, makes the regular columns versioned, keeping
	// the newest this many (cell_versions' max_versions): a cell tombstone
	// is then a column deletion, shadowing the versions at or before it.
	versions int
}

func (m *model) visible(pk int, lo, hi int, reverse bool, limit int, now int64) string {
	byRow := map[int][]mWrite{}
	for _, w := range m.writes[pk] {
		byRow[w.ck] = append(byRow[w.ck], w)
	}
	var cks []int
	for c := range byRow {
		if c >= 0 && c >= lo && c < hi {
			cks = append(cks, c)
		}
	}
	sort.Ints(cks)
	if reverse {
		for i, j := 0, len(cks)-1; i < j; i, j = i+1, j-1 {
			cks[i], cks[j] = cks[j], cks[i]
		}
	}
	rowStr := func(ck int) (string, bool) {
		var delTS int64 = -1 << 62
		for _, d := range m.dels[pk] {
			if d.part || (ck >= 0 && ck >= d.lo && ck < d.hi) {
				delTS = max(delTS, d.ts)
			}
		}
		versioned := m.versions > 0 && ck >= 0
		best := map[int]mWrite{}
		for _, w := range byRow[ck] {
			if w.ts <= delTS || versioned && w.col >= 0 {
				continue
			}
			b, ok := best[w.col]
			if !ok || w.ts > b.ts || (w.ts == b.ts && w.tomb) {
				best[w.col] = w
			}
		}
		var cols []int
		for c := range best {
			cols = append(cols, c)
		}
		sort.Ints(cols)
		live := false
		var sb strings.Builder
		for _, c := range cols {
			w := best[c]
			if w.tomb || now >= w.expiresAt {
				continue
			}
			live = true
			if c >= 0 {
				fmt.Fprintf(&sb, " c%d=%s", c, w.val)
			}
		}
		if versioned {
			s, l := m.versionsOf(byRow[ck], delTS, now)
			sb.WriteString(s)
			live = live || l
		}
		return sb.String(), live
	}
	var out strings.Builder
	if s, ok := rowStr(-1); ok {
		fmt.Fprintf(&out, "static:%s\n", s)
	}
	n := 0
	for _, c := range cks {
		if limit > 0 && n >= limit {
			break
		}
		if s, ok := rowStr(c); ok {
			fmt.Fprintf(&out, "%d:%s\n", c, s)
			n++
		}
	}
	return out.String()
}

// versionsOf is the model of a versioned row's cells: per column, the
// writes newer than the row's deletion and the column's, newest first,
// the newest m.versions of them (expired ones count), those still live.
func (m *model) versionsOf(ws []mWrite, delTS, now int64) (string, bool) {
	var sb strings.Builder
	live := false
	for col := 0; col < 4; col++ {
		colDel := delTS
		for _, w := range ws {
			if w.col == col && w.tomb {
				colDel = max(colDel, w.ts)
			}
		}
		var vs []mWrite
		for _, w := range ws {
			if w.col == col && !w.tomb && w.ts > colDel {
				vs = append(vs, w)
			}
		}
		sort.Slice(vs, func(i, j int) bool { return vs[i].ts > vs[j].ts })
		for i, v := range vs {
			if i == m.versions {
				break
			}
			if now < v.expiresAt {
				fmt.Fprintf(&sb, " c%d=%s", col, v.val)
				live = true
			}
		}
	}
	return sb.String(), live
}

func formatPartition(p *mutation.Partition) string {
	if p == nil {
		return ""
	}
	var out strings.Builder
	row := func(r *mutation.Row) string {
		var sb strings.Builder
		for _, c := range r.Cells {
			fmt.Fprintf(&sb, " c%d=%s", c.Column, c.Value)
		}
		return sb.String()
	}
	if p.Static != nil {
		fmt.Fprintf(&out, "static:%s\n", row(p.Static))
	}
	for i := range p.Rows {
		fmt.Fprintf(&out, "%d:%s\n", int(p.Rows[i].Clustering[0])<<8|int(p.Rows[i].Clustering[1]), row(&p.Rows[i]))
	}
	return out.String()
}

type metaConfig struct {
	name       string
	table      TableOptions
	flushSize  int64
	blockSize  int
	sync       commitlog.SyncMode
	monotonic  bool // timestamps only grow (needed where gc_grace is short)
	crashes    bool // reopen from a simulated power loss (Batch mode only)
	blockCache int64
}

func TestMetamorphic(t *testing.T) {
	seed := *seedFlag
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	t.Logf("seed %d (rerun with -seed %d)", seed, seed)
	configs := []metaConfig{
		{name: "stcs-tiny-memtable", table: TableOptions{CompactionOptions: map[string]string{"min_threshold": "2"}}, flushSize: 2 << 10, blockSize: 256},
		{name: "lcs", table: TableOptions{Compaction: "LeveledCompactionStrategy", CompactionOptions: map[string]string{"sstable_size_in_mb": "1"}}, flushSize: 4 << 10, blockSize: 512},
		{name: "twcs-uncompressed", table: TableOptions{Compaction: "TimeWindowCompactionStrategy", Compression: "none"}, flushSize: 3 << 10, blockSize: 1024},
		{name: "short-gc-grace-batch-crash", table: TableOptions{GCGraceSeconds: 2, CompactionOptions: map[string]string{"min_threshold": "2"}}, flushSize: 2 << 10, blockSize: 256, sync: commitlog.Batch, monotonic: true, crashes: true},
		// Cell versions (versions.go): the model keeps every write and
		// ranks them; gc_grace stays long, as expired versions count.
		{name: "versions-stcs", table: TableOptions{Versions: mutation.VersionRule{MaxVersions: 2}, CompactionOptions: map[string]string{"min_threshold": "2"}}, flushSize: 2 << 10, blockSize: 256},
		{name: "versions-lcs-batch-crash", table: TableOptions{Versions: mutation.VersionRule{MaxVersions: 3}, Compaction: "LeveledCompactionStrategy", CompactionOptions: map[string]string{"sstable_size_in_mb": "1"}}, flushSize: 4 << 10, blockSize: 512, sync: commitlog.Batch, crashes: true},
		// Expired versions' tombstones purged after a short gc_grace: a
		// compaction purges one only when no other source of the node may
		// hold an older version, so none ranks back in (docs/VERSIONS.md).
		{name: "versions-short-gc-grace", table: TableOptions{Versions: mutation.VersionRule{MaxVersions: 2}, GCGraceSeconds: 2, CompactionOptions: map[string]string{"min_threshold": "2"}}, flushSize: 2 << 10, blockSize: 256, monotonic: true},
		{name: "gc-grace-zero-group-crash", table: TableOptions{GCGraceSeconds: -1, Compaction: "LeveledCompactionStrategy"}, flushSize: 8 << 10, blockSize: 4096, sync: commitlog.Group, monotonic: true, crashes: true, blockCache: 1},
	}
	for i, cfg := range configs {
		t.Run(cfg.name, func(t *testing.T) {
			runMetamorphic(t, cfg, seed+int64(i), *opsFlag)
		})
	}
}

func runMetamorphic(t *testing.T, cfg metaConfig, seed int64, ops int) {
	rng := rand.New(rand.NewSource(seed))
	fs := vfs.NewMem()
	// The engine's clock; background flushes read it too.
	var clock atomic.Int64
	clock.Store(1_000_000)
	now := clock.Load()
	open := func(fs vfs.FS) *Engine {
		o := DefaultOptions("/db")
		o.FS = fs
		o.MemtableFlushSize = cfg.flushSize
		if !*bgFlush {
			o.MemtableFlushSize = 1 << 40
		}
		o.BlockSize = cfg.blockSize
		o.CommitLogSync = cfg.sync
		o.CommitLogGroupWindow = 100 * time.Microsecond
		o.CommitLogSegmentSize = 16 << 10
		o.DisableAutoCompaction = true
		if cfg.blockCache > 0 {
			o.BlockCacheSize = cfg.blockCache
		}
		o.Now = func() time.Time { return time.Unix(clock.Load(), 0) }
		if *traceOps {
			o.Logf = t.Logf
		}
		e, err := Open(o)
		if err != nil {
			t.Fatalf("seed %d: open: %v", seed, err)
		}
		return e
	}
	e := open(fs)
	defer func() { e.Close() }()
	tb, err := e.CreateTable(testTable, cfg.table)
	if err != nil {
		t.Fatal(err)
	}
	m := &model{writes: map[int][]mWrite{}, dels: map[int][]mDel{}, versions: cfg.table.Versions.MaxVersions}
	versioned := m.versions > 0
	const parts, rows = 12, 40
	used := map[int64]bool{}
	var tsCounter int64
	var lastWriteTS int64 = 1
	newTS := func() int64 {
		if cfg.monotonic {
			tsCounter++
			return tsCounter
		}
		for {
			ts := rng.Int63n(1_000_000) + 1
			if !used[ts] {
				used[ts] = true
				return ts
			}
		}
	}
	delTS := func() int64 {
		// Sometimes exactly a write's timestamp: a deletion shadows data
		// written at the same time.
		if !cfg.monotonic && rng.Intn(3) == 0 {
			return lastWriteTS
		}
		return newTS()
	}
	apply := func(mu *mutation.Mutation) {
		t.Helper()
		if err := e.Apply(mu); err != nil {
			t.Fatalf("seed %d: apply: %v", seed, err)
		}
	}
	check := func(step int) {
		p := rng.Intn(parts)
		lo, hi := 0, rows
		q := Query{Key: pk(p)}
		if rng.Intn(2) == 0 {
			lo = rng.Intn(rows)
			hi = lo + rng.Intn(rows-lo) + 1
			q.Start, q.End = ck16(lo), ck16(hi)
		}
		q.Reverse = rng.Intn(3) == 0
		if rng.Intn(3) == 0 {
			q.Limit = rng.Intn(5) + 1
		}
		got, err := tb.Read(q)
		if err != nil {
			t.Fatalf("seed %d step %d: read: %v", seed, step, err)
		}
		want := m.visible(p, lo, hi, q.Reverse, q.Limit, now)
		if g := formatPartition(got); g != want {
			raw, _ := tb.Read(Query{Key: pk(p), Raw: true})
			t.Fatalf("seed %d step %d now %d: partition %d [%d,%d) reverse=%v limit=%d:\ngot:\n%s\nwant:\n%s\nmodel writes %+v\nmodel deletions %+v\nraw %+v", seed, step, now, p, lo, hi, q.Reverse, q.Limit, g, want, m.writes[p], m.dels[p], raw)
		}
		// ReadFunc streams the same rows.
		var rows []mutation.Row
		st, err := tb.ReadFunc(q, func(r *mutation.Row) bool {
			c := *r
			c.Cells = append([]mutation.Cell(nil), r.Cells...)
			rows = append(rows, c)
			return true
		})
		if err != nil {
			t.Fatalf("seed %d step %d: ReadFunc: %v", seed, step, err)
		}
		var fp *mutation.Partition
		if st != nil || len(rows) > 0 {
			fp = &mutation.Partition{Key: q.Key, Deletion: mutation.Live, Static: st, Rows: rows}
		}
		if g := formatPartition(fp); g != want {
			t.Fatalf("seed %d step %d: ReadFunc of partition %d [%d,%d) reverse=%v limit=%d:\ngot:\n%s\nwant:\n%s", seed, step, p, lo, hi, q.Reverse, q.Limit, g, want)
		}
	}
	// scanCheck pages through a random token range with a random page size
	// and compares every partition with the model.
	scanCheck := func(step int) {
		a, b := rng.Int63()-rng.Int63(), rng.Int63()-rng.Int63()
		if a > b {
			a, b = b, a
		}
		if rng.Intn(3) == 0 {
			a, b = minToken, minToken // the whole ring
		}
		var want strings.Builder
		keys := make([]int, parts)
		for i := range keys {
			keys[i] = i
		}
		sort.Slice(keys, func(i, j int) bool { return pk(keys[i]).Compare(pk(keys[j])) < 0 })
		for _, p := range keys {
			tok := pk(p).Token
			if a != minToken && tok <= a || b != minToken && tok > b {
				continue
			}
			if v := m.visible(p, 0, rows, false, 0, now); v != "" {
				fmt.Fprintf(&want, "partition %d\n%s", p, v)
			}
		}
		from, to := TokenRange(a, b)
		q := ScanQuery{From: from, To: to, Limit: rng.Intn(10) + 1}
		var got strings.Builder
		var last []byte
		for pages := 0; ; pages++ {
			if pages > 10000 {
				t.Fatalf("seed %d step %d: scan does not end", seed, step)
			}
			pos, err := tb.Scan(q, func(p *mutation.Partition) bool {
				if !bytes.Equal(p.Key.Bytes, last) {
					fmt.Fprintf(&got, "partition %d\n", beUint(p.Key.Bytes))
					last = p.Key.Bytes
				}
				got.WriteString(formatPartition(p))
				return true
			})
			if err != nil {
				t.Fatalf("seed %d step %d: scan: %v", seed, step, err)
			}
			if pos == nil {
				break
			}
			q.After = pos
		}
		if got.String() != want.String() {
			t.Fatalf("seed %d step %d: scan (%d, %d] pages of %d:\ngot:\n%s\nwant:\n%s", seed, step, a, b, q.Limit, got.String(), want.String())
		}
	}
	for step := 0; step < ops; step++ {
		if *traceOps {
			got, _ := tb.Read(Query{Key: pk(2)})
			t.Logf("p2: %q files %d", formatPartition(got), len(tb.Files()))
		}
		now += int64(rng.Intn(3))
		clock.Store(now)
		p := rng.Intn(parts)
		mu := &mutation.Mutation{Table: testTable, Partition: mutation.Partition{Key: pk(p), Deletion: mutation.Live}}
		op := rng.Intn(100)
		if *traceOps {
			t.Logf("step %d op %d partition %d now %d", step, op, p, now)
		}
		switch {
		case op < 40: // write a row, maybe with a marker and a TTL
			c := rng.Intn(rows)
			ts := newTS()
			lastWriteTS = ts
			r := mutation.NewRow(ck16(c))
			exp, ttl := int64(mutation.NoDeletionTime), int32(0)
			if rng.Intn(5) == 0 {
				ttl = int32(rng.Intn(20) + 1)
				exp = now + int64(ttl)
			}
			if rng.Intn(2) == 0 {
				r.Liveness = mutation.Liveness{Timestamp: ts, TTL: ttl, ExpiresAt: exp}
				m.writes[p] = append(m.writes[p], mWrite{ck: c, col: -1, ts: ts, expiresAt: exp})
			}
			for col := 0; col < 4; col++ {
				if rng.Intn(2) == 0 {
					continue
				}
				v := fmt.Sprintf("v%d", ts)
				cell := mutation.Cell{Column: uint32(col), Timestamp: ts, LocalDeletionTime: mutation.NoDeletionTime, Value: []byte(v)}
				if ttl > 0 {
					cell.Flags, cell.TTL, cell.LocalDeletionTime = mutation.CellExpiring, ttl, exp
				}
				if versioned {
					cell.Flags |= mutation.CellVersion
					cell.Path = mutation.VersionPath(ts)
				}
				r.Cells = append(r.Cells, cell)
				m.writes[p] = append(m.writes[p], mWrite{ck: c, col: col, ts: ts, val: v, expiresAt: exp})
			}
			mu.Partition.Rows = []mutation.Row{r}
			apply(mu)
		case op < 46: // static cell
			ts := newTS()
			v := fmt.Sprintf("s%d", ts)
			st := mutation.NewRow(nil)
			st.Cells = []mutation.Cell{{Column: 9, Timestamp: ts, LocalDeletionTime: mutation.NoDeletionTime, Value: []byte(v)}}
			mu.Partition.Static = &st
			m.writes[p] = append(m.writes[p], mWrite{ck: -1, col: 9, ts: ts, val: v, expiresAt: mutation.NoDeletionTime})
			apply(mu)
		case op < 56: // cell tombstone
			c, col, ts := rng.Intn(rows), rng.Intn(4), delTS()
			r := mutation.NewRow(ck16(c))
			r.Cells = []mutation.Cell{{Column: uint32(col), Flags: mutation.CellTombstone, Timestamp: ts, LocalDeletionTime: now}}
			if versioned {
				r.Cells[0].Flags = mutation.CellColumnDeletion
			}
			mu.Partition.Rows = []mutation.Row{r}
			m.writes[p] = append(m.writes[p], mWrite{ck: c, col: col, ts: ts, tomb: true, expiresAt: mutation.NoDeletionTime})
			apply(mu)
		case op < 63: // row deletion
			c, ts := rng.Intn(rows), delTS()
			r := mutation.NewRow(ck16(c))
			r.Deletion = mutation.Deletion{Timestamp: ts, LocalDeletionTime: now}
			mu.Partition.Rows = []mutation.Row{r}
			m.dels[p] = append(m.dels[p], mDel{lo: c, hi: c + 1, ts: ts})
			apply(mu)
		case op < 68: // range deletion
			lo := rng.Intn(rows)
			hi := lo + rng.Intn(8) + 1
			ts := delTS()
			mu.Partition.RangeTombstones = []mutation.RangeTombstone{{Start: ck16(lo), End: ck16(hi), Deletion: mutation.Deletion{Timestamp: ts, LocalDeletionTime: now}}}
			m.dels[p] = append(m.dels[p], mDel{lo: lo, hi: hi, ts: ts})
			apply(mu)
		case op < 70: // partition deletion
			ts := delTS()
			mu.Partition.Deletion = mutation.Deletion{Timestamp: ts, LocalDeletionTime: now}
			m.dels[p] = append(m.dels[p], mDel{part: true, ts: ts})
			apply(mu)
		case op < 85:
			check(step)
		case op < 88:
			scanCheck(step)
		case op < 93:
			if err := tb.Flush(); err != nil {
				t.Fatalf("seed %d step %d: flush: %v", seed, step, err)
			}
		case op < 97:
			if _, err := tb.compactOnce(nil); err != nil {
				t.Fatalf("seed %d step %d: compaction: %v", seed, step, err)
			}
		case op < 98:
			if err := tb.Compact(); err != nil {
				t.Fatalf("seed %d step %d: major compaction: %v", seed, step, err)
			}
		default: // restart, from a clean shutdown or a power loss
			if cfg.crashes && rng.Intn(2) == 0 {
				if *traceOps {
					t.Logf("power loss")
				}
				crashed := fs.Crash()
				e.Close()
				fs = crashed
			} else {
				e.Close()
			}
			e = open(fs)
			tb = e.Table(testTable)
			if err := tb.Verify(); err != nil {
				t.Fatalf("seed %d step %d: verify: %v", seed, step, err)
			}
		}
	}
	for p := 0; p < parts; p++ {
		got, err := tb.Read(Query{Key: pk(p)})
		if err != nil {
			t.Fatal(err)
		}
		if g, w := formatPartition(got), m.visible(p, 0, rows, false, 0, now); g != w {
			t.Fatalf("seed %d final partition %d:\ngot:\n%s\nwant:\n%s", seed, p, g, w)
		}
	}
	t.Logf("%d files, metrics: flushes %d compactions %d", len(tb.Files()), e.Metrics().Flushes.Load(), e.Metrics().Compactions.Load())
}

func ck16(i int) []byte { return []byte{byte(i >> 8), byte(i)} }
