package streaming

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"wcdb/mutation"
	"wcdb/sstable"
	"wcdb/storage"
)

// RecvStats describe what a Receive (or Fetch) received.
type RecvStats struct {
	// Completed are the source file numbers whose sections were received
	// whole and committed (or were empty): a retry puts them in
	// Request.Skip.
	Completed []uint64
	// Imported counts the SSTables added to the table (empty sections add
	// none), WholeFiles those of them received as whole files.
	Imported, WholeFiles int
	// Blocks counts the data blocks received as stored (block entries) in
	// the completed sections.
	Blocks int64
	// Partitions, Rows and Bytes (of entries, or of files sent whole)
	// count the completed sections.
	Partitions, Rows, Bytes int64
	// Frames and FrameBytes count every verified frame received.
	Frames, FrameBytes int64
	// Attempts is the number of sessions Fetch opened (1 for Receive).
	Attempts int
}

// transportError marks an error of the transport (open or next), which a
// retry may not meet again.
type transportError struct{ err error }

func (e transportError) Error() string { return "streaming: transport: " + e.err.Error() }
func (e transportError) Unwrap() error { return e.err }

// Receive reads one session's frames with next and imports its file
// sections into t, each as one SSTable (written from the section's entries
// with t's options, or the sender's file itself when sent whole) committed
// once the counts of its file-end frame match what arrived: in the
// background, while the next section arrives, and waited for before the
// next commit and before Receive returns. Every frame's checksum is verified
// before any of it is used. On any error (a corrupt frame, a stream that
// ends early, a transport or storage error, ctx) the section under way is
// aborted, so no partial file is ever added; the stats say which sections
// were completed before, for a retry to skip.
//
// next returns the next frame, or io.EOF at the end of the stream; the frame
// need stay valid only until the following call. Receive returns after the
// session-end frame without calling next again.
func Receive(ctx context.Context, t *storage.Table, next func() ([]byte, error), prog *Progress) (RecvStats, error) {
	r := receiver{ctx: ctx, t: t, next: next, prog: prog}
	err := r.run()
	r.st.Attempts = 1
	return r.st, err
}

// receiver is the state of one Receive.
type receiver struct {
	ctx  context.Context
	t    *storage.Table
	next func() ([]byte, error)
	prog *Progress
	// spans, if set, are the ranges asked for: a partition outside them is
	// a protocol error (Fetch checks; Receive does not know the request).
	spans []span
	// skip are files a retry asked not to be sent again.
	skip []uint64
	st   RecvStats

	// The section under way.
	inFile      bool
	file        uint64
	seq         uint64              // of the next data frame
	im          *storage.Import     // created at the section's first partition
	whole       *storage.FileImport // a file sent whole
	inPart      bool
	parts, rows int64
	bytes       int64
	est         int64
	blocks      int64
	vals        [4]uint64
	blk         sstable.Block // the last block entry's block

	// commit is the last received section's commit, running while the
	// next section arrives: a commit syncs a whole file, and done in line
	// it would stall the stream (the sender waits on flow control) for as
	// long. At most one runs at a time.
	commit *pendingCommit
}

// pendingCommit is a section whose commit runs in the background.
type pendingCommit struct {
	file        uint64
	parts, rows int64
	bytes, est  int64
	blocks      int64
	whole       bool
	done        chan error
}

// startCommit starts fn as the commit of the section just received, whose
// counts are in r; the caller has waited for the previous one.
func (r *receiver) startCommit(whole bool, fn func() error) {
	r.inFile = false
	r.prog.endCurrent()
	pc := &pendingCommit{file: r.file, parts: r.parts, rows: r.rows, bytes: r.bytes, blocks: r.blocks, est: r.est, whole: whole, done: make(chan error, 1)}
	r.commit = pc
	go func() { pc.done <- fn() }()
}

// waitCommit waits for the commit under way, if any, and counts its
// section as completed if it succeeded.
func (r *receiver) waitCommit() error {
	pc := r.commit
	if pc == nil {
		return nil
	}
	r.commit = nil
	if err := <-pc.done; err != nil {
		return err
	}
	if pc.whole {
		r.st.WholeFiles++
	}
	if pc.whole || pc.parts > 0 {
		r.st.Imported++
	}
	r.st.Completed = append(r.st.Completed, pc.file)
	r.st.Partitions += pc.parts
	r.st.Rows += pc.rows
	r.st.Bytes += pc.bytes
	r.st.Blocks += pc.blocks
	r.prog.fileCommitted(pc.est)
	return nil
}

func (r *receiver) run() error {
	err := r.loop()
	// A commit started before a failure still counts if it succeeds: a
	// retry need not send its section again.
	if cerr := r.waitCommit(); err == nil {
		err = cerr
	}
	if r.im != nil {
		r.im.Abort()
		r.im = nil
	}
	if r.whole != nil {
		r.whole.Abort()
		r.whole = nil
	}
	if err != nil && r.inFile {
		r.prog.endCurrent()
	}
	return err
}

// frame returns the next verified frame.
func (r *receiver) frame() (byte, []byte, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, nil, fmt.Errorf("streaming: receive: %w", err)
	}
	b, err := r.next()
	if errors.Is(err, io.EOF) {
		return 0, nil, ErrTruncated
	}
	if err != nil {
		return 0, nil, transportError{err}
	}
	kind, body, err := openFrame(b)
	if err != nil {
		return 0, nil, err
	}
	r.st.Frames++
	r.st.FrameBytes += int64(len(b))
	if kind != kindData {
		r.prog.frame(len(b))
	}
	return kind, body, nil
}

func (r *receiver) loop() error {
	kind, body, err := r.frame()
	if err != nil {
		return err
	}
	if kind != kindSessionStart {
		return corruptf("stream starts with frame %q, not a session start", kind)
	}
	if err := decodeControl(kind, body, r.vals[:2]); err != nil {
		return err
	}
	planned := r.vals[0]
	r.prog.plan(int64(planned), int64(r.vals[1]))
	var files, bytes uint64
	for {
		kind, body, err := r.frame()
		if err != nil {
			return err
		}
		switch kind {
		case kindFileStart:
			if err := decodeControl(kind, body, r.vals[:3]); err != nil {
				return err
			}
			if err := r.fileStart(r.vals[0], int64(r.vals[1]), r.vals[2]); err != nil {
				return err
			}
		case kindData:
			file, seq, entries, err := dataFile(body)
			if err != nil {
				return err
			}
			if !r.inFile || file != r.file {
				return corruptf("data of file %d outside its section", file)
			}
			if seq != r.seq {
				return corruptf("file %d: data frame %d where %d was due", file, seq, r.seq)
			}
			r.seq++
			if r.whole != nil {
				if err := r.whole.Write(entries); err != nil {
					return fmt.Errorf("streaming: import of file %d: %w", r.file, err)
				}
			} else if err := r.entries(entries); err != nil {
				return err
			}
			r.bytes += int64(len(entries))
			r.prog.data(len(body)+frameOverhead, len(entries))
		case kindFileEnd:
			if err := decodeControl(kind, body, r.vals[:4]); err != nil {
				return err
			}
			if err := r.fileEnd(); err != nil {
				return err
			}
			files++
			bytes += r.vals[3]
		case kindSessionEnd:
			if r.inFile {
				return corruptf("session ends inside file %d", r.file)
			}
			if err := decodeControl(kind, body, r.vals[:2]); err != nil {
				return err
			}
			if r.vals[0] != files || r.vals[1] != bytes || files != planned {
				return corruptf("session end: sender sent %d files (%d bytes), %d announced; %d (%d bytes) received",
					r.vals[0], r.vals[1], planned, files, bytes)
			}
			return nil
		}
	}
}

// fileStart begins a section.
func (r *receiver) fileStart(file uint64, est int64, mode uint64) error {
	if r.inFile {
		return corruptf("file %d starts inside file %d", file, r.file)
	}
	if slices.Contains(r.st.Completed, file) || slices.Contains(r.skip, file) {
		return corruptf("file %d sent again", file)
	}
	switch mode {
	case modeEntries:
	case modeWholeFile:
		var err error
		if r.whole, err = r.t.NewFileImport(); err != nil {
			return fmt.Errorf("streaming: import of file %d: %w", file, err)
		}
	default:
		return corruptf("file %d: unknown mode %d", file, mode)
	}
	r.inFile, r.file, r.est = true, file, est
	r.seq, r.parts, r.rows, r.bytes, r.blocks = 0, 0, 0, 0, 0
	r.prog.fileStart(est)
	return nil
}

// entries feeds a data frame's entries to the section's import.
func (r *receiver) entries(b []byte) error {
	var e entry
	var err error
	for len(b) > 0 {
		if b, err = nextEntry(b, &e); err != nil {
			return fmt.Errorf("%w (file %d)", err, r.file)
		}
		switch e.kind {
		case entryPartition:
			if r.inPart {
				return corruptf("file %d: partition starts inside a partition", r.file)
			}
			if r.spans != nil && spanOf(r.spans, e.key.Token) < 0 {
				return corruptf("file %d: partition of token %d outside the ranges asked for", r.file, e.key.Token)
			}
			if r.im == nil {
				if r.im, err = r.t.NewImport(); err != nil {
					return fmt.Errorf("streaming: import of file %d: %w", r.file, err)
				}
			}
			if err := r.im.StartPartition(e.key, e.header); err != nil {
				return fmt.Errorf("streaming: import of file %d: %w", r.file, err)
			}
			r.inPart = true
			r.parts++
		case entryBlock:
			if err := r.block(e.block); err != nil {
				return err
			}
		case entryRow:
			if !r.inPart {
				return corruptf("file %d: row outside a partition", r.file)
			}
			if err := r.im.AddRow(e.clustering, e.row); err != nil {
				return fmt.Errorf("streaming: import of file %d: %w", r.file, err)
			}
			r.rows++
		case entryEnd:
			if !r.inPart {
				return corruptf("file %d: partition end outside a partition", r.file)
			}
			if err := r.im.FinishPartition(); err != nil {
				return fmt.Errorf("streaming: import of file %d: %w", r.file, err)
			}
			r.inPart = false
		}
	}
	return nil
}

// block adds a block entry's data block to the section's import.
func (r *receiver) block(stored []byte) error {
	if err := r.blk.Reset(stored); err != nil {
		return fmt.Errorf("%w: file %d: %w", ErrCorrupt, r.file, err)
	}
	sum := r.blk.Summary()
	switch {
	case sum.Continues && (!r.inPart || sum.Partitions > 0):
		return corruptf("file %d: block of rows continuing no open partition", r.file)
	case !sum.Continues && r.inPart:
		return corruptf("file %d: block starts a partition inside a partition", r.file)
	}
	if r.spans != nil && sum.Partitions > 0 {
		if i := spanOf(r.spans, sum.FirstToken); i < 0 || sum.LastToken > r.spans[i].hi() {
			return corruptf("file %d: block of tokens [%d, %d] outside the ranges asked for", r.file, sum.FirstToken, sum.LastToken)
		}
	}
	if r.im == nil {
		var err error
		if r.im, err = r.t.NewImport(); err != nil {
			return fmt.Errorf("streaming: import of file %d: %w", r.file, err)
		}
	}
	if err := r.im.AddBlock(&r.blk); err != nil {
		return fmt.Errorf("streaming: import of file %d: %w", r.file, err)
	}
	r.inPart = true
	r.parts += int64(sum.Partitions)
	r.rows += int64(sum.Rows)
	r.blocks++
	return nil
}

// fileEnd checks the section's counts (in r.vals) and commits it.
func (r *receiver) fileEnd() error {
	file, parts, rows, bytes := r.vals[0], r.vals[1], r.vals[2], r.vals[3]
	if !r.inFile || file != r.file {
		return corruptf("end of file %d outside its section", file)
	}
	if r.whole != nil {
		return r.wholeFileEnd(file, parts, rows, bytes)
	}
	if r.inPart {
		return corruptf("file %d ends inside a partition", file)
	}
	if parts != uint64(r.parts) || rows != uint64(r.rows) || bytes != uint64(r.bytes) {
		return corruptf("file %d: sender sent %d partitions, %d rows, %d bytes; received %d, %d, %d",
			file, parts, rows, bytes, r.parts, r.rows, r.bytes)
	}
	if err := r.waitCommit(); err != nil {
		return err
	}
	im := r.im
	r.im = nil
	r.startCommit(false, func() error {
		if im == nil {
			return nil
		}
		if _, err := im.Commit(); err != nil {
			return fmt.Errorf("streaming: import of file %d: %w", file, err)
		}
		return nil
	})
	return nil
}

// wholeFileEnd commits a file sent whole once it has all its bytes, opens,
// says of itself what the file-end frame says, and (for Fetch) lies in the
// ranges asked for.
func (r *receiver) wholeFileEnd(file, parts, rows, bytes uint64) error {
	if err := r.waitCommit(); err != nil {
		return err
	}
	fi := r.whole
	r.whole = nil
	if uint64(fi.Size()) != bytes || bytes != uint64(r.bytes) {
		fi.Abort()
		return corruptf("file %d: sender sent %d bytes; received %d", file, bytes, fi.Size())
	}
	r.parts, r.rows = int64(parts), int64(rows)
	spans := r.spans
	r.startCommit(true, func() error { return commitWhole(fi, file, parts, rows, bytes, spans) })
	return nil
}

// commitWhole commits a file received whole once it opens, says of itself
// what the file-end frame says, and (spans set: for Fetch) lies in the
// ranges asked for.
func commitWhole(fi *storage.FileImport, file, parts, rows, bytes uint64, spans []span) error {
	_, err := fi.Commit(func(m sstable.Meta) error {
		if uint64(m.Partitions) != parts || uint64(m.Rows) != rows || uint64(m.FileSize) != bytes {
			return corruptf("file %d received whole holds %d partitions, %d rows in %d bytes; the sender said %d, %d, %d",
				file, m.Partitions, m.Rows, m.FileSize, parts, rows, bytes)
		}
		if spans != nil && !containedIn(spans, m.MinKey.Token, m.MaxKey.Token) {
			return corruptf("file %d received whole spans tokens [%d, %d], outside the ranges asked for", file, m.MinKey.Token, m.MaxKey.Token)
		}
		return nil
	})
	switch {
	case errors.Is(err, ErrCorrupt):
		return err
	case errors.Is(err, sstable.ErrCorrupt):
		return fmt.Errorf("%w: file %d received whole: %w", ErrCorrupt, file, err)
	case err != nil:
		return fmt.Errorf("streaming: import of file %d: %w", file, err)
	}
	return nil
}

// Retryable reports whether a session that failed with err may succeed if
// tried again: a corrupt or truncated stream, or a transport error, unless
// the context is done.
func Retryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrVersion) {
		return false
	}
	var te transportError
	return errors.Is(err, ErrCorrupt) || errors.Is(err, ErrTruncated) || errors.As(err, &te)
}

// Backoff bounds for Fetch's retries.
const (
	MinBackoff = 100 * time.Millisecond
	MaxBackoff = 10 * time.Second
)

// Fetch receives req's data into t from a peer, retrying up to retries
// times after a retryable failure (see Retryable), with exponential
// backoff from MinBackoff to MaxBackoff. Each attempt asks, with
// req.Skip grown by the sections already completed, only for the rest.
// Unlike Receive, it also checks that every partition lies in req.Ranges.
// It asks for whole files (req.SSTableFormat) in this node's SSTable format
// unless the request names another.
//
// open sends an encoded request and returns the stream of frames that
// answers it; it should stop the stream when its ctx (one per attempt, done
// when the attempt ends) is. The stats add up every attempt.
func Fetch(ctx context.Context, t *storage.Table, req Request,
	open func(ctx context.Context, req []byte) (next func() ([]byte, error), err error),
	retries int, prog *Progress) (RecvStats, error) {
	return fetch(ctx, t, req, open, retries, prog, sleepCtx)
}

func fetch(ctx context.Context, t *storage.Table, req Request,
	open func(ctx context.Context, req []byte) (func() ([]byte, error), error),
	retries int, prog *Progress, sleep func(context.Context, time.Duration) error) (RecvStats, error) {
	var total RecvStats
	if req.Table != t.ID() {
		return total, fmt.Errorf("streaming: request for table %x fetched into table %x", req.Table, t.ID())
	}
	ss := spans(req.Ranges)
	if len(req.Keys) > 0 {
		ss = keySpans(req.Keys)
	}
	skip := slices.Clone(req.Skip)
	if req.SSTableFormat == 0 {
		req.SSTableFormat = sstable.FormatVersion
	}
	backoff := MinBackoff
	for attempt := 0; ; attempt++ {
		req.Skip = skip
		st, err := fetchOnce(ctx, t, req, ss, open, prog)
		total.Attempts++
		total.Completed = append(total.Completed, st.Completed...)
		total.Imported += st.Imported
		total.WholeFiles += st.WholeFiles
		total.Blocks += st.Blocks
		total.Partitions += st.Partitions
		total.Rows += st.Rows
		total.Bytes += st.Bytes
		total.Frames += st.Frames
		total.FrameBytes += st.FrameBytes
		skip = append(skip, st.Completed...)
		if err == nil || attempt >= retries || !Retryable(err) || ctx.Err() != nil {
			if err != nil && attempt > 0 {
				err = fmt.Errorf("%w (after %d attempts)", err, attempt+1)
			}
			return total, err
		}
		if err := sleep(ctx, backoff); err != nil {
			return total, fmt.Errorf("streaming: fetch: %w", err)
		}
		backoff = min(2*backoff, MaxBackoff)
	}
}

// keySpans returns the spans of the tokens of keys (in ring order): a
// fetch of keys accepts partitions of those tokens only.
func keySpans(keys []mutation.Key) []span {
	var out []span
	for _, k := range keys {
		if n := len(out); n > 0 && out[n-1].end == k.Token {
			continue
		}
		s := span{k.Token - 1, k.Token}
		if k.Token == math.MinInt64 {
			s = span{math.MinInt64, math.MinInt64}
		}
		out = append(out, s)
	}
	return out
}

func fetchOnce(ctx context.Context, t *storage.Table, req Request, ss []span,
	open func(ctx context.Context, req []byte) (func() ([]byte, error), error), prog *Progress) (RecvStats, error) {
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	next, err := open(actx, req.Encode())
	if err != nil {
		return RecvStats{}, transportError{err}
	}
	r := receiver{ctx: actx, t: t, next: next, prog: prog, spans: ss, skip: req.Skip}
	if r.spans == nil {
		r.spans = []span{} // no range asked: any partition is out of place
	}
	err = r.run()
	return r.st, err
}
