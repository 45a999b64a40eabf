package hints

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"wcdb/mutation"
)

// SendFunc delivers a batch of hinted mutations to their target node and
// returns nil once the node has applied them all. It may keep the batch and
// the mutations; it is called from the goroutine that called Replay.
type SendFunc func(ctx context.Context, batch []*mutation.Mutation) error

// Replay sends target's hints to send, oldest first, in batches of at most
// Options.ReplayBatchSize hints and Options.ReplayBatchBytes bytes (a batch
// never spans two files). Hints older than MaxHintWindow are skipped and
// counted as expired. A file is deleted once every hint in it has been sent
// (or skipped). It returns the number of hints sent.
//
// When send fails, or ctx is done, Replay stops and returns that error; the
// hints not sent are kept. A later Replay resumes with the failed batch, or,
// after a restart, from the start of the first file not deleted: some hints
// may be sent twice, which is harmless because mutations are idempotent.
//
// The hints added before Replay starts are the ones it sends; hints added
// meanwhile go to new files and wait for the next Replay. One Replay of a
// target runs at a time: another waits for it (or for ctx). A Replay whose
// target is dropped meanwhile stops with ErrDropped; one running when the
// store closes stops at its next batch with ErrClosed.
func (s *Store) Replay(ctx context.Context, target string, send SendFunc) (sent int, err error) {
	s.mu.RLock()
	if s.mu.closed {
		s.mu.RUnlock()
		return 0, ErrClosed
	}
	t := s.mu.targets[target]
	if t == nil {
		s.mu.RUnlock()
		return 0, nil
	}
	s.replays.Add(1)
	s.mu.RUnlock()
	defer s.replays.Done()

	select {
	case t.replay <- struct{}{}:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	defer func() { <-t.replay }()
	s.m.replaying.Add(1)
	defer s.m.replaying.Add(-1)

	if err := s.replayCheck(ctx, t); err != nil {
		return 0, err
	}
	files, err := s.seal(t)
	if err != nil {
		return 0, err
	}
	for _, f := range files {
		n, err := s.replayFile(ctx, t, f, send)
		sent += n
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// seal closes t's current file to appends, writes out every queued record
// and returns the files that existed then, oldest first. Called with t's
// replay slot held.
func (s *Store) seal(t *target) ([]*file, error) {
	t.mu.Lock()
	if err := t.stateErrLocked(); err != nil {
		t.mu.Unlock()
		return nil, err
	}
	if f := t.mu.cur; f != nil {
		f.sealed = true
		t.mu.cur = nil
	}
	// Files of t started from now on (under t.mu) get higher sequences.
	upTo := s.seq.Load()
	t.mu.Unlock()

	// Every file up to upTo is sealed: once written out, none changes.
	if err := s.flush(t, false); err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var files []*file
	for _, f := range t.mu.files {
		if f.seq <= upTo {
			files = append(files, f)
		}
	}
	return files, nil
}

func (t *target) stateErrLocked() error {
	switch t.mu.state {
	case dropped:
		return ErrDropped
	case closed:
		return ErrClosed
	}
	return nil
}

// replayCheck returns why a Replay of t must stop now, or nil.
func (s *Store) replayCheck(ctx context.Context, t *target) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return ErrClosed
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stateErrLocked()
}

// cutoff returns the creation time (Unix ms) before which a hint has expired.
func (s *Store) cutoff() int64 {
	return s.opts.Now().Add(-s.opts.MaxHintWindow).UnixMilli()
}

// pendingBatch is a batch being collected, with what it consumed.
type pendingBatch struct {
	muts     []*mutation.Mutation
	bytes    int
	consumed int64 // records read: sent, expired or undecodable
	expired  int64
	corrupt  int64
}

// replayFile sends the hints of sealed file f from where the last Replay
// left off, then deletes the file.
func (s *Store) replayFile(ctx context.Context, t *target, f *file, send SendFunc) (sent int, err error) {
	t.mu.Lock()
	start, limit, newest := f.start, f.limit, f.newest
	t.mu.Unlock()
	cutoff := s.cutoff()
	if newest < cutoff {
		return 0, s.retire(t, f, true)
	}
	if start >= limit {
		return 0, s.retire(t, f, false)
	}
	h, err := s.opts.FS.Open(f.path)
	if err != nil {
		if cerr := s.replayCheck(ctx, t); cerr != nil {
			return 0, cerr
		}
		return 0, fmt.Errorf("hints: open %s: %w", f.path, err)
	}
	defer h.Close() // read-only: a failed close loses nothing

	r := newReader(h, start, limit)
	var b pendingBatch
	for {
		body, st, reason, err := r.next(nil)
		if errors.Is(err, errShortFile) {
			st, reason, err = recTorn, "file shorter than written", nil
		}
		if err != nil {
			return sent, fmt.Errorf("hints: read %s: %w", f.path, err)
		}
		if st != recOK {
			switch st {
			case recTorn:
				s.opts.Logf("hints: %s: torn record at offset %d (%s); skipping the rest of the file", f.path, r.off, reason)
			case recCorrupt:
				b.corrupt++
				s.opts.Logf("hints: corrupt record in %s at offset %d: %s; skipping the rest of the file (%d bytes)", f.path, r.off, reason, limit-r.off)
			}
			n, err := s.commitBatch(ctx, t, f, &b, r.off, send)
			sent += n
			if err != nil {
				return sent, err
			}
			return sent, s.retire(t, f, false)
		}
		b.consumed++
		if recordCreated(body) < cutoff {
			b.expired++
			continue
		}
		m, err := mutation.DecodeMutation(recordMutation(body))
		if err != nil {
			// The checksum held, so this is a bug rather than damage; the
			// record frames correctly, so only it is skipped.
			b.corrupt++
			s.opts.Logf("hints: %s: record at offset %d does not decode: %v; skipping it", f.path, r.off, err)
			continue
		}
		b.muts = append(b.muts, &m)
		b.bytes += len(body)
		if len(b.muts) >= s.opts.ReplayBatchSize || b.bytes >= s.opts.ReplayBatchBytes {
			n, err := s.commitBatch(ctx, t, f, &b, r.off, send)
			sent += n
			if err != nil {
				return sent, err
			}
		}
	}
}

// commitBatch sends b, if it holds any hint, then records that f's records
// before offset off are done with. It returns the number of hints sent.
func (s *Store) commitBatch(ctx context.Context, t *target, f *file, b *pendingBatch, off int64, send SendFunc) (int, error) {
	n := len(b.muts)
	if n > 0 {
		if err := s.replayCheck(ctx, t); err != nil {
			return 0, err
		}
		if err := send(ctx, b.muts); err != nil {
			return 0, err
		}
		s.m.replayed.Add(int64(n))
	}
	s.m.expired.Add(b.expired)
	s.m.corrupt.Add(b.corrupt)
	t.mu.Lock()
	if t.mu.state == dropped {
		t.mu.Unlock()
		return n, ErrDropped
	}
	f.recs -= b.consumed
	f.bytes -= off - f.start
	f.start = off
	t.mu.Unlock()
	*b = pendingBatch{} // send may keep the old slice
	return n, nil
}

// retire deletes sealed file f, whose hints are all sent or expired; with
// expired, those still pending count as expired.
func (s *Store) retire(t *target, f *file, expired bool) error {
	t.mu.Lock()
	if t.mu.state == dropped {
		t.mu.Unlock()
		return ErrDropped
	}
	t.mu.Unlock()
	if err := s.removeFile(f); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if i := slices.Index(t.mu.files, f); i >= 0 {
		t.mu.files = slices.Delete(t.mu.files, i, i+1)
		if expired {
			s.m.expired.Add(f.recs)
		}
		f.recs, f.bytes = 0, 0
	}
	return nil
}

// expire deletes the files of every target that hold only hints older than
// MaxHintWindow, so that hints for a node that never comes back do not
// pile up. Targets being replayed are left to their Replay.
func (s *Store) expire() error {
	ts, err := s.targets()
	if err != nil {
		return err
	}
	var first error
	for _, t := range ts {
		select {
		case t.replay <- struct{}{}:
		default:
			continue
		}
		err := s.expireTarget(t, s.cutoff())
		<-t.replay
		if err != nil && first == nil {
			first = err
		}
	}
	return first
}

// expireTarget deletes t's expired files. Called with t's replay slot held.
func (s *Store) expireTarget(t *target, cutoff int64) error {
	t.mu.Lock()
	if t.mu.state != live {
		t.mu.Unlock()
		return nil
	}
	if f := t.mu.cur; f != nil && f.newest < cutoff {
		f.sealed = true
		t.mu.cur = nil
	}
	t.mu.Unlock()
	// Write out and close the sealed files first, so that no flush still
	// holds one of the victims.
	if err := s.flush(t, false); err != nil {
		return err
	}
	t.mu.Lock()
	var victims []*file
	for _, f := range t.mu.files {
		if f.sealed && f.newest < cutoff && len(f.buf) == 0 {
			victims = append(victims, f)
		}
	}
	t.mu.Unlock()
	for _, f := range victims {
		if err := s.retire(t, f, true); err != nil {
			return err
		}
	}
	return nil
}
