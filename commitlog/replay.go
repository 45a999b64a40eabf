package commitlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// Replay calls fn for every intact record of every segment found by Open, in
// log order. rec is only valid during the call; fn must copy what it keeps.
// An error from fn stops Replay and is returned as is.
//
// Damage a crash can explain is repaired and logged: a torn tail of the last
// segment (a partial or garbage record with nothing intact after it,
// including a zero-filled tail) is truncated, and a last segment whose header
// never made it to disk is removed. Any other damage (a bad record followed
// by intact ones, or a bad record in a segment that is not the last) fails
// with a *CorruptError wrapping ErrCorrupt, or with Options.SkipCorrupt is
// logged and skipped.
//
// Replay must be called once, after Open and before Append, even when the
// log is empty.
func (l *Log) Replay(fn func(pos Position, rec []byte) error) error {
	l.mu.Lock()
	switch {
	case l.mu.closed:
		l.mu.Unlock()
		return ErrClosed
	case l.mu.replayed:
		l.mu.Unlock()
		return errors.New("commitlog: Replay called twice")
	}
	segs := l.mu.replay
	l.mu.Unlock()

	var buf []byte
	for i, id := range segs {
		var err error
		buf, err = l.replaySegment(id, i == len(segs)-1, buf, fn)
		if err != nil {
			return err
		}
	}

	l.mu.Lock()
	l.mu.replayed = true
	l.mu.replay = nil
	l.mu.Unlock()
	return nil
}

// replaySegment replays segment id, reading it whole into buf (grown as
// needed and returned for reuse).
func (l *Log) replaySegment(id uint64, last bool, buf []byte, fn func(Position, []byte) error) ([]byte, error) {
	name := l.path(id)
	data, err := l.readFile(name, buf)
	if err != nil {
		return buf, err
	}
	buf = data

	if reason := checkSegmentHeader(data, id); reason != "" {
		if last && nextValidRecord(data, min(len(data), segmentHeaderSize), id) < 0 {
			// Created but its header never reached the disk, so it held no
			// acknowledged record.
			l.opts.Logf("commitlog: %s: %s and no intact record; removing the unfinished last segment", name, reason)
			return buf, l.removeUnfinished(id)
		}
		cerr := &CorruptError{File: name, Offset: 0, Reason: reason}
		if l.opts.SkipCorrupt {
			l.opts.Logf("%v; skipping the segment", cerr)
			return buf, nil
		}
		return buf, cerr
	}

	off := segmentHeaderSize
	for off < len(data) {
		if rec, n, ok := decodeRecord(data[off:], id); ok {
			if err := fn(Position{Segment: id, Offset: int64(off)}, rec); err != nil {
				return buf, err
			}
			off += n
			continue
		}
		reason := badRecordReason(data[off:], id)
		next := nextValidRecord(data, off+1, id)
		if next < 0 && last {
			l.opts.Logf("commitlog: %s: torn tail at offset %d (%s); truncating %d bytes", name, off, reason, len(data)-off)
			return buf, l.truncate(name, int64(off))
		}
		cerr := &CorruptError{File: name, Offset: int64(off), Reason: reason}
		if next >= 0 {
			cerr.Reason += fmt.Sprintf("; next intact record at offset %d", next)
		} else {
			cerr.Reason += "; nothing intact after it in a segment that is not the last"
		}
		if !l.opts.SkipCorrupt {
			return buf, cerr
		}
		if next < 0 {
			l.opts.Logf("%v; skipping the rest of the segment", cerr)
			return buf, nil
		}
		l.opts.Logf("%v; skipping %d bytes", cerr, next-off)
		off = next
	}
	return buf, nil
}

// badRecordReason says why no intact record of segment seg starts at b[0].
func badRecordReason(b []byte, seg uint64) string {
	if len(b) < recordHeaderSize {
		return fmt.Sprintf("partial record header: %d bytes", len(b))
	}
	n := binary.LittleEndian.Uint32(b[0:4])
	if binary.LittleEndian.Uint32(b[4:8]) != headerCRC(seg, n) {
		return "record header checksum mismatch"
	}
	if uint64(n) > uint64(len(b)-recordHeaderSize) {
		return fmt.Sprintf("record length %d runs past the end of the segment", n)
	}
	return "record payload checksum mismatch"
}

// readFile reads the named file whole into buf's storage.
func (l *Log) readFile(name string, buf []byte) ([]byte, error) {
	f, err := l.opts.FS.Open(name)
	if err != nil {
		return buf, fmt.Errorf("commitlog: open %s: %w", name, err)
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return buf, fmt.Errorf("commitlog: stat %s: %w", name, err)
	}
	buf = slices.Grow(buf[:0], int(size))[:size]
	n, err := f.ReadAt(buf, 0)
	if n == len(buf) {
		err = nil
	}
	if err != nil {
		return buf, fmt.Errorf("commitlog: read %s: %w", name, err)
	}
	return buf, nil
}

// truncate cuts the named file to size and syncs it.
func (l *Log) truncate(name string, size int64) error {
	f, err := l.opts.FS.OpenReadWrite(name)
	if err != nil {
		return fmt.Errorf("commitlog: open %s: %w", name, err)
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return fmt.Errorf("commitlog: truncate %s: %w", name, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("commitlog: sync %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("commitlog: close %s: %w", name, err)
	}
	return nil
}

// removeUnfinished deletes the last segment found by Open, whose header is
// missing; its id stays used, so the next segment gets a fresh one.
func (l *Log) removeUnfinished(id uint64) error {
	name := l.path(id)
	if err := l.opts.FS.Remove(name); err != nil {
		return fmt.Errorf("commitlog: remove %s: %w", name, err)
	}
	if err := l.opts.FS.SyncDir(l.opts.Dir); err != nil {
		return fmt.Errorf("commitlog: sync dir %s: %w", l.opts.Dir, err)
	}
	l.mu.Lock()
	if i := slices.Index(l.mu.segs, id); i >= 0 {
		l.mu.segs = slices.Delete(l.mu.segs, i, i+1)
	}
	l.mu.Unlock()
	return nil
}
