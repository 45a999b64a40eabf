package ycsb

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// TestRecordersMerge checks that per-worker histograms drained into one
// set equal one histogram fed every value, and that errors are counted by
// kind, not in the latencies.
func TestRecordersMerge(t *testing.T) {
	t0 := time.Unix(0, 0)
	recs := []*recorder{newRecorder(), newRecorder(), newRecorder()}
	all := newHist()
	for i := range 3000 {
		d := time.Duration(i+1) * 10 * time.Microsecond
		recs[i%3].record(OpRead, t0, t0, t0.Add(d), nil, 0, true)
		recordHist(all, d)
	}
	recs[0].record(OpRead, t0, t0, t0.Add(time.Second), ErrTimeout, 0, true)
	recs[1].record(OpRead, t0, t0, t0.Add(time.Millisecond), ErrNotFound, 0, true)
	recs[2].record(OpUpdate, t0, t0, t0.Add(time.Millisecond), errors.New("boom"), 0, true)
	var set opSet
	for _, r := range recs {
		r.drain(&set)
	}
	got := set.ops[OpRead]
	if got.lat.TotalCount() != 3000 || !got.lat.Equals(all) {
		t.Errorf("merged READ latency: got %d values (p99 %d), want %d (p99 %d)",
			got.lat.TotalCount(), got.lat.ValueAtQuantile(99), all.TotalCount(), all.ValueAtQuantile(99))
	}
	if got.errs[KindTimeout] != 1 || got.errs[KindNotFound] != 1 || set.ops[OpUpdate].errs[KindOther] != 1 {
		t.Errorf("errors: got READ %v UPDATE %v, want one timeout, one not_found, one other", got.errs, set.ops[OpUpdate].errs)
	}
	if set.txOK != 3000 || set.txFailed != 3 {
		t.Errorf("transactions: got %d ok %d failed, want 3000 and 3", set.txOK, set.txFailed)
	}
	s := summarize(got.lat, true)
	if s.P50Us < 14900 || s.P50Us > 15100 || s.MaxUs < 29900 || s.MaxUs > 30100 {
		t.Errorf("summary p50 %.0f µs max %.0f µs, want about 15000 and 30000", s.P50Us, s.MaxUs)
	}
	if len(s.Percentiles) != len(SummaryPercentiles) || s.HDR == "" {
		t.Errorf("summary has %d percentiles and hdr %q, want %d and an encoding", len(s.Percentiles), s.HDR, len(SummaryPercentiles))
	}
	// Drained recorders start afresh.
	var again opSet
	recs[0].drain(&again)
	if again.ops[OpRead] != nil && again.ops[OpRead].ok() != 0 {
		t.Errorf("second drain got %d reads, want 0", again.ops[OpRead].ok())
	}
}

// TestRecorderDrainWhileRecording drains while workers record: nothing is
// lost or counted twice.
func TestRecorderDrainWhileRecording(t *testing.T) {
	const workers, each = 4, 20000
	t0 := time.Unix(0, 0)
	recs := make([]*recorder, workers)
	for i := range recs {
		recs[i] = newRecorder()
	}
	var total opSet
	stop := make(chan struct{})
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, r := range recs {
				r.drain(&total)
			}
		}
	}()
	var wg sync.WaitGroup
	for _, r := range recs {
		wg.Go(func() {
			for i := range each {
				r.record(OpUpdate, t0, t0, t0.Add(time.Duration(i)*time.Microsecond), nil, 0, true)
			}
		})
	}
	wg.Wait()
	close(stop)
	<-drained
	for _, r := range recs {
		r.drain(&total)
	}
	if got := total.ops[OpUpdate].ok(); got != workers*each || total.txOK != workers*each {
		t.Errorf("got %d updates (%d transactions), want %d", got, total.txOK, workers*each)
	}
}
