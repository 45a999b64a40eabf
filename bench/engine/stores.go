package engine

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/bloom"

	"wcdb/commitlog"
	"wcdb/mutation"
	"wcdb/ring"
	"wcdb/storage"
)

// store is one engine under test. Its methods are called from every worker
// at once.
type store interface {
	// insert writes a whole record.
	insert(key []byte, fields [][]byte) error
	// update rewrites one field of a record.
	update(key []byte, field int, value []byte) error
	// read reads a whole record and reports whether it has every field.
	read(key []byte) (bool, error)
	// insertRow writes row seq of a wide partition.
	insertRow(part []byte, seq uint64, fields [][]byte) error
	// readNewest reads the n rows of part with the highest seq and returns
	// how many it got.
	readNewest(part []byte, n int) (int, error)
	// writeAmp is SSTable bytes written (flushes and compactions) over user
	// bytes written; the write-ahead log is not counted, for either engine.
	writeAmp() float64
	// spaceAmp is the live SSTables' bytes over user bytes written.
	spaceAmp() float64
	// settle flushes and waits until no compaction is pending, so that read
	// workloads start from the same kind of state on both engines.
	settle(timeout time.Duration) error
	close() error
}

// storeConfig is what both engines are given alike.
type storeConfig struct {
	dir          string
	cacheSize    int64
	memtableSize int64
	blockSize    int
	fields       int
	compression  string
}

// clock hands out strictly increasing microsecond timestamps.
type clock struct{ last atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.last.Store(time.Now().UnixMicro())
	return c
}

func (c *clock) next() int64 { return c.last.Add(1) }

// wcdbStore is our engine: a record is a partition of one row with an
// empty clustering key (a table without clustering columns) and a cell per
// field; a wide partition has one row per seq, clustered by big-endian seq.
type wcdbStore struct {
	e       *storage.Engine
	records *storage.Table
	wide    *storage.Table
	clock   *clock
	fields  int
}

var (
	recordsTableID = mutation.TableID{'y', 'c', 's', 'b', 'u', 's', 'e', 'r'}
	wideTableID    = mutation.TableID{'y', 'c', 's', 'b', 's', 'l', 'i', 'c', 'e'}
)

func openWCDB(cfg storeConfig) (*wcdbStore, error) {
	opts := storage.DefaultOptions(cfg.dir)
	opts.CommitLogSync = commitlog.Periodic
	opts.MemtableFlushSize = cfg.memtableSize
	// The same memtable budget as Pebble's (MemTableStopWritesThreshold 2):
	// the active memtable and one being flushed before writes wait.
	opts.MaxFlushingMemtables = 1
	opts.BlockCacheSize = cfg.cacheSize
	opts.BlockSize = cfg.blockSize
	// Pebble does not throttle compaction; neither do we here.
	opts.CompactionThroughput = -1
	e, err := storage.Open(opts)
	if err != nil {
		return nil, err
	}
	s := &wcdbStore{e: e, clock: newClock(), fields: cfg.fields}
	tOpts := storage.TableOptions{Compression: cmp.Or(cfg.compression, "snappy"), BloomFPChance: 0.01}
	if s.records, err = e.CreateTable(recordsTableID, tOpts); err == nil {
		s.wide, err = e.CreateTable(wideTableID, tOpts)
	}
	if err != nil {
		e.Close()
		return nil, err
	}
	return s, nil
}

func wcdbKey(k []byte) mutation.Key { return mutation.Key{Token: ring.Murmur3(k), Bytes: k} }

func (s *wcdbStore) apply(t *storage.Table, key []byte, row mutation.Row) error {
	return t.Apply(&mutation.Mutation{Table: t.ID(), Partition: mutation.Partition{
		Key: wcdbKey(key), Deletion: mutation.Live, Rows: []mutation.Row{row},
	}})
}

func (s *wcdbStore) fullRow(clustering []byte, fields [][]byte) mutation.Row {
	ts := s.clock.next()
	row := mutation.NewRow(clustering)
	row.Liveness = mutation.Liveness{Timestamp: ts, ExpiresAt: mutation.NoDeletionTime}
	row.Cells = make([]mutation.Cell, len(fields))
	for i, f := range fields {
		row.Cells[i] = mutation.Cell{Column: uint32(i), Timestamp: ts, LocalDeletionTime: mutation.NoDeletionTime, Value: f}
	}
	return row
}

func (s *wcdbStore) insert(key []byte, fields [][]byte) error {
	return s.apply(s.records, key, s.fullRow(nil, fields))
}

func (s *wcdbStore) update(key []byte, field int, value []byte) error {
	// An UPDATE sets cells, not the row marker, as in CQL.
	row := mutation.NewRow(nil)
	row.Cells = []mutation.Cell{{Column: uint32(field), Timestamp: s.clock.next(), LocalDeletionTime: mutation.NoDeletionTime, Value: value}}
	return s.apply(s.records, key, row)
}

// read streams the row (ReadFunc, as the query layer reads), as Pebble's
// side decodes the record without keeping it.
func (s *wcdbStore) read(key []byte) (bool, error) {
	rows, cells := 0, 0
	_, err := s.records.ReadFunc(storage.Query{Key: wcdbKey(key)}, func(r *mutation.Row) bool {
		rows++
		cells = len(r.Cells)
		return true
	})
	return rows == 1 && cells == s.fields, err
}

func (s *wcdbStore) insertRow(part []byte, seq uint64, fields [][]byte) error {
	return s.apply(s.wide, part, s.fullRow(binary.BigEndian.AppendUint64(nil, seq), fields))
}

func (s *wcdbStore) readNewest(part []byte, n int) (int, error) {
	got := 0
	_, err := s.wide.ReadFunc(storage.Query{Key: wcdbKey(part), Reverse: true, Limit: n}, func(r *mutation.Row) bool {
		if len(r.Cells) == s.fields {
			got++
		}
		return true
	})
	return got, err
}

func (s *wcdbStore) writeAmp() float64 { return engineWriteAmp(s.e) }

func (s *wcdbStore) spaceAmp() float64 { return engineSpaceAmp(s.e) }

func engineSpaceAmp(e *storage.Engine) float64 {
	var live int64
	for _, tb := range e.Tables() {
		for _, f := range tb.Files() {
			live += f.Meta.FileSize
		}
	}
	return ratio(live, e.Metrics().BytesWritten.Load())
}

func engineWriteAmp(e *storage.Engine) float64 {
	m := e.Metrics()
	return ratio(m.BytesFlushed.Load()+m.BytesCompacted.Load(), m.BytesWritten.Load())
}

func (s *wcdbStore) close() error { return s.e.Close() }

func (s *wcdbStore) settle(timeout time.Duration) error { return settleEngine(s.e, timeout) }

// settleEngine flushes every table and waits (up to timeout) until none
// has a compaction pending.
func settleEngine(e *storage.Engine, timeout time.Duration) error {
	if err := e.FlushAll(); err != nil {
		return err
	}
	stop := make(chan struct{})
	t := time.AfterFunc(timeout, func() { close(stop) })
	defer t.Stop()
	for _, tb := range e.Tables() {
		if err := tb.CompactPending(stop); err != nil {
			return err
		}
	}
	return nil
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// pebbleStore is Pebble with one key per record; the value is the fields,
// each preceded by its uvarint length. A wide partition's row is the key
// part+bigEndian(seq).
type pebbleStore struct {
	db     *pebble.DB
	fields int
}

func openPebble(cfg storeConfig) (*pebbleStore, error) {
	cache := pebble.NewCache(cfg.cacheSize)
	defer cache.Unref()
	opts := &pebble.Options{
		Cache:        cache,
		MemTableSize: uint64(cfg.memtableSize),
		Levels:       make([]pebble.LevelOptions, 7),
	}
	for i := range opts.Levels {
		l := &opts.Levels[i]
		l.FilterPolicy = bloom.FilterPolicy(10)
		l.FilterType = pebble.TableFilter
		l.BlockSize = cfg.blockSize
		switch cfg.compression {
		case "", "snappy":
			l.Compression = pebble.SnappyCompression
		case "zstd":
			l.Compression = pebble.ZstdCompression
		case "none":
			l.Compression = pebble.NoCompression
		default:
			return nil, fmt.Errorf("bench: pebble has no %s compression (snappy, zstd, none)", cfg.compression)
		}
	}
	db, err := pebble.Open(cfg.dir, opts)
	if err != nil {
		return nil, fmt.Errorf("bench: open pebble: %w", err)
	}
	return &pebbleStore{db: db, fields: cfg.fields}, nil
}

func encodeRecord(dst []byte, fields [][]byte) []byte {
	for _, f := range fields {
		dst = binary.AppendUvarint(dst, uint64(len(f)))
		dst = append(dst, f...)
	}
	return dst
}

var errBadRecord = errors.New("bench: malformed pebble record")

// decodeRecord appends the fields of an encoded record to dst; the fields
// alias rec.
func decodeRecord(dst [][]byte, rec []byte) ([][]byte, error) {
	for len(rec) > 0 {
		n, w := binary.Uvarint(rec)
		if w <= 0 || uint64(len(rec)-w) < n {
			return dst, errBadRecord
		}
		dst = append(dst, rec[w:w+int(n)])
		rec = rec[w+int(n):]
	}
	return dst, nil
}

func (s *pebbleStore) insert(key []byte, fields [][]byte) error {
	return s.db.Set(key, encodeRecord(nil, fields), pebble.NoSync)
}

// update is a read-modify-write, as YCSB's RocksDB binding does.
func (s *pebbleStore) update(key []byte, field int, value []byte) error {
	v, c, err := s.db.Get(key)
	if err != nil {
		return err
	}
	fields, err := decodeRecord(make([][]byte, 0, s.fields), v)
	if err == nil && field < len(fields) {
		fields[field] = value
		err = s.db.Set(key, encodeRecord(nil, fields), pebble.NoSync)
	}
	c.Close()
	return err
}

func (s *pebbleStore) read(key []byte) (bool, error) {
	v, c, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer c.Close()
	var buf [16][]byte
	fields, err := decodeRecord(buf[:0], v)
	return err == nil && len(fields) == s.fields, err
}

func (s *pebbleStore) insertRow(part []byte, seq uint64, fields [][]byte) error {
	key := binary.BigEndian.AppendUint64(append([]byte(nil), part...), seq)
	return s.db.Set(key, encodeRecord(nil, fields), pebble.NoSync)
}

func (s *pebbleStore) readNewest(part []byte, n int) (int, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: part, UpperBound: mutation.PrefixEnd(part)})
	if err != nil {
		return 0, err
	}
	got := 0
	var buf [16][]byte
	for ok := it.Last(); ok && got < n; ok = it.Prev() {
		// Decode what was read, as our engine decodes its rows.
		if _, err := decodeRecord(buf[:0], it.Value()); err != nil {
			it.Close()
			return got, err
		}
		got++
	}
	return got, it.Close()
}

func (s *pebbleStore) writeAmp() float64 {
	m := s.db.Metrics()
	var out uint64
	for _, l := range m.Levels {
		out += l.BytesFlushed + l.BytesCompacted
	}
	return ratio(int64(out), int64(m.WAL.BytesIn))
}

func (s *pebbleStore) spaceAmp() float64 {
	m := s.db.Metrics()
	var live int64
	for _, l := range m.Levels {
		live += l.Size
	}
	return ratio(live, int64(m.WAL.BytesIn))
}

func (s *pebbleStore) close() error { return s.db.Close() }

func (s *pebbleStore) settle(timeout time.Duration) error {
	if err := s.db.Flush(); err != nil {
		return err
	}
	// Pebble has no "wait for compactions"; idle for 100 ms in a row counts.
	// (EstimatedDebt need not reach zero: small LSMs keep some.)
	idle := 0
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline) && idle < 10; time.Sleep(10 * time.Millisecond) {
		if s.db.Metrics().Compact.NumInProgress == 0 {
			idle++
		} else {
			idle = 0
		}
	}
	return nil
}
