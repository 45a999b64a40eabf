package storage

import (
	"errors"
	"slices"
	"sync"
	"time"
)

// bgWork runs flushes and compactions in two goroutines: flushes must not
// wait behind a long compaction, or writers would stall.
type bgWork struct {
	e         *Engine
	flushWake chan struct{}
	compWake  chan struct{}
	stopCh    chan struct{}
	wg        sync.WaitGroup

	mu struct {
		sync.Mutex
		flushQ []*Table
	}
}

func (b *bgWork) start(e *Engine) {
	b.e = e
	b.flushWake = make(chan struct{}, 1)
	b.compWake = make(chan struct{}, 1)
	b.stopCh = make(chan struct{})
	b.wg.Add(2)
	go b.flushLoop()
	go b.compactLoop()
	b.requestCompaction()
}

func (b *bgWork) stop() {
	if b.stopCh == nil {
		return
	}
	close(b.stopCh)
	b.wg.Wait()
}

func (b *bgWork) requestFlush(t *Table) {
	b.mu.Lock()
	b.mu.flushQ = append(b.mu.flushQ, t)
	b.mu.Unlock()
	select {
	case b.flushWake <- struct{}{}:
	default:
	}
}

// PendingFlushes returns the flushes queued for the background flusher.
func (e *Engine) PendingFlushes() int {
	e.bg.mu.Lock()
	defer e.bg.mu.Unlock()
	return len(e.bg.mu.flushQ)
}

func (b *bgWork) requestCompaction() {
	if b.compWake == nil {
		return
	}
	select {
	case b.compWake <- struct{}{}:
	default:
	}
}

func (b *bgWork) stopping() bool {
	select {
	case <-b.stopCh:
		return true
	default:
		return false
	}
}

// Flush retry backoff: a failed flush (a full disk) is tried again after
// flushRetryMin, doubling up to flushRetryMax while it keeps failing.
const (
	flushRetryMin = time.Second
	flushRetryMax = time.Minute
)

func (b *bgWork) flushLoop() {
	defer b.wg.Done()
	// failed are the tables whose last flush failed, tried again when
	// retry fires: writers wait for their frozen memtables, so nothing
	// else would ask.
	var failed []*Table
	var backoff time.Duration
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	for {
		select {
		case <-b.stopCh:
			return
		case <-b.flushWake:
		case <-retry.C:
			b.mu.Lock()
			b.mu.flushQ = append(b.mu.flushQ, failed...)
			b.mu.Unlock()
			failed = nil
		}
		for !b.stopping() {
			b.mu.Lock()
			if len(b.mu.flushQ) == 0 {
				b.mu.Unlock()
				break
			}
			t := b.mu.flushQ[0]
			b.mu.flushQ = b.mu.flushQ[1:]
			b.mu.Unlock()
			if err := t.flushAll(false); err != nil {
				// The data stays in the commit log and the memtable.
				if len(failed) == 0 {
					backoff = min(max(2*backoff, flushRetryMin), flushRetryMax)
					retry.Reset(backoff)
				}
				if !slices.Contains(failed, t) {
					failed = append(failed, t)
				}
				b.e.opts.Warnf("storage: flush of table %s failed (tried again in %v): %v", t, backoff, err)
			} else if len(failed) == 0 {
				backoff = 0
			}
		}
	}
}

func (b *bgWork) compactLoop() {
	defer b.wg.Done()
	for {
		select {
		case <-b.stopCh:
			return
		case <-b.compWake:
		}
		if b.e.opts.DisableAutoCompaction {
			continue
		}
		for !b.stopping() {
			did := false
			for _, t := range b.e.Tables() {
				if b.stopping() {
					return
				}
				ok, err := t.compactOnce(b.stopCh)
				if err != nil && !errors.Is(err, errCompactionStopped) {
					b.e.opts.Warnf("storage: compaction of table %s failed: %v", t, err)
				}
				did = did || (ok && err == nil)
			}
			if !did {
				break
			}
		}
	}
}
