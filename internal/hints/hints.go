// Package hints is wcdb's durable hint store for hinted handoff. When a
// replica is down or times out during a write, the coordinator stores the
// mutation as a hint for that node and replays it once the node is back, as
// Cassandra does; hints older than MaxHintWindow are neither kept nor
// replayed.
//
// As in Cassandra since 3.0, hints are kept per target node in append-only
// files (see format.go for names and the record layout), not in a table. Add
// only appends to a per-target buffer; buffers are written out when they
// fill, and written and fsynced every SyncPeriod (Cassandra's
// hints_flush_period) and on Sync. A crash loses at most the hints added
// since the last sync.
//
// Replay sends a target's hints oldest first in bounded batches and deletes
// a file once every hint in it has been sent. When a send fails it stops; a
// later Replay resumes after the last batch sent, or, after a restart, from
// the start of the first file not deleted. Hints are mutations, which are
// idempotent (re-applying one changes nothing, timestamps decide), so
// sending some twice is harmless.
//
// Hints are best-effort repair, not the source of truth: a damaged file loses
// the hints from the damage on, with a logged error, and a failed write loses
// the hints buffered for its file (Sync reports it). No hint whose checksum
// fails is ever replayed.
//
// All methods of a Store are safe for concurrent use.
package hints

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"wcdb/internal/vfs"
	"wcdb/mutation"
)

// Defaults of Options' zero fields.
const (
	// DefaultMaxFileSize is Cassandra's max_hints_file_size (128 MiB).
	DefaultMaxFileSize = 128 << 20
	// DefaultSyncPeriod is Cassandra's hints_flush_period (10 s).
	DefaultSyncPeriod = 10 * time.Second
	// DefaultMaxHintWindow is Cassandra's max_hint_window (3 h).
	DefaultMaxHintWindow = 3 * time.Hour
	// DefaultBufferSize is how many bytes of hints a target buffers before
	// Add writes them to its file (without an fsync).
	DefaultBufferSize = 256 << 10
	// DefaultReplayBatchSize bounds the hints of one send.
	DefaultReplayBatchSize = 128
	// DefaultReplayBatchBytes bounds the mutation bytes of one send.
	DefaultReplayBatchBytes = 4 << 20
)

// MaxTargetLen bounds a target id, so that its escaped form (up to three
// bytes per byte) fits in a file name.
const MaxTargetLen = 64

// Options configures a Store. Zero fields take the documented defaults.
type Options struct {
	// FS is the file system; nil means vfs.Default.
	FS vfs.FS
	// Dir is the directory of the hint files; it is created if missing.
	// Required.
	Dir string
	// MaxFileSize is the size at which a target's file is closed and the
	// next one started (default 128 MiB). A hint larger than it gets a file
	// of its own.
	MaxFileSize int64
	// SyncPeriod is the interval at which buffered hints are written and
	// fsynced, and expired files deleted (default 10 s).
	SyncPeriod time.Duration
	// MaxHintWindow is the age past which a hint is not replayed (default
	// 3 h): Replay skips such hints and the background job deletes files
	// holding nothing younger.
	MaxHintWindow time.Duration
	// BufferSize is how many bytes of hints a target buffers before Add
	// writes them to the file, without an fsync (default 256 KiB).
	BufferSize int
	// ReplayBatchSize bounds the number of hints per send (default 128).
	ReplayBatchSize int
	// ReplayBatchBytes bounds the encoded mutation bytes per send (default
	// 4 MiB); a batch holds at least one hint whatever its size.
	ReplayBatchBytes int
	// Now is the clock hints are stamped and aged by; nil means time.Now.
	Now func() time.Time
	// Logf receives notices (a torn tail cut, a corrupt record skipped, a
	// failed background sync); nil discards them.
	Logf func(format string, args ...any)
}

// withDefaults returns o with zero fields set to their defaults, or an error
// naming the first invalid field.
func (o Options) withDefaults() (Options, error) {
	if o.FS == nil {
		o.FS = vfs.Default
	}
	if o.Dir == "" {
		return o, errors.New("hints: Options.Dir is required")
	}
	if o.MaxFileSize == 0 {
		o.MaxFileSize = DefaultMaxFileSize
	}
	if o.MaxFileSize < 0 {
		return o, fmt.Errorf("hints: Options.MaxFileSize %d is negative", o.MaxFileSize)
	}
	if o.SyncPeriod == 0 {
		o.SyncPeriod = DefaultSyncPeriod
	}
	if o.SyncPeriod < 0 {
		return o, fmt.Errorf("hints: Options.SyncPeriod %v is negative", o.SyncPeriod)
	}
	if o.MaxHintWindow == 0 {
		o.MaxHintWindow = DefaultMaxHintWindow
	}
	if o.MaxHintWindow < 0 {
		return o, fmt.Errorf("hints: Options.MaxHintWindow %v is negative", o.MaxHintWindow)
	}
	if o.BufferSize == 0 {
		o.BufferSize = DefaultBufferSize
	}
	if o.BufferSize < 0 {
		return o, fmt.Errorf("hints: Options.BufferSize %d is negative", o.BufferSize)
	}
	if o.ReplayBatchSize == 0 {
		o.ReplayBatchSize = DefaultReplayBatchSize
	}
	if o.ReplayBatchSize < 0 {
		return o, fmt.Errorf("hints: Options.ReplayBatchSize %d is negative", o.ReplayBatchSize)
	}
	if o.ReplayBatchBytes == 0 {
		o.ReplayBatchBytes = DefaultReplayBatchBytes
	}
	if o.ReplayBatchBytes < 0 {
		return o, fmt.Errorf("hints: Options.ReplayBatchBytes %d is negative", o.ReplayBatchBytes)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	return o, nil
}

var (
	// ErrClosed is returned by operations on a closed Store.
	ErrClosed = errors.New("hints: closed")
	// ErrInvalidTarget is returned for an empty target id or one longer
	// than MaxTargetLen.
	ErrInvalidTarget = errors.New("hints: invalid target")
	// ErrTooLarge is returned by Add for a mutation whose encoding does not
	// fit in a record (1 GiB).
	ErrTooLarge = errors.New("hints: mutation too large")
	// ErrDropped is returned by a Replay whose target was dropped meanwhile.
	ErrDropped = errors.New("hints: target dropped")
)

func checkTarget(target string) error {
	if target == "" || len(target) > MaxTargetLen {
		return fmt.Errorf("%w: %q (want 1 to %d bytes)", ErrInvalidTarget, target, MaxTargetLen)
	}
	return nil
}

// Metrics are the store's counters since Open, and its bytes on disk now.
type Metrics struct {
	Written   int64 // hints accepted by Add
	Replayed  int64 // hints sent successfully by Replay
	Expired   int64 // hints skipped or deleted for being older than MaxHintWindow
	Corrupt   int64 // records that failed their checks; each loses the rest of its file
	Lost      int64 // hints lost to failed writes, fsyncs or file creations
	Dropped   int64 // hints discarded by Drop
	DiskBytes int64 // bytes of hint files on disk
	Replaying int64 // replays sending now
}

// Store is an open hint store.
type Store struct {
	opts Options
	lock io.Closer

	// seq is the last file sequence allocated.
	seq atomic.Uint64
	// dirDirty is set when a file was created or removed since the last
	// SyncDir.
	dirDirty atomic.Bool
	closed   atomic.Bool

	m struct {
		written, replayed, expired, corrupt, lost, dropped, disk, replaying atomic.Int64
	}

	stop    chan struct{}
	bgDone  chan struct{}
	replays sync.WaitGroup

	mu struct {
		sync.RWMutex
		closed  bool
		targets map[string]*target
	}
	// fail holds the first write failure since the last Sync, for Sync to
	// report: the hints it lost had been acknowledged by Add.
	fail struct {
		sync.Mutex
		err error
	}
}

// targetState says whether a target takes hints.
type targetState int

const (
	live targetState = iota
	dropped
	closed
)

// target is the hints of one node.
type target struct {
	id string
	// replay is a one-slot semaphore held by Replay and by the expiry job.
	replay chan struct{}

	// fileMu serializes writing: it is held while queued bytes are written
	// and files created, synced and closed. Fields of file marked "fileMu"
	// are guarded by it. Lock order: fileMu, then mu.
	fileMu sync.Mutex
	jobs   []job // scratch of flush, guarded by fileMu

	mu struct {
		sync.Mutex
		state targetState
		// flushing is set while a flush writes, so that Adds over the
		// buffer size do not all queue up behind it.
		flushing bool
		// cur is the file Add appends to, nil until the next Add starts one.
		cur *file
		// files lists the target's files by ascending sequence; cur, if set,
		// is the last.
		files []*file
		// spare is a written-out buffer kept for cur's next one.
		spare []byte
	}
}

// file is one hint file of a target.
type file struct {
	seq  uint64
	path string

	// Guarded by target.mu.
	buf     []byte // records queued, not yet handed to a flush
	bufRecs int
	end     int64 // offset after the last record assigned to the file
	limit   int64 // offset up to which records are written (or, for a file found by Open, intact)
	start   int64 // offset of the first record not yet replayed in this process
	recs    int64 // hints pending: assigned and neither replayed, expired nor lost
	bytes   int64 // encoded bytes of those hints
	newest  int64 // creation time (Unix ms) of the youngest hint
	sealed  bool  // takes no more records
	broken  bool  // a write failed; nothing more is written to it

	// Guarded by target.fileMu.
	handle  vfs.File
	created bool
	dirty   bool // written since its last fsync

	disk atomic.Int64 // bytes on disk
}

// job is one file's share of a flush.
type job struct {
	f      *file
	buf    []byte
	recs   int
	sealed bool
}

// Open opens the hint store in opts.Dir, creating the directory if needed.
// It reads every hint file there to count its hints and check it: a torn
// tail is cut (and logged); a corrupt record is logged, and the rest of its
// file is never replayed; a file with no intact hint is removed. Then it
// starts the background job that syncs every SyncPeriod.
func Open(opts Options) (*Store, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := vfs.MkdirAllSynced(opts.FS, opts.Dir); err != nil {
		return nil, fmt.Errorf("hints: create %s: %w", opts.Dir, err)
	}
	lock, err := opts.FS.Lock(filepath.Join(opts.Dir, "LOCK"))
	if err != nil {
		return nil, fmt.Errorf("hints: %w", err)
	}
	s := &Store{opts: opts, lock: lock}
	s.mu.targets = map[string]*target{}
	if err := s.load(); err != nil {
		lock.Close()
		return nil, err
	}
	s.stop = make(chan struct{})
	s.bgDone = make(chan struct{})
	go s.run()
	return s, nil
}

// load finds and checks the hint files in the directory.
func (s *Store) load() error {
	names, err := s.opts.FS.List(s.opts.Dir)
	if err != nil {
		return fmt.Errorf("hints: list %s: %w", s.opts.Dir, err)
	}
	type found struct {
		target string
		seq    uint64
	}
	var files []found
	for _, name := range names {
		if target, seq, ok := parseFileName(name); ok {
			files = append(files, found{target, seq})
		}
	}
	slices.SortFunc(files, func(a, b found) int {
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
	var buf []byte
	for _, fd := range files {
		s.seq.Store(max(s.seq.Load(), fd.seq))
		f := &file{seq: fd.seq, path: filepath.Join(s.opts.Dir, fileName(fd.target, fd.seq)), sealed: true, created: true}
		if buf, err = s.check(f, buf); err != nil {
			return err
		}
		if f.recs == 0 {
			if f.disk.Load() > 0 {
				s.opts.Logf("hints: %s holds no intact hint; removing it", f.path)
			}
			if err := s.opts.FS.Remove(f.path); err != nil {
				return fmt.Errorf("hints: remove %s: %w", f.path, err)
			}
			s.dirDirty.Store(true)
			continue
		}
		s.m.disk.Add(f.disk.Load())
		t := s.mu.targets[fd.target]
		if t == nil {
			t = newTarget(fd.target)
			s.mu.targets[fd.target] = t
		}
		t.mu.files = append(t.mu.files, f)
	}
	return nil
}

// check reads a file found by Open, counts its hints, cuts a torn tail and
// logs corruption. buf is scratch, returned for reuse.
func (s *Store) check(f *file, buf []byte) ([]byte, error) {
	h, err := s.opts.FS.Open(f.path)
	if err != nil {
		return buf, fmt.Errorf("hints: open %s: %w", f.path, err)
	}
	defer h.Close()
	size, err := h.Size()
	if err != nil {
		return buf, fmt.Errorf("hints: stat %s: %w", f.path, err)
	}
	f.disk.Store(size)
	r := newReader(h, 0, size)
	for {
		body, st, reason, err := r.next(buf)
		if err != nil {
			return buf, fmt.Errorf("hints: read %s: %w", f.path, err)
		}
		switch st {
		case recOK:
			buf = body
			f.recs++
			f.bytes += recordHeaderSize + int64(len(body))
			f.newest = max(f.newest, recordCreated(body))
			continue
		case recTorn:
			if f.recs == 0 {
				break // nothing intact: the caller removes the file
			}
			s.opts.Logf("hints: %s: torn tail at offset %d (%s); truncating %d bytes", f.path, r.off, reason, size-r.off)
			if err := s.truncate(f.path, r.off); err != nil {
				return buf, err
			}
			f.disk.Store(r.off)
		case recCorrupt:
			s.m.corrupt.Add(1)
			s.opts.Logf("hints: corrupt record in %s at offset %d: %s; skipping the rest of the file (%d bytes)", f.path, r.off, reason, size-r.off)
		}
		f.end, f.limit = r.off, r.off
		return buf, nil
	}
}

// truncate cuts the named file to size and syncs it.
func (s *Store) truncate(name string, size int64) error {
	h, err := s.opts.FS.OpenReadWrite(name)
	if err != nil {
		return fmt.Errorf("hints: open %s: %w", name, err)
	}
	if err := h.Truncate(size); err != nil {
		h.Close()
		return fmt.Errorf("hints: truncate %s: %w", name, err)
	}
	if err := h.Sync(); err != nil {
		h.Close()
		return fmt.Errorf("hints: sync %s: %w", name, err)
	}
	if err := h.Close(); err != nil {
		return fmt.Errorf("hints: close %s: %w", name, err)
	}
	return nil
}

func newTarget(id string) *target {
	return &target{id: id, replay: make(chan struct{}, 1)}
}

// run is the background job: every SyncPeriod it writes and fsyncs what is
// buffered and deletes files past MaxHintWindow.
func (s *Store) run() {
	defer close(s.bgDone)
	tick := time.NewTicker(s.opts.SyncPeriod)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
		if err := s.Sync(); err != nil && !errors.Is(err, ErrClosed) {
			s.opts.Logf("hints: background sync: %v", err)
		}
		if err := s.expire(); err != nil && !errors.Is(err, ErrClosed) {
			s.opts.Logf("hints: deleting expired hints: %v", err)
		}
	}
}

// getTarget returns the live target id, creating it if need be.
func (s *Store) getTarget(id string) (*target, error) {
	s.mu.RLock()
	t, isClosed := s.mu.targets[id], s.mu.closed
	s.mu.RUnlock()
	if isClosed {
		return nil, ErrClosed
	}
	if t != nil {
		return t, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.closed {
		return nil, ErrClosed
	}
	if t = s.mu.targets[id]; t == nil {
		t = newTarget(id)
		s.mu.targets[id] = t
	}
	return t, nil
}

// lookup returns target id, or nil if it has no hints.
func (s *Store) lookup(id string) (*target, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.mu.closed {
		return nil, ErrClosed
	}
	return s.mu.targets[id], nil
}

// newFileLocked starts a file for t and makes it current.
func (s *Store) newFileLocked(t *target) *file {
	seq := s.seq.Add(1)
	f := &file{seq: seq, path: filepath.Join(s.opts.Dir, fileName(t.id, seq))}
	t.mu.files = append(t.mu.files, f)
	t.mu.cur = f
	return f
}

// Add stores m as a hint for target, stamped with the current time. It only
// encodes m into the target's buffer, except when the buffer is full or the
// file is: then it writes (without an fsync), and returns an error if the
// file that takes m failed, when m may be lost. The hint is durable after
// the next Sync or periodic sync. m is not retained.
func (s *Store) Add(target string, m *mutation.Mutation) error {
	if err := checkTarget(target); err != nil {
		return err
	}
	now := s.opts.Now().UnixMilli()
	for {
		t, err := s.getTarget(target)
		if err != nil {
			return err
		}
		t.mu.Lock()
		switch t.mu.state {
		case dropped:
			// Dropped after the lookup: the next lookup makes a new one.
			t.mu.Unlock()
			continue
		case closed:
			t.mu.Unlock()
			return ErrClosed
		}
		f, flush, err := s.addLocked(t, now, m)
		t.mu.Unlock()
		if err != nil || !flush {
			return err
		}
		if err := s.flush(t, false); err != nil {
			t.mu.Lock()
			lost := f.broken
			t.mu.Unlock()
			if lost {
				return err
			}
			// Another file failed: its hints are counted lost, and the
			// next Sync reports it.
		}
		return nil
	}
}

// addLocked queues the record of m in t's current file, starting a new file
// when it is full. It returns the file and whether the caller should flush.
func (s *Store) addLocked(t *target, now int64, m *mutation.Mutation) (f *file, flush bool, err error) {
	f = t.mu.cur
	if f == nil {
		f = s.newFileLocked(t)
		if t.mu.spare != nil {
			f.buf, t.mu.spare = t.mu.spare[:0], nil
		}
	}
	start := len(f.buf)
	f.buf = appendRecord(f.buf, now, m)
	n := int64(len(f.buf) - start)
	if n-recordHeaderSize > maxRecordLen {
		f.buf = f.buf[:start]
		return nil, false, fmt.Errorf("%w: %d bytes encoded", ErrTooLarge, n)
	}
	rotated := false
	if f.end > 0 && f.end+n > s.opts.MaxFileSize {
		old := f
		f = s.newFileLocked(t)
		f.buf = append(f.buf, old.buf[start:]...)
		old.buf = old.buf[:start]
		old.sealed = true
		rotated = true
	}
	f.end += n
	f.recs++
	f.bytes += n
	f.bufRecs++
	f.newest = max(f.newest, now)
	s.m.written.Add(1)
	full := len(f.buf) >= s.opts.BufferSize
	// When a flush is already writing, let the buffer grow a while rather
	// than queue every Add behind it; past 4x, Add waits (back-pressure).
	return f, rotated || full && (!t.mu.flushing || len(f.buf) >= 4*s.opts.BufferSize), nil
}

// flush writes t's queued records, creating files as needed; sealed files
// are then fsynced and closed, and with sync every file written since its
// last fsync is fsynced. A failure marks the file broken: the hints it had
// queued are lost (and counted), the file takes nothing more, and the
// failure is kept for Sync to report.
func (s *Store) flush(t *target, sync bool) error {
	t.fileMu.Lock()
	defer t.fileMu.Unlock()
	t.mu.Lock()
	if t.mu.state == dropped {
		t.mu.Unlock()
		return nil
	}
	jobs := t.jobs[:0]
	for _, f := range t.mu.files {
		if len(f.buf) == 0 && (f.handle == nil || !f.sealed && !(sync && f.dirty)) {
			continue
		}
		jobs = append(jobs, job{f: f, buf: f.buf, recs: f.bufRecs, sealed: f.sealed})
		f.buf, f.bufRecs = nil, 0
		if f == t.mu.cur && t.mu.spare != nil {
			f.buf, t.mu.spare = t.mu.spare[:0], nil
		}
	}
	t.mu.flushing = len(jobs) > 0
	t.mu.Unlock()

	var first error
	for _, j := range jobs {
		wrote, err := s.write(j, sync)
		t.mu.Lock()
		f := j.f
		if wrote {
			f.limit += int64(len(j.buf))
			if f == t.mu.cur && t.mu.spare == nil && cap(j.buf) <= 4*s.opts.BufferSize {
				t.mu.spare = j.buf[:0]
			}
		}
		if err != nil {
			s.failLocked(t, j, wrote, err)
			if first == nil {
				first = err
			}
		}
		t.mu.Unlock()
	}
	t.mu.Lock()
	t.mu.flushing = false
	t.mu.Unlock()
	clear(jobs)
	t.jobs = jobs[:0]
	return first
}

// write carries out one job: create the file if need be, write the bytes,
// fsync if asked or sealed, close if sealed. It reports whether the bytes
// were written. Called with t.fileMu held.
func (s *Store) write(j job, sync bool) (wrote bool, err error) {
	f := j.f
	if !f.created {
		h, err := s.opts.FS.Create(f.path)
		if err != nil {
			return false, fmt.Errorf("hints: create %s: %w", f.path, err)
		}
		f.handle, f.created = h, true
		s.dirDirty.Store(true)
	}
	if len(j.buf) > 0 {
		n, err := f.handle.Write(j.buf)
		f.disk.Add(int64(n))
		s.m.disk.Add(int64(n))
		if err != nil {
			return false, fmt.Errorf("hints: write %s: %w", f.path, err)
		}
		f.dirty = true
	}
	if f.dirty && (sync || j.sealed) {
		if err := f.handle.Sync(); err != nil {
			return true, fmt.Errorf("hints: sync %s: %w", f.path, err)
		}
		f.dirty = false
	}
	if j.sealed {
		h := f.handle
		f.handle = nil
		if err := h.Close(); err != nil {
			return true, fmt.Errorf("hints: close %s: %w", f.path, err)
		}
	}
	return true, nil
}

// failLocked handles a failed job: the file takes nothing more, and the
// hints not written are lost. Called with t.fileMu and t.mu held.
func (s *Store) failLocked(t *target, j job, wrote bool, err error) {
	f := j.f
	lostRecs, lostBytes := f.bufRecs, len(f.buf)
	if !wrote {
		lostRecs += j.recs
		lostBytes += len(j.buf)
	}
	f.buf, f.bufRecs = nil, 0
	f.recs -= int64(lostRecs)
	f.bytes -= int64(lostBytes)
	f.end = f.limit
	f.sealed, f.broken, f.dirty = true, true, false
	if t.mu.cur == f {
		t.mu.cur = nil
	}
	if f.handle != nil {
		f.handle.Close() // the failure is reported already
		f.handle = nil
	}
	if !f.created {
		// Nothing on disk: forget it.
		if i := slices.Index(t.mu.files, f); i >= 0 {
			t.mu.files = slices.Delete(t.mu.files, i, i+1)
		}
	}
	s.m.lost.Add(int64(lostRecs))
	if lostRecs > 0 {
		err = fmt.Errorf("%w (%d hints for %s lost)", err, lostRecs, t.id)
	}
	s.opts.Logf("%v", err)
	s.fail.Lock()
	if s.fail.err == nil {
		s.fail.err = err
	}
	s.fail.Unlock()
}

// targets returns every target, or ErrClosed.
func (s *Store) targets() ([]*target, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.mu.closed {
		return nil, ErrClosed
	}
	return s.targetsLocked(), nil
}

// targetsLocked returns every target, by id: a fixed order keeps the file
// operations of a workload the same from run to run.
func (s *Store) targetsLocked() []*target {
	ts := make([]*target, 0, len(s.mu.targets))
	for _, t := range s.mu.targets {
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b *target) int { return strings.Compare(a.id, b.id) })
	return ts
}

// Sync makes every hint added before the call durable. It returns an error
// if that could not be done, or if hints acknowledged by Add were lost to a
// failed write since the last Sync.
func (s *Store) Sync() error {
	ts, err := s.targets()
	if err != nil {
		return err
	}
	return s.syncTargets(ts)
}

func (s *Store) syncTargets(ts []*target) error {
	var first error
	for _, t := range ts {
		if err := s.flush(t, true); err != nil && first == nil {
			first = err
		}
	}
	if err := s.syncDir(); err != nil && first == nil {
		first = err
	}
	s.fail.Lock()
	if first == nil {
		first = s.fail.err
	}
	s.fail.err = nil
	s.fail.Unlock()
	return first
}

// syncDir makes file creations and removals durable, if there were any.
func (s *Store) syncDir() error {
	if !s.dirDirty.Swap(false) {
		return nil
	}
	if err := s.opts.FS.SyncDir(s.opts.Dir); err != nil {
		s.dirDirty.Store(true)
		return fmt.Errorf("hints: sync dir %s: %w", s.opts.Dir, err)
	}
	return nil
}

// Targets returns the targets with pending hints, sorted.
func (s *Store) Targets() []string {
	ts, err := s.targets()
	if err != nil {
		return nil
	}
	var ids []string
	for _, t := range ts {
		if n, _ := t.pending(); n > 0 {
			ids = append(ids, t.id)
		}
	}
	slices.Sort(ids)
	return ids
}

// Pending returns the number of hints pending for target and their encoded
// size in bytes, buffered ones included.
func (s *Store) Pending(target string) (count int, bytes int64) {
	t, err := s.lookup(target)
	if err != nil || t == nil {
		return 0, 0
	}
	return t.pending()
}

func (t *target) pending() (count int, bytes int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, f := range t.mu.files {
		count += int(f.recs)
		bytes += f.bytes
	}
	return count, bytes
}

// Metrics returns the store's counters.
func (s *Store) Metrics() Metrics {
	return Metrics{
		Written:   s.m.written.Load(),
		Replayed:  s.m.replayed.Load(),
		Expired:   s.m.expired.Load(),
		Corrupt:   s.m.corrupt.Load(),
		Lost:      s.m.lost.Load(),
		Dropped:   s.m.dropped.Load(),
		DiskBytes: s.m.disk.Load(),
		Replaying: s.m.replaying.Load(),
	}
}

// Drop deletes every hint for target, as when the node leaves the cluster.
// A Replay of target in progress stops at its next batch with ErrDropped.
// Hints added after Drop are kept, in new files. If a file cannot be
// removed Drop returns the error, and that file's hints come back after a
// restart.
func (s *Store) Drop(target string) error {
	s.mu.Lock()
	if s.mu.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	t := s.mu.targets[target]
	delete(s.mu.targets, target)
	s.mu.Unlock()
	if t == nil {
		return nil
	}
	t.fileMu.Lock()
	t.mu.Lock()
	t.mu.state = dropped
	files := t.mu.files
	t.mu.files, t.mu.cur = nil, nil
	for _, f := range files {
		s.m.dropped.Add(f.recs)
		f.recs, f.bytes, f.buf = 0, 0, nil
	}
	t.mu.Unlock()
	for _, f := range files {
		if f.handle != nil {
			f.handle.Close() // the file is removed next; its contents do not matter
			f.handle = nil
		}
	}
	t.fileMu.Unlock()

	var first error
	for _, f := range files {
		if err := s.removeFile(f); err != nil && first == nil {
			first = err
		}
	}
	if err := s.syncDir(); err != nil && first == nil {
		first = err
	}
	return first
}

// removeFile deletes f from disk; a file never created is no error.
func (s *Store) removeFile(f *file) error {
	if err := s.opts.FS.Remove(f.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("hints: remove %s: %w", f.path, err)
	}
	s.m.disk.Add(-f.disk.Swap(0))
	s.dirDirty.Store(true)
	return nil
}

// Close writes and fsyncs the buffered hints, waits for the background job
// and for Replays in progress (which stop at their next batch with
// ErrClosed; cancel their contexts to stop a slow send), and closes every
// file. It returns the first failure, including hints lost since the last
// Sync.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.mu.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.mu.closed = true
	s.closed.Store(true)
	ts := s.targetsLocked()
	s.mu.Unlock()

	close(s.stop)
	<-s.bgDone
	s.replays.Wait()

	for _, t := range ts {
		t.mu.Lock()
		t.mu.state = closed
		for _, f := range t.mu.files {
			f.sealed = true // flush closes the open ones
		}
		t.mu.Unlock()
	}
	err := s.syncTargets(ts)
	if cerr := s.lock.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("hints: release lock: %w", cerr)
	}
	return err
}
