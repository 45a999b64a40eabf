package ycsb

import (
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Histograms hold nanoseconds from 1 µs (finer is noise for an operation
// over the network) to an hour, to three significant digits; longer values
// are recorded as an hour.
const (
	histLowest  = int64(time.Microsecond)
	histHighest = int64(time.Hour)
	histDigits  = 3
)

func newHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(histLowest, histHighest, histDigits)
}

func recordHist(h *hdrhistogram.Histogram, d time.Duration) {
	v := min(max(int64(d), 0), histHighest)
	_ = h.RecordValue(v) // in range by the clamp
}

// opStats is what is known of one operation type over some time: latency
// (from the intended start) and service time (from the actual start) of
// the operations that succeeded, latency of those that failed, failures
// by kind, and rows returned (scans).
type opStats struct {
	lat, svc, failed *hdrhistogram.Histogram
	errs             [numKinds]int64
	rows             int64
}

func newOpStats() *opStats {
	return &opStats{lat: newHist(), svc: newHist(), failed: newHist()}
}

func (s *opStats) ok() int64 { return s.lat.TotalCount() }

func (s *opStats) errors() int64 {
	var n int64
	for _, c := range s.errs {
		n += c
	}
	return n
}

func (s *opStats) merge(o *opStats) {
	s.lat.Merge(o.lat)
	s.svc.Merge(o.svc)
	s.failed.Merge(o.failed)
	for i, c := range o.errs {
		s.errs[i] += c
	}
	s.rows += o.rows
}

func (s *opStats) reset() {
	s.lat.Reset()
	s.svc.Reset()
	s.failed.Reset()
	s.errs = [numKinds]int64{}
	s.rows = 0
}

// opSet holds an opStats per operation type, made when first used, and
// counts of finished transactions (a read-modify-write is one transaction
// and also a READ and an UPDATE).
type opSet struct {
	ops            [numOps]*opStats
	txOK, txFailed int64
}

func (s *opSet) get(op Op) *opStats {
	if s.ops[op] == nil {
		s.ops[op] = newOpStats()
	}
	return s.ops[op]
}

func (s *opSet) merge(o *opSet) {
	for op, st := range o.ops {
		if st != nil {
			s.get(Op(op)).merge(st)
		}
	}
	s.txOK += o.txOK
	s.txFailed += o.txFailed
}

func (s *opSet) reset() {
	for _, st := range s.ops {
		if st != nil {
			st.reset()
		}
	}
	s.txOK, s.txFailed = 0, 0
}

// recorder is one worker's measurements. The worker records into cur; the
// collector swaps cur for a cleared set once an interval and merges what
// it took, so the per-worker histograms end up merged into the phase's
// without workers sharing a lock with each other.
type recorder struct {
	mu    sync.Mutex
	cur   *opSet
	spare *opSet
}

func newRecorder() *recorder { return &recorder{cur: &opSet{}, spare: &opSet{}} }

// record adds one operation that was intended to start at intended,
// started at start and ended at end; rows counts scanned records; tx
// tells whether it is a whole transaction (not a read-modify-write's
// read or update).
func (r *recorder) record(op Op, intended, start, end time.Time, err error, rows int, tx bool) {
	r.mu.Lock()
	st := r.cur.get(op)
	if err != nil {
		st.errs[Classify(err)]++
		recordHist(st.failed, end.Sub(intended))
	} else {
		recordHist(st.lat, end.Sub(intended))
		recordHist(st.svc, end.Sub(start))
		st.rows += int64(rows)
	}
	if tx {
		if err != nil {
			r.cur.txFailed++
		} else {
			r.cur.txOK++
		}
	}
	r.mu.Unlock()
}

// drain merges what was recorded since the last drain into dst. Only one
// goroutine drains.
func (r *recorder) drain(dst *opSet) {
	r.mu.Lock()
	taken := r.cur
	r.cur = r.spare
	r.spare = nil
	r.mu.Unlock()
	dst.merge(taken)
	taken.reset()
	r.mu.Lock()
	r.spare = taken
	r.mu.Unlock()
}

// Summary describes a distribution of durations, in microseconds.
type Summary struct {
	Count  int64   `json:"count"`
	MeanUs float64 `json:"mean_us"`
	MinUs  float64 `json:"min_us"`
	P50Us  float64 `json:"p50_us"`
	P95Us  float64 `json:"p95_us"`
	P99Us  float64 `json:"p99_us"`
	P999Us float64 `json:"p999_us"`
	MaxUs  float64 `json:"max_us"`
	// Percentiles is the distribution at fixed percentiles (SummaryPercentiles),
	// for latency-by-percentile charts.
	Percentiles []Percentile `json:"percentiles,omitempty"`
	// HDR is the whole histogram (nanoseconds) in HdrHistogram's V2
	// compressed, base64 form, for merging or replotting later.
	HDR string `json:"hdr,omitempty"`
}

// Percentile is one point of a distribution.
type Percentile struct {
	Percentile float64 `json:"p"`
	Us         float64 `json:"us"`
}

// SummaryPercentiles are the percentiles a Summary lists.
var SummaryPercentiles = []float64{0, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 95, 97.5, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100}

func us(ns int64) float64 { return float64(ns) / 1e3 }

func summarize(h *hdrhistogram.Histogram, full bool) Summary {
	if h.TotalCount() == 0 {
		return Summary{}
	}
	s := Summary{
		Count:  h.TotalCount(),
		MeanUs: h.Mean() / 1e3,
		MinUs:  us(h.Min()),
		P50Us:  us(h.ValueAtQuantile(50)),
		P95Us:  us(h.ValueAtQuantile(95)),
		P99Us:  us(h.ValueAtQuantile(99)),
		P999Us: us(h.ValueAtQuantile(99.9)),
		MaxUs:  us(h.Max()),
	}
	if full {
		for _, p := range SummaryPercentiles {
			s.Percentiles = append(s.Percentiles, Percentile{p, us(h.ValueAtQuantile(p))})
		}
		if b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase); err == nil {
			s.HDR = string(b) // already base64
		}
	}
	return s
}
