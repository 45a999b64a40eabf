package streaming

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"wcdb/mutation"
	"wcdb/ring"
	"wcdb/sstable"
	"wcdb/storage"
)

// SendStats describe what a Send sent.
type SendStats struct {
	// Files is the number of file sections sent (empty ones included),
	// WholeFiles those of them sent as whole files; Skipped is the number
	// of files the request's Skip excluded.
	Files, WholeFiles, Skipped int
	// Blocks counts the data blocks sent as stored (block entries).
	Blocks     int64
	Partitions int64
	Rows       int64
	// Bytes is the size of the sections' entries (of the files, for files
	// sent whole); FrameBytes of all frames.
	Bytes, FrameBytes int64
	Frames            int64
}

// span is a non-wrapping piece of a request's ranges: the tokens in
// (start, end], where start == MinToken also takes MinToken itself and
// end == MaxToken runs to the end of the ring (storage.TokenRange's
// conventions).
type span struct{ start, end int64 }

// lo and hi are the span's first and last tokens.
func (s span) lo() int64 {
	if s.start == math.MinInt64 {
		return math.MinInt64
	}
	return s.start + 1
}

func (s span) hi() int64 { return s.end }

// spans unwraps ranges and merges them into disjoint, ascending spans, so
// that scanning a file span by span yields its partitions in order, once.
func spans(ranges []ring.Range) []span {
	var out []span
	for _, r := range ranges {
		for _, u := range r.Unwrap() {
			s := span{u.Start, u.End}
			if s.end == ring.MinToken {
				s.end = math.MaxInt64
			}
			if s.start < s.end {
				out = append(out, s)
			}
		}
	}
	slices.SortFunc(out, func(a, b span) int {
		switch {
		case a.start < b.start:
			return -1
		case a.start > b.start:
			return 1
		}
		return 0
	})
	merged := out[:0]
	for _, s := range out {
		if n := len(merged); n > 0 && s.start <= merged[n-1].end {
			merged[n-1].end = max(merged[n-1].end, s.end)
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// spanOf returns the index of the (merged) span holding a token, or -1.
func spanOf(ss []span, tok int64) int {
	i, _ := slices.BinarySearchFunc(ss, tok, func(s span, t int64) int {
		if s.hi() < t {
			return -1
		}
		return 1
	})
	if i < len(ss) && ss[i].lo() <= tok {
		return i
	}
	return -1
}

// estimate returns the on-disk bytes of a file's section in the spans: its
// size times the share of its token span [MinKey, MaxKey] they cover; 0 if
// they miss the file, at least 1 if they meet it.
func estimate(size int64, meta sstable.Meta, ss []span) int64 {
	lo, hi := meta.MinKey.Token, meta.MaxKey.Token
	width := float64(uint64(hi-lo)) + 1
	var covered float64
	hit := false
	for _, s := range ss {
		a, b := max(s.lo(), lo), min(s.hi(), hi)
		if a > b {
			continue
		}
		hit = true
		covered += float64(uint64(b-a)) + 1
	}
	if !hit {
		return 0
	}
	return max(1, int64(float64(size)*min(1, covered/width)))
}

// Send streams the table's data in req.Ranges: it flushes the table (so
// that memtable data is included), holds its live SSTables while it reads
// them (compaction deletes the files it replaces only afterwards), and for
// each file that meets the ranges and is not in req.Skip sends a
// file-start frame, the section's data frames (its entries, or the file's
// bytes when it may go whole: see Request.SSTableFormat) and a file-end
// frame; then a session-end frame. Every frame passes th (nil: unlimited)
// before send.
//
// send must not keep the frame after it returns: Send reuses its buffer
// (messaging's codec copies it into its own when encoding). Send stops at
// the first error of send, of reading the files, or of ctx.
func Send(ctx context.Context, t *storage.Table, req Request, th *Throttle, send func(frame []byte) error) (SendStats, error) {
	return SendWithProgress(ctx, t, req, th, nil, send)
}

// SendWithProgress is Send recording its progress in prog (nil: none).
func SendWithProgress(ctx context.Context, t *storage.Table, req Request, th *Throttle, prog *Progress, send func(frame []byte) error) (SendStats, error) {
	return sendSession(ctx, t, req, th, prog, send, chunkSize)
}

// sendSession is SendWithProgress cutting data frames at chunk bytes.
func sendSession(ctx context.Context, t *storage.Table, req Request, th *Throttle, prog *Progress, send func([]byte) error, chunk int) (SendStats, error) {
	s := &sender{ctx: ctx, th: th, prog: prog, send: send, chunk: chunk}
	if req.Table != t.ID() {
		return s.st, fmt.Errorf("streaming: request for table %x sent to table %x", req.Table, t.ID())
	}
	if len(req.Keys) > 0 {
		return s.st, s.keys(t, req.Keys)
	}
	if err := t.Flush(); err != nil {
		return s.st, fmt.Errorf("streaming: flush before sending: %w", err)
	}
	ss := spans(req.Ranges)
	err := t.WithFiles(func(files []storage.FileSection) error {
		type planned struct {
			f     storage.FileSection
			est   int64
			whole bool
		}
		var plan []planned
		var total int64
		for _, f := range files {
			if slices.Contains(req.Skip, f.Num) {
				s.st.Skipped++
				continue
			}
			meta := f.Reader.Meta()
			if wholeFile(req, meta, ss) {
				plan = append(plan, planned{f, f.Size, true})
				total += f.Size
			} else if est := estimate(f.Size, meta, ss); est > 0 {
				plan = append(plan, planned{f, est, false})
				total += est
			}
		}
		prog.plan(int64(len(plan)), total)
		if err := s.control(kindSessionStart, uint64(len(plan)), uint64(total)); err != nil {
			return err
		}
		for _, p := range plan {
			if !p.whole {
				blocks := req.SSTableFormat != 0 && req.SSTableFormat == p.f.Reader.Meta().FormatVersion
				if err := s.section(p.f, p.est, ss, blocks); err != nil {
					return err
				}
				continue
			}
			if err := s.wholeFile(p.f); err != nil {
				return err
			}
			s.st.WholeFiles++
		}
		return s.control(kindSessionEnd, uint64(s.st.Files), uint64(s.st.Bytes))
	})
	if err != nil {
		return s.st, err
	}
	return s.st, nil
}

// sender builds and sends one session's frames.
type sender struct {
	ctx   context.Context
	th    *Throttle
	prog  *Progress
	send  func([]byte) error
	chunk int
	st    SendStats

	ctl []byte // control frames
	buf []byte // the data frame being filled
	// The section being sent: its file, the next data frame's sequence
	// number, the end of the data frame's header in buf, and its counts.
	file         uint64
	seq          uint64
	hdr          int
	parts, rows  int64
	sectionBytes int64
}

// emit passes a finished frame through the throttle to send.
func (s *sender) emit(frame []byte) error {
	if err := s.ctx.Err(); err != nil {
		return fmt.Errorf("streaming: send: %w", err)
	}
	if err := s.th.Wait(s.ctx, len(frame)); err != nil {
		return fmt.Errorf("streaming: send: %w", err)
	}
	if err := s.send(frame); err != nil {
		return fmt.Errorf("streaming: send: %w", err)
	}
	s.st.Frames++
	s.st.FrameBytes += int64(len(frame))
	return nil
}

func (s *sender) control(kind byte, vals ...uint64) error {
	s.ctl = appendControl(s.ctl[:0], kind, vals...)
	if err := s.emit(s.ctl); err != nil {
		return err
	}
	s.prog.frame(len(s.ctl))
	return nil
}

// startData begins a new data frame of the current section in buf.
func (s *sender) startData() {
	if s.buf == nil {
		s.buf = make([]byte, 0, s.chunk+64<<10)
	}
	s.buf = startFrame(s.buf[:0], kindData)
	s.buf = binary.AppendUvarint(s.buf, s.file)
	s.buf = binary.AppendUvarint(s.buf, s.seq)
	s.hdr = len(s.buf)
}

// flushData sends the data frame in buf, if it holds any entry.
func (s *sender) flushData() error {
	n := len(s.buf) - s.hdr
	if n == 0 {
		return nil
	}
	s.buf = finishFrame(s.buf)
	if err := s.emit(s.buf); err != nil {
		return err
	}
	s.sectionBytes += int64(n)
	s.seq++
	s.prog.data(len(s.buf), n)
	s.startData()
	return nil
}

// added cuts the data frame once it reaches the chunk size.
func (s *sender) added() error {
	if len(s.buf) < s.chunk {
		return nil
	}
	return s.flushData()
}

// startSection sends a file-start frame and readies the first data frame.
func (s *sender) startSection(file uint64, est int64, mode uint64) error {
	s.file, s.seq, s.parts, s.rows, s.sectionBytes = file, 0, 0, 0, 0
	s.prog.fileStart(est)
	if err := s.control(kindFileStart, file, uint64(est), mode); err != nil {
		return err
	}
	s.startData()
	return nil
}

// endSection sends the last data frame and the file-end frame.
func (s *sender) endSection() error {
	if err := s.flushData(); err != nil {
		return err
	}
	if err := s.control(kindFileEnd, s.file, uint64(s.parts), uint64(s.rows), uint64(s.sectionBytes)); err != nil {
		return err
	}
	s.prog.fileDone()
	s.st.Files++
	s.st.Partitions += s.parts
	s.st.Rows += s.rows
	s.st.Bytes += s.sectionBytes
	return nil
}

// section sends one file's section: its data blocks that lie in a span as
// block entries when blocks is set, the rest entry by entry. The blocks are
// read with the table's own reader, never through its cache.
func (s *sender) section(f storage.FileSection, est int64, ss []span, blocks bool) error {
	if err := s.startSection(f.Num, est, modeEntries); err != nil {
		return err
	}
	r := f.Reader
	meta := r.Meta()
	for _, sp := range ss {
		if sp.hi() < meta.MinKey.Token || sp.lo() > meta.MaxKey.Token {
			continue
		}
		it := r.Blocks(mutation.Key{Token: sp.lo()})
		err := s.span(it, sp, blocks)
		if cerr := it.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("streaming: read %s: %w", f.Reader.Path(), cerr)
		}
		if err != nil {
			return err
		}
	}
	return s.endSection()
}

// span sends the partitions of one span from the file's blocks, which it
// walks from the first that may hold the span's first token.
func (s *sender) span(it *sstable.BlockIter, sp span, blocks bool) error {
	open := false // a partition of the span is open in the stream
	var e sstable.BlockEntry
	for it.Next() {
		b := it.Block()
		if sum := b.Summary(); blocks && inSpan(sum, sp, open) {
			if open && !sum.Continues {
				if err := s.endPartition(); err != nil {
					return err
				}
			}
			s.buf = appendBlockEntry(s.buf, b.Stored())
			s.st.Blocks++
			s.parts += int64(sum.Partitions)
			s.rows += int64(sum.Rows)
			open = true
			if err := s.added(); err != nil {
				return err
			}
			continue
		}
		for i := 0; i < b.Len(); i++ {
			if err := b.Entry(i, &e); err != nil {
				return fmt.Errorf("streaming: read: %w", err)
			}
			if !e.Partition {
				if open {
					s.buf = appendRowEntry(s.buf, e.Clustering, e.Row)
					s.rows++
					if err := s.added(); err != nil {
						return err
					}
				}
				continue
			}
			if open {
				if err := s.endPartition(); err != nil {
					return err
				}
				open = false
			}
			if e.Key.Token > sp.hi() {
				return nil
			}
			if e.Key.Token < sp.lo() {
				continue
			}
			s.buf = appendPartitionEntry(s.buf, e.Key, e.Header)
			s.parts++
			open = true
			if err := s.added(); err != nil {
				return err
			}
		}
	}
	if open {
		return s.endPartition()
	}
	return nil
}

// keys sends the partitions of a request's keys, read from memtables and
// SSTables merged (storage's raw reads), as one entries section of source
// file 0.
func (s *sender) keys(t *storage.Table, keys []mutation.Key) error {
	s.prog.plan(1, 0)
	if err := s.control(kindSessionStart, 1, 0); err != nil {
		return err
	}
	if err := s.startSection(0, 0, modeEntries); err != nil {
		return err
	}
	var hdr, row []byte
	for _, k := range keys {
		p, err := t.Read(storage.Query{Key: k, Raw: true})
		if err != nil {
			return fmt.Errorf("streaming: read: %w", err)
		}
		if p == nil {
			continue
		}
		hdr = mutation.AppendHeader(hdr[:0], &mutation.Header{Deletion: p.Deletion, RangeTombstones: p.RangeTombstones, Static: p.Static})
		s.buf = appendPartitionEntry(s.buf, p.Key, hdr)
		s.parts++
		if err := s.added(); err != nil {
			return err
		}
		for i := range p.Rows {
			row = mutation.AppendRow(row[:0], &p.Rows[i])
			s.buf = appendRowEntry(s.buf, p.Rows[i].Clustering, row)
			s.rows++
			if err := s.added(); err != nil {
				return err
			}
		}
		if err := s.endPartition(); err != nil {
			return err
		}
	}
	if err := s.endSection(); err != nil {
		return err
	}
	return s.control(kindSessionEnd, uint64(s.st.Files), uint64(s.st.Bytes))
}

// inSpan reports whether every entry of a block belongs to partitions of
// the span, so that it may be sent as it is stored: its partition starts lie
// in the span, and rows it opens with continue the partition open in the
// stream. (A block of rows followed by a partition start does not occur in
// the format; it would go entry by entry.)
func inSpan(sum sstable.BlockSummary, sp span, open bool) bool {
	if sum.Continues {
		return open && sum.Partitions == 0
	}
	return sum.Partitions > 0 && sum.FirstToken >= sp.lo() && sum.LastToken <= sp.hi()
}

func (s *sender) endPartition() error {
	s.buf = append(s.buf, entryEnd)
	return s.added()
}

// wholeFile sends a file byte for byte, read straight into data frames.
func (s *sender) wholeFile(f storage.FileSection) error {
	if err := s.startSection(f.Num, f.Size, modeWholeFile); err != nil {
		return err
	}
	raw, err := f.OpenRaw()
	if err != nil {
		return fmt.Errorf("streaming: open %s: %w", f.Reader.Path(), err)
	}
	defer raw.Close()
	for off := int64(0); off < f.Size; {
		n := int(min(int64(s.chunk), f.Size-off))
		if cap(s.buf)-len(s.buf) < n+4 {
			s.buf = slices.Grow(s.buf, n+4)
		}
		if _, err := raw.ReadAt(s.buf[len(s.buf):len(s.buf)+n], off); err != nil {
			return fmt.Errorf("streaming: read %s: %w", f.Reader.Path(), err)
		}
		s.buf = s.buf[:len(s.buf)+n]
		off += int64(n)
		if err := s.flushData(); err != nil {
			return err
		}
	}
	meta := f.Reader.Meta()
	s.parts, s.rows = meta.Partitions, meta.Rows
	return s.endSection()
}

// wholeFile reports whether a file may be sent whole: the requester reads
// its format, and its key span lies in one span of the ranges.
func wholeFile(req Request, meta sstable.Meta, ss []span) bool {
	return req.SSTableFormat != 0 && req.SSTableFormat == meta.FormatVersion &&
		containedIn(ss, meta.MinKey.Token, meta.MaxKey.Token)
}

// containedIn reports whether the tokens [lo, hi] lie in one of the
// (merged) spans.
func containedIn(ss []span, lo, hi int64) bool {
	i := spanOf(ss, lo)
	return i >= 0 && hi <= ss[i].hi()
}
