// Package commitlog is wcdb's write-ahead log: opaque records appended to
// CRC'd segment files, made durable by one of three sync modes, and replayed
// at start-up. The engine encodes its mutations into bytes; this package
// never interprets them.
//
// Life cycle: Open, then Replay once (even on an empty directory), then
// Append, Sync, Current and Release from any number of goroutines, then Close.
// Appends always go to a segment created by this process: the segments found
// by Open are only replayed and, once released, deleted.
//
// A failed write or fsync (a full disk, an I/O error) fails the appends it
// covers and is reported to Options.OnError; the log then recovers by
// itself: the next Append closes the damaged segment cleanly (cut back to
// its last whole write and synced) and starts a fresh one. See Append.
package commitlog

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"wcdb/internal/histogram"
	"wcdb/internal/vfs"
)

// SyncMode says when an appended record counts as durable.
type SyncMode int

const (
	// Periodic acknowledges a record once it is queued for the log's owner
	// goroutine, which hands it to the operating system at once (one write
	// for every record queued meanwhile) and fsyncs every SyncPeriod. A
	// power loss can lose up to SyncPeriod of writes, a process killed at
	// the wrong microsecond the records not yet handed over; everything
	// synced (Sync, Close, the periodic fsync) survives. It is Cassandra's
	// default.
	Periodic SyncMode = iota
	// Batch acknowledges a record after an fsync that covers it. One goroutine
	// writes and fsyncs everything queued while the previous fsync ran, so
	// concurrent appenders share fsyncs.
	Batch
	// Group is Batch with an adaptive window before each fsync, for fewer
	// fsyncs under load: the owner waits for as many records as the last
	// cycle saw (those its fsync covered and those queued while it ran),
	// at most twice as long as the last flush took and at most
	// GroupWindow; a lone writer, or one after an idle spell, is synced
	// at once. Acknowledgement is as in Batch: after an fsync that covers
	// the record. See groupWait.
	Group
)

// ParseSyncMode parses "periodic", "batch" or "group" (case-insensitive).
func ParseSyncMode(s string) (SyncMode, error) {
	switch strings.ToLower(s) {
	case "periodic":
		return Periodic, nil
	case "batch":
		return Batch, nil
	case "group":
		return Group, nil
	}
	return 0, fmt.Errorf("commitlog: unknown sync mode %q (want periodic, batch or group)", s)
}

// String returns the name ParseSyncMode accepts.
func (m SyncMode) String() string {
	switch m {
	case Periodic:
		return "periodic"
	case Batch:
		return "batch"
	case Group:
		return "group"
	}
	return fmt.Sprintf("SyncMode(%d)", int(m))
}

// Defaults of Options' zero fields.
const (
	DefaultSegmentSize   = 32 << 20
	DefaultMaxRecordSize = 16 << 20
	DefaultSyncPeriod    = 10 * time.Second
	DefaultGroupWindow   = 2 * time.Millisecond
	// maxRecordSizeLimit keeps a record's length within its uint32 field
	// with room to spare.
	maxRecordSizeLimit = 1 << 30
)

// Options configures a Log. Zero fields take the documented defaults.
type Options struct {
	// FS is the file system; nil means vfs.Default.
	FS vfs.FS
	// Dir is the directory of the segment files; it is created if missing.
	// Required.
	Dir string
	// SegmentSize is the size at which a segment is closed and the next one
	// started (default 32 MiB). A record that does not fit in what is left
	// goes to a fresh segment; a record larger than SegmentSize gets a segment
	// of its own, which grows past SegmentSize.
	SegmentSize int64
	// MaxRecordSize bounds one record's payload (default 16 MiB, at most
	// 1 GiB). Append rejects larger records with ErrRecordTooLarge.
	MaxRecordSize int
	// Sync is the durability mode (default Periodic).
	Sync SyncMode
	// SyncPeriod is the interval of the background fsync in Periodic mode
	// (default 10 s, as Cassandra's commitlog_sync_period).
	SyncPeriod time.Duration
	// GroupWindow bounds, in Group mode, how long the owner holds a batch
	// open for more writers before its fsync (default 2 ms). The window is
	// adaptive: it ends once as many records are queued as the last cycle
	// saw, lasts no longer than twice the last flush, and is not held at
	// all for a lone writer or after an idle spell; so it adds at most two
	// fsyncs' time to a write, and the fsync rate falls as load rises.
	GroupWindow time.Duration
	// SkipCorrupt makes Replay log and skip a corrupt record (or a corrupt
	// tail of a segment that is not the last) instead of failing.
	SkipCorrupt bool
	// MinSegmentID is the lowest id a new segment may take. Ids come from
	// the files present, and replay removes a last segment whose header
	// never reached the disk; a caller that keeps positions across restarts
	// (the engine's replay points) passes one past the newest segment they
	// name, so that a new segment never reuses positions it already named.
	MinSegmentID uint64
	// Logf receives notices such as a torn tail being cut; nil discards them.
	Logf func(format string, args ...any)
	// OnError is told of every failed write or fsync of a segment file
	// (ENOSPC, EIO), with an error naming the file; the node applies its
	// commit_failure_policy there. It is called from the log's own
	// goroutine, which waits for it: it must return quickly and call no
	// method of the Log. Nil: nothing is told (the appenders still get
	// the error).
	OnError func(err error)
}

// withDefaults returns o with zero fields set to their defaults, or an
// error naming the first invalid field.
func (o Options) withDefaults() (Options, error) {
	if o.FS == nil {
		o.FS = vfs.Default
	}
	if o.Dir == "" {
		return o, errors.New("commitlog: Options.Dir is required")
	}
	if o.SegmentSize == 0 {
		o.SegmentSize = DefaultSegmentSize
	}
	if o.SegmentSize < segmentHeaderSize+recordHeaderSize {
		return o, fmt.Errorf("commitlog: Options.SegmentSize %d is below the minimum %d", o.SegmentSize, segmentHeaderSize+recordHeaderSize)
	}
	if o.MaxRecordSize == 0 {
		o.MaxRecordSize = DefaultMaxRecordSize
	}
	if o.MaxRecordSize < 0 || o.MaxRecordSize > maxRecordSizeLimit {
		return o, fmt.Errorf("commitlog: Options.MaxRecordSize %d is outside [1, %d]", o.MaxRecordSize, maxRecordSizeLimit)
	}
	switch o.Sync {
	case Periodic, Batch, Group:
	default:
		return o, fmt.Errorf("commitlog: Options.Sync: unknown mode %d", int(o.Sync))
	}
	if o.SyncPeriod == 0 {
		o.SyncPeriod = DefaultSyncPeriod
	}
	if o.SyncPeriod < 0 {
		return o, fmt.Errorf("commitlog: Options.SyncPeriod %v is negative", o.SyncPeriod)
	}
	if o.GroupWindow == 0 {
		o.GroupWindow = DefaultGroupWindow
	}
	if o.GroupWindow < 0 {
		return o, fmt.Errorf("commitlog: Options.GroupWindow %v is negative", o.GroupWindow)
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.OnError == nil {
		o.OnError = func(error) {}
	}
	return o, nil
}

// Position locates a record: the segment id and the byte offset in its file.
// Positions of successive appends only grow.
type Position struct {
	Segment uint64
	Offset  int64
}

// Less orders positions by segment, then offset.
func (p Position) Less(q Position) bool {
	if p.Segment != q.Segment {
		return p.Segment < q.Segment
	}
	return p.Offset < q.Offset
}

func (p Position) String() string { return fmt.Sprintf("%d:%d", p.Segment, p.Offset) }

var (
	// ErrClosed is returned by operations on a closed Log.
	ErrClosed = errors.New("commitlog: closed")
	// ErrRecordTooLarge is returned by Append for a record over MaxRecordSize.
	ErrRecordTooLarge = errors.New("commitlog: record too large")
	// ErrNotReplayed is returned by Append and Sync before Replay has run.
	ErrNotReplayed = errors.New("commitlog: Replay has not run")
)

// Log is an open commit log. Its methods are safe for concurrent use, except
// Replay, which must run alone before the first Append.
type Log struct {
	opts    Options
	metrics Metrics

	// writerSeg is the segment the file owner writes to (0 before the
	// first); Release never deletes it or anything after it.
	writerSeg atomic.Uint64

	// w is the open segment file. It belongs to the owner goroutine (run),
	// and to Close after run has returned.
	w struct {
		f   vfs.File
		seg uint64
		// size is the file's length after its last successful write;
		// failed says a write or fsync of it failed since: a write may
		// have left part of a record past size.
		size   int64
		failed bool
		// orphan names a segment file created without its header having
		// been written, still to remove (see closeSegment).
		orphan string
	}

	// Appenders fill mu.pending and poke wake; run writes (and, for a
	// batch that asks, fsyncs) it and closes its done channel.
	wake      chan struct{}
	full      chan struct{}
	stop      chan struct{}
	ownerDone chan struct{}

	mu struct {
		sync.Mutex
		// err is the failure of the last write or fsync, nil once a write
		// has succeeded again. While it is set, Appends wait for their
		// write in every mode (see Append).
		err error
		// restart is set by a failure: the next Append starts a fresh
		// segment, headed by the retained records.
		restart bool
		// retained holds, in Periodic mode, the chunks of records that
		// were acknowledged but whose write failed: they are written
		// again, at new positions, when the log restarts.
		retained []chunk
		closed   bool
		replayed bool
		// seg and off are where the next record goes: seg is 0 until the first
		// append creates a segment, and off the end of the last record.
		seg uint64
		off int64
		// nextID is the id the next segment gets; firstNew the first id
		// this process gave (the segments from it on have no file until
		// the owner goroutine creates it).
		nextID, firstNew uint64
		// segs lists the live segment ids, ascending.
		segs []uint64
		// replay holds the segments found by Open, for Replay.
		replay []uint64
		// pending collects records for the owner; spare holds the
		// chunks of batches already written, for reuse.
		pending *batch
		spare   [][]byte
		// want is, while the owner holds a Group window open, the number
		// of pending records that ends it early (0 otherwise): the
		// appender whose record makes it so pokes full.
		want int
	}
}

// batch is what one fsync of the owner covers.
type batch struct {
	// sync asks for an fsync after the write: always in Batch and Group
	// modes; in Periodic mode on Sync and every SyncPeriod.
	sync   bool
	chunks []chunk // encoded records, in order
	n      int     // records in chunks
	done   chan struct{}
	err    error // set before done is closed
}

// chunk is a run of encoded records of one segment. A batch fills
// fixed-size chunks rather than one growing buffer: under a burst of
// appends that outruns the owner's writes a single buffer would be
// regrown, and recopied, many times.
type chunk struct {
	seg uint64
	buf []byte
	// acked says the records were acknowledged before being written
	// (Periodic mode): if the write fails they are retained.
	acked bool
}

// chunkSize is the capacity of a batch's chunks (a larger record gets a
// chunk of its own size), and maxSpareChunks how many written chunks are
// kept for reuse.
const (
	chunkSize      = 256 << 10
	maxSpareChunks = 32
)

// appendLocked encodes rec, placed at pos, into the pending batch b;
// acked says its appender does not wait for the write.
func (l *Log) appendLocked(b *batch, pos Position, rec []byte, acked bool) {
	n := recordHeaderSize + len(rec)
	if k := len(b.chunks); k == 0 || b.chunks[k-1].seg != pos.Segment || b.chunks[k-1].acked != acked || len(b.chunks[k-1].buf)+n > cap(b.chunks[k-1].buf) {
		var buf []byte
		if n > chunkSize {
			buf = make([]byte, 0, n)
		} else if s := len(l.mu.spare); s > 0 {
			buf = l.mu.spare[s-1]
			l.mu.spare = l.mu.spare[:s-1]
		} else {
			buf = make([]byte, 0, chunkSize)
		}
		b.chunks = append(b.chunks, chunk{seg: pos.Segment, buf: buf, acked: acked})
	}
	c := &b.chunks[len(b.chunks)-1]
	c.buf = appendRecord(c.buf, pos.Segment, rec)
	b.n++
	if b.n == l.mu.want {
		// The owner waits for this many records (Group mode).
		select {
		case l.full <- struct{}{}:
		default:
		}
	}
}

// Open opens the commit log in opts.Dir, creating the directory if needed,
// and starts the background goroutine of the sync mode. Call Replay next.
func Open(opts Options) (*Log, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := vfs.MkdirAllSynced(opts.FS, opts.Dir); err != nil {
		return nil, fmt.Errorf("commitlog: create %s: %w", opts.Dir, err)
	}
	names, err := opts.FS.List(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("commitlog: list %s: %w", opts.Dir, err)
	}
	l := &Log{opts: opts}
	var maxID uint64
	for _, name := range names {
		id, version, ok := parseSegmentName(name)
		if !ok {
			continue
		}
		if version != formatVersion {
			return nil, fmt.Errorf("commitlog: %s: unsupported format version %d", filepath.Join(opts.Dir, name), version)
		}
		l.mu.replay = append(l.mu.replay, id)
		maxID = max(maxID, id)
	}
	slices.Sort(l.mu.replay)
	l.mu.segs = slices.Clone(l.mu.replay)
	l.mu.nextID = max(maxID+1, opts.MinSegmentID)
	l.mu.firstNew = l.mu.nextID

	l.stop = make(chan struct{})
	l.ownerDone = make(chan struct{})
	l.wake = make(chan struct{}, 1)
	l.full = make(chan struct{}, 1)
	go l.run()
	return l, nil
}

func (l *Log) path(seg uint64) string { return filepath.Join(l.opts.Dir, segmentName(seg)) }

// Append adds rec to the log and returns its position once it is durable as
// the sync mode promises: in Batch and Group modes after an fsync covering
// it, in Periodic mode once it is queued for the owner goroutine. rec is not
// retained.
//
// A failed write or fsync fails the Appends waiting for it (in Periodic
// mode, the next Sync) and is reported to Options.OnError. The log
// recovers by itself, on the next Append: that one starts a fresh segment,
// which the owner goroutine opens after cutting the failed one back to its
// last whole write, syncing and closing it, so that a segment that is not
// the last never holds part of a record (replay would call that
// corruption). Until a write has succeeded again, Appends wait for their
// write in every mode, so nothing is acknowledged that did not reach the
// file; in Periodic mode, the records acknowledged before the failure whose
// write failed are written again first, at new (later) positions. So once
// the disk has room again, writes go on with no restart and no operator
// command: with commit_failure_policy ignore that is what the operator
// asked for, and with stop or die no write arrives anyway (the transports
// are stopped, the process gone). An admin command to resume would only
// add a step to forget.
func (l *Log) Append(rec []byte) (Position, error) {
	if len(rec) > l.opts.MaxRecordSize {
		return Position{}, fmt.Errorf("%w: %d bytes, limit %d", ErrRecordTooLarge, len(rec), l.opts.MaxRecordSize)
	}
	return l.appendQueued(rec)
}

// checkLocked returns why no record can be appended now, or nil.
func (l *Log) checkLocked() error {
	switch {
	case l.mu.closed:
		return ErrClosed
	case !l.mu.replayed:
		return ErrNotReplayed
	}
	return nil
}

// placeLocked assigns the position of a record of encoded size n, starting a
// new segment when the current one is full.
func (l *Log) placeLocked(n int64) Position {
	if l.mu.seg == 0 || (l.mu.off > segmentHeaderSize && l.mu.off+n > l.opts.SegmentSize) {
		l.mu.seg = l.mu.nextID
		l.mu.nextID++
		l.mu.off = segmentHeaderSize
		l.mu.segs = append(l.mu.segs, l.mu.seg)
	}
	pos := Position{Segment: l.mu.seg, Offset: l.mu.off}
	l.mu.off += n
	return pos
}

// failLocked records err, the failure of batch b's write or fsync (its
// first written chunks reached the file), and fails the batch queued
// behind it; it keeps the acknowledged records of both that were not
// written for the restart, and returns the chunks that may be reused.
func (l *Log) failLocked(err error, b *batch, written int) (recycle []chunk) {
	l.mu.err = err
	l.mu.restart = true
	keep := func(cs []chunk) {
		for _, c := range cs {
			if c.acked {
				l.mu.retained = append(l.mu.retained, c)
			} else {
				recycle = append(recycle, c)
			}
		}
	}
	recycle = append(recycle, b.chunks[:written]...)
	keep(b.chunks[written:])
	b.chunks = nil
	// The batch filling meanwhile has positions in the failed segment (or
	// after it); its waiting appenders fail too, and the next Append
	// places its acknowledged records again.
	if p := l.mu.pending; p != nil {
		l.mu.pending = nil
		keep(p.chunks)
		p.chunks = nil
		p.err = err
		close(p.done)
	}
	return recycle
}

// restartLocked starts the recovery after a failure: the next record goes
// to a fresh segment, after the retained records, re-encoded for it.
func (l *Log) restartLocked() {
	l.mu.restart = false
	l.mu.seg = 0
	retained := l.mu.retained
	l.mu.retained = nil
	if len(retained) == 0 {
		return
	}
	b := l.pendingLocked()
	for _, c := range retained {
		for off := 0; off < len(c.buf); {
			rec, n, ok := decodeRecord(c.buf[off:], c.seg)
			if !ok {
				panic("commitlog: retained chunk does not decode") // encoded by appendLocked
			}
			l.appendLocked(b, l.placeLocked(int64(n)), rec, true)
			off += n
		}
	}
	l.recycleLocked(retained)
}

// recycleLocked keeps the buffers of written chunks for reuse.
func (l *Log) recycleLocked(chunks []chunk) {
	for _, c := range chunks {
		// Chunks of oversized records are not kept.
		if cap(c.buf) == chunkSize && len(l.mu.spare) < maxSpareChunks {
			l.mu.spare = append(l.mu.spare, c.buf[:0])
		}
	}
}

// openSegment closes the current segment file (see closeSegment), then
// creates segment seg, makes its name durable and writes its header. Only
// the owner goroutine calls it.
func (l *Log) openSegment(seg uint64) error {
	if err := l.closeSegment(); err != nil {
		return err
	}
	name := l.path(seg)
	f, err := l.opts.FS.Create(name)
	if err != nil {
		l.w.orphan = name // in case the failed create left a file
		return fmt.Errorf("commitlog: create %s: %w", name, err)
	}
	l.w.f, l.w.seg, l.w.size, l.w.failed = f, seg, 0, false
	l.writerSeg.Store(seg)
	if err := l.opts.FS.SyncDir(l.opts.Dir); err != nil {
		l.w.failed = true
		return fmt.Errorf("commitlog: sync dir %s: %w", l.opts.Dir, err)
	}
	if _, err := f.Write(appendSegmentHeader(nil, seg)); err != nil {
		l.w.failed = true
		return fmt.Errorf("commitlog: write %s: %w", name, err)
	}
	l.w.size = segmentHeaderSize
	return nil
}

// closeSegment syncs and closes the current segment file before the owner
// moves on to the next: a segment that is not the last is always whole, so
// replay may treat any damage in it as corruption. After a failed write it
// first cuts the file back to its last whole write; a file whose header was
// never written is removed instead. On error the file stays current, and
// the next segment change tries again.
//
// After a failed fsync the file is synced again here, but Linux may have
// dropped the pages it could not write (it marks them clean): the records
// written since the last good fsync are then only in the memtables, safe
// once flushed. A full disk fails the write, not the fsync, on ext4, xfs
// and tmpfs (they reserve space at write time); NFS or a thin-provisioned
// volume may fail the fsync instead.
func (l *Log) closeSegment() error {
	if l.w.f != nil {
		name := l.path(l.w.seg)
		if l.w.size < segmentHeaderSize {
			l.w.f.Close() // removed next: what it holds does not matter
			l.w.f, l.w.orphan = nil, name
		} else {
			if l.w.failed {
				if err := l.w.f.Truncate(l.w.size); err != nil {
					return fmt.Errorf("commitlog: truncate %s: %w", name, err)
				}
			}
			if err := l.w.f.Sync(); err != nil {
				return fmt.Errorf("commitlog: sync %s: %w", name, err)
			}
			// The contents are durable: whatever Close says, the file is
			// done with (its descriptor is released either way).
			err := l.w.f.Close()
			l.w.f, l.w.failed = nil, false
			if err != nil {
				return fmt.Errorf("commitlog: close %s: %w", name, err)
			}
		}
	}
	if l.w.orphan == "" {
		return nil
	}
	if err := l.opts.FS.Remove(l.w.orphan); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("commitlog: remove %s: %w", l.w.orphan, err)
	}
	if err := l.opts.FS.SyncDir(l.opts.Dir); err != nil {
		return fmt.Errorf("commitlog: sync dir %s: %w", l.opts.Dir, err)
	}
	id, _, _ := parseSegmentName(filepath.Base(l.w.orphan))
	l.w.orphan = ""
	l.mu.Lock()
	if i := slices.Index(l.mu.segs, id); i >= 0 {
		l.mu.segs = slices.Delete(l.mu.segs, i, i+1)
	}
	l.mu.Unlock()
	return nil
}

// appendQueued encodes rec into the pending batch, wakes the owner and,
// but in Periodic mode with the log healthy, waits for the batch's write
// (and fsync, in Batch and Group modes).
func (l *Log) appendQueued(rec []byte) (Position, error) {
	l.mu.Lock()
	if err := l.checkLocked(); err != nil {
		l.mu.Unlock()
		return Position{}, err
	}
	failed := l.mu.err != nil
	if l.mu.restart {
		l.restartLocked()
	}
	pos := l.placeLocked(int64(recordHeaderSize + len(rec)))
	b := l.pendingLocked()
	acked := l.opts.Sync == Periodic && !failed
	l.appendLocked(b, pos, rec, acked)
	l.mu.Unlock()
	if acked {
		// Acknowledged once queued: the owner hands it to the OS at once and
		// fsyncs every SyncPeriod. A process killed within those
		// microseconds loses it, a power loss up to a period: what Periodic
		// promises is that everything synced survives.
		return pos, nil
	}

	<-b.done
	if b.err != nil {
		return Position{}, b.err
	}
	return pos, nil
}

// pendingLocked returns the batch being filled, starting one (and waking the
// owner) if there is none.
func (l *Log) pendingLocked() *batch {
	if b := l.mu.pending; b != nil {
		return b
	}
	b := &batch{
		sync: l.opts.Sync != Periodic,
		done: make(chan struct{}),
	}
	l.mu.pending = b
	select {
	case l.wake <- struct{}{}:
	default: // the owner has a wake-up pending already
	}
	return b
}

// run is the owner goroutine of Batch and Group modes: it alone writes and
// fsyncs segment files.
func (l *Log) run() {
	defer close(l.ownerDone)
	timer := time.NewTimer(0)
	<-timer.C
	// In Group mode, what the last flush covered, how long it took and
	// when it ended.
	var last groupFlush
	var tick <-chan time.Time
	if l.opts.Sync == Periodic {
		t := time.NewTicker(l.opts.SyncPeriod)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-l.wake:
		case <-tick:
			l.mu.Lock()
			if l.mu.err == nil && l.mu.seg != 0 {
				l.pendingLocked().sync = true
			}
			l.mu.Unlock()
		case <-l.stop:
			// Close has barred new appends; flush what is queued.
			l.flushPending()
			return
		}
		if l.opts.Sync != Group {
			l.flushPending()
			continue
		}
		l.groupWait(timer, last)
		start := time.Now()
		last.n = l.flushPending()
		last.end = time.Now()
		last.took = last.end.Sub(start)
		// The writers of this cycle: those just released and those
		// queued meanwhile.
		l.mu.Lock()
		if b := l.mu.pending; b != nil {
			last.n += b.n
		}
		l.mu.Unlock()
	}
}

// groupFlush describes a flush of the owner in Group mode.
type groupFlush struct {
	// n counts the records it covered and those queued by its end.
	n    int
	took time.Duration // from its start to its appenders' release
	end  time.Time
}

// groupSlack is how many times as long as the last flush took Group mode's
// window may last: the disk is idle at most that much longer than it was
// busy.
const groupSlack = 2

// groupWait is Group mode's adaptive window, held open before a flush
// while it is likely to gain records. The writers of the last cycle (those
// the last flush released, and those queued while it ran) tend to come
// back, and one fsync for all of them costs less than one for each part:
// fewer fsyncs, and when every writer waits on the same fsync the owner
// finds a CPU free the moment it returns. The window ends as soon as the
// pending batch holds that many records, and at the latest after
// groupSlack times as long as the last flush took, or GroupWindow,
// whichever is shorter. It is not held at all when the log has been idle
// for longer than that (a lone writer is synced at once), nor after a
// cycle of a single record.
//
// Measured on 2 shared cores, 32 client threads inserting through CQL
// (wcdb bench ycsb, load; the figures move with the machine's other
// load): Group ran at 0.45–0.86× of Periodic's throughput, against
// 0.27–0.45× with the fixed window it replaced and 0.42–0.70× for Batch,
// with fewer than half Batch's fsyncs. What keeps it from Periodic is
// latency and CPU: every writer waits for an fsync, and a flush cannot
// overlap the requests of the writers it waits for. (Two fsyncs in flight
// at once, tried to overlap them, doubled the fsyncs and ran slower.) On
// this VM an fsync also costs ~200 µs of CPU (getrusage around a loop of
// them, appending or overwriting, fsync or fdatasync alike), and a node at
// 32 client threads gathers ~17 records per fsync: with client and server
// on 2 saturated cores, the node's CPU per insert went from ~48 µs
// (Periodic) to ~75 (Group). A wider window (4x the last flush, up to
// 4 ms) cut the fsyncs by a third but not the CPU clearly, so it stays.
func (l *Log) groupWait(timer *time.Timer, last groupFlush) {
	d := min(groupSlack*last.took, l.opts.GroupWindow)
	if last.n <= 1 || d <= 0 || time.Since(last.end) > d {
		return
	}
	l.mu.Lock()
	if b := l.mu.pending; b == nil || b.n >= last.n {
		l.mu.Unlock()
		return
	}
	select {
	case <-l.full: // a stale poke
	default:
	}
	l.mu.want = last.n
	l.mu.Unlock()
	timer.Reset(d)
	select {
	case <-l.full:
	case <-timer.C:
	case <-l.stop:
	}
	timer.Stop()
	l.mu.Lock()
	l.mu.want = 0
	l.mu.Unlock()
}

// flushPending writes and fsyncs the pending batch, if any, and releases
// its appenders; it returns the number of records it covered. A failure is
// recorded (see failLocked) and reported.
func (l *Log) flushPending() int {
	l.mu.Lock()
	b := l.mu.pending
	l.mu.pending = nil
	l.mu.Unlock()
	if b == nil {
		return 0
	}
	n := b.n
	written, werr := l.writeBatch(b)
	l.mu.Lock()
	var recycle []chunk
	recovered := false
	if werr != nil {
		recycle = l.failLocked(werr, b, written)
	} else {
		recycle, b.chunks = b.chunks, nil
		recovered = l.mu.err != nil
		l.mu.err = nil
	}
	b.err = werr
	close(b.done)
	l.recycleLocked(recycle)
	l.mu.Unlock()
	if werr != nil {
		l.opts.OnError(werr)
	} else if recovered {
		l.opts.Logf("commitlog: writing again, to %s, after a failure", l.path(l.w.seg))
	}
	return n
}

// writeBatch writes b with one write per chunk and one fsync. It returns
// how many chunks reached the file whole.
func (l *Log) writeBatch(b *batch) (written int, err error) {
	for i, c := range b.chunks {
		if c.seg != l.w.seg || l.w.f == nil {
			if err := l.openSegment(c.seg); err != nil {
				return i, err
			}
		}
		n, err := l.w.f.Write(c.buf)
		if err != nil {
			// Part of the chunk may be in the file: closeSegment cuts it.
			l.w.failed = true
			return i, fmt.Errorf("commitlog: write %s: %w", l.path(c.seg), err)
		}
		l.w.size += int64(n)
		l.metrics.BytesWritten.Add(int64(n))
	}
	if l.w.f == nil || !b.sync {
		return len(b.chunks), nil
	}
	start := time.Now()
	err = l.w.f.Sync()
	l.metrics.SyncLatency.Since(start)
	if err != nil {
		l.w.failed = true
		return len(b.chunks), fmt.Errorf("commitlog: sync %s: %w", l.path(l.w.seg), err)
	}
	return len(b.chunks), nil
}

// Metrics are the log's counters since Open.
type Metrics struct {
	// BytesWritten counts the bytes of records written to segment files
	// (headers included).
	BytesWritten atomic.Int64
	// SyncLatency times the fsyncs of the owner goroutine, in
	// microseconds: what a write waits for in Batch and Group modes.
	SyncLatency histogram.Histogram
}

// Metrics returns the log's counters.
func (l *Log) Metrics() *Metrics { return &l.metrics }

// Sync makes every record appended before the call durable. After a
// failure it tries again as Append does (the acknowledged records whose
// write failed go to a fresh segment first).
func (l *Log) Sync() error {
	l.mu.Lock()
	if err := l.checkLocked(); err != nil {
		l.mu.Unlock()
		return err
	}
	if l.mu.restart {
		l.restartLocked()
	}
	// An empty batch still gets an fsync of the current file, after every
	// batch queued before it.
	b := l.pendingLocked()
	b.sync = true
	l.mu.Unlock()
	<-b.done
	return b.err
}

// Current returns the position after the last appended record: every record
// appended later is at or after it. Before the first append it is the start
// of the segment the first append will create.
func (l *Log) Current() Position {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mu.seg == 0 {
		return Position{Segment: l.mu.nextID}
	}
	return Position{Segment: l.mu.seg, Offset: l.mu.off}
}

// Release declares every record before upTo no longer needed (its data is
// flushed elsewhere) and deletes the segments that hold only such records:
// those with an id below upTo.Segment. The segment being written is kept.
//
// The caller must make sure that records appended concurrently and not yet in
// its flushed data are at or after upTo.
func (l *Log) Release(upTo Position) error {
	l.mu.Lock()
	if l.mu.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	if !l.mu.replayed {
		l.mu.Unlock()
		return errors.New("commitlog: Release before Replay")
	}
	// Never the segment appends go to, nor the one the owner still writes
	// (in Batch and Group modes it can lag behind).
	limit := upTo.Segment
	if l.mu.seg != 0 {
		limit = min(limit, l.mu.seg)
	}
	if ws := l.writerSeg.Load(); ws != 0 {
		limit = min(limit, ws)
	} else {
		// The owner has created no segment yet: those placed so far
		// exist only as ids (in Periodic mode appends run ahead of it).
		limit = min(limit, l.mu.firstNew)
	}
	// Nor the newest segment: segment ids come from the files present, and
	// the engine keeps positions (hence ids) across restarts, so ids must
	// never go back.
	i := 0
	for i < len(l.mu.segs)-1 && l.mu.segs[i] < limit {
		i++
	}
	victims := slices.Clone(l.mu.segs[:i])
	l.mu.segs = slices.Delete(l.mu.segs, 0, i)
	l.mu.Unlock()
	if len(victims) == 0 {
		return nil
	}

	var err error
	for j, id := range victims {
		// A segment placed but never created (its write failed) has no
		// file.
		if rerr := l.opts.FS.Remove(l.path(id)); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = fmt.Errorf("commitlog: remove %s: %w", l.path(id), rerr)
			// Keep the ones not removed live, so a later Release retries.
			l.mu.Lock()
			l.mu.segs = append(slices.Clone(victims[j:]), l.mu.segs...)
			l.mu.Unlock()
			break
		}
	}
	// A removal lost in a crash only makes replay redo flushed records,
	// which is harmless; still, sync so the space is really given back.
	if serr := l.opts.FS.SyncDir(l.opts.Dir); serr != nil && err == nil {
		err = fmt.Errorf("commitlog: sync dir %s: %w", l.opts.Dir, serr)
	}
	return err
}

// Segments returns the ids of the live segments, ascending.
func (l *Log) Segments() []uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.mu.segs)
}

// Close flushes and fsyncs what was appended, stops the background
// goroutine and closes the segment file. If the log had failed, it tries
// once more to write the acknowledged records whose write failed, and
// returns the failure if that does not succeed. A segment left with part
// of a record at its end is the last one: replay cuts its torn tail.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.mu.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	l.mu.closed = true
	if l.mu.restart && len(l.mu.retained) > 0 {
		l.restartLocked() // the owner's last flush writes them
	}
	l.mu.Unlock()

	close(l.stop)
	<-l.ownerDone

	// The background goroutine is gone; nothing else touches l.w now.
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.mu.err
	if l.w.f != nil {
		// Synced even after a failure: the whole records before it were
		// acknowledged in Periodic mode.
		if serr := l.w.f.Sync(); serr != nil && err == nil {
			err = fmt.Errorf("commitlog: sync %s: %w", l.path(l.w.seg), serr)
			l.mu.err = err
		}
		if cerr := l.w.f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("commitlog: close %s: %w", l.path(l.w.seg), cerr)
		}
		l.w.f = nil
	}
	return err
}
