package faulttest

// The record of what clients were told, and the checks of the cluster's
// content against it.

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gocql/gocql"
)

// outcome is what a write's client knows about it.
type outcome uint8

const (
	// ok: acknowledged at its consistency level; it must be readable.
	ok outcome = iota
	// failed: Unavailable (the coordinator checks the live replicas before
	// sending anything) or never sent; it must not be there.
	failed
	// unknown: a timeout or a broken connection; it may be there or not.
	unknown
)

func (o outcome) String() string {
	switch o {
	case ok:
		return "ok"
	case failed:
		return "failed"
	}
	return "unknown"
}

// op is one write: a key written once, with a value of its own.
type op struct {
	worker int
	table  string // keyspace.table
	key    int64
	value  string
	cl     gocql.Consistency
	start  time.Time
	took   time.Duration
	res    outcome
	err    error
	// coordinator is the address of the node the driver sent the write
	// to ("" if it was sent to none).
	coordinator string
}

// observerFunc makes a function a gocql.QueryObserver.
type observerFunc func(context.Context, gocql.ObservedQuery)

func (f observerFunc) ObserveQuery(ctx context.Context, q gocql.ObservedQuery) { f(ctx, q) }

// classify tells what an error says about the write.
func classify(err error) outcome {
	var unavailable *gocql.RequestErrUnavailable
	switch {
	case err == nil:
		return ok
	case errors.As(err, &unavailable), errors.Is(err, gocql.ErrNoConnections):
		return failed
	}
	return unknown
}

// errKind names an error for the counts the tests log.
func errKind(err error) string {
	var (
		unavailable  *gocql.RequestErrUnavailable
		writeTimeout *gocql.RequestErrWriteTimeout
		readTimeout  *gocql.RequestErrReadTimeout
	)
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &unavailable):
		return "Unavailable"
	case errors.As(err, &writeTimeout):
		return "WriteTimeout"
	case errors.As(err, &readTimeout):
		return "ReadTimeout"
	case errors.Is(err, gocql.ErrNoConnections):
		return "NoConnections"
	case errors.Is(err, gocql.ErrTimeoutNoResponse):
		return "ClientTimeout"
	case errors.Is(err, context.DeadlineExceeded):
		return "ClientDeadline"
	case errors.Is(err, gocql.ErrConnectionClosed), errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		// The connection closed under the write: by the node, or by the
		// driver dropping the host (then even before it was sent).
		return "ConnectionClosed"
	}
	msg := err.Error()
	if len(msg) > 100 {
		msg = msg[:100] + "..."
	}
	var re gocql.RequestError
	if errors.As(err, &re) {
		return fmt.Sprintf("error 0x%04x: %s", re.Code(), msg)
	}
	return fmt.Sprintf("%T: %s", err, msg)
}

// history records every write of a test.
type history struct {
	mu      sync.Mutex
	ops     []*op
	workers int
}

// writer writes rows of one worker, one after the other, each with a new
// key (worker*1e6 + sequence).
type writer struct {
	h      *history
	s      *gocql.Session
	cl     gocql.Consistency
	table  string // keyspace.table, ft.kv unless set
	pad    int    // bytes of filler each value gets (for volume)
	worker int
	seq    int64
}

// writer returns a writer of table ft.kv with a worker number of its own.
func (h *history) writer(s *gocql.Session, cl gocql.Consistency) *writer {
	return h.writerTo(s, cl, "ft.kv", 0)
}

// writerTo returns a writer of table (keyspace.table, with columns k
// bigint and v text) whose values carry pad bytes of incompressible
// filler.
func (h *history) writerTo(s *gocql.Session, cl gocql.Consistency, table string, pad int) *writer {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.workers++
	return &writer{h: h, s: s, cl: cl, table: table, pad: pad, worker: h.workers}
}

// filler returns n bytes of base64 text drawn at random, so that the
// value compresses little.
func filler(n int) string {
	b := make([]byte, (n*3+3)/4)
	for i := range b {
		b[i] = byte(rand.Uint32())
	}
	return base64.StdEncoding.EncodeToString(b)[:n]
}

// write makes one write and records it.
func (w *writer) write() *op {
	w.seq++
	o := &op{worker: w.worker, table: w.table, key: int64(w.worker)*1_000_000 + w.seq, cl: w.cl}
	o.value = fmt.Sprintf("w%d/%d/%d", w.worker, w.seq, time.Now().UnixNano())
	if w.pad > 0 {
		o.value += "/" + filler(w.pad)
	}
	// The client's own bound is the session's 10 s timeout; this one only
	// keeps a wedged driver from outliving the test.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	o.start = time.Now()
	o.err = w.s.Query("INSERT INTO "+w.table+" (k, v) VALUES (?, ?)", o.key, o.value).
		Consistency(w.cl).WithContext(ctx).
		Observer(observerFunc(func(_ context.Context, q gocql.ObservedQuery) {
			if q.Host != nil {
				o.coordinator = q.Host.ConnectAddress().String()
			}
		})).Exec()
	o.took = time.Since(o.start)
	o.res = classify(o.err)
	w.h.mu.Lock()
	w.h.ops = append(w.h.ops, o)
	w.h.mu.Unlock()
	return o
}

// load runs writers until it is stopped.
type load struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// run starts the writers, each pausing pace between its writes.
func run(pace time.Duration, ws ...*writer) *load {
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{cancel: cancel}
	for _, w := range ws {
		l.wg.Go(func() {
			for ctx.Err() == nil {
				w.write()
				select {
				case <-ctx.Done():
				case <-time.After(pace):
				}
			}
		})
	}
	return l
}

// stop ends the load once the writes in flight are answered (bounded by
// the session timeout).
func (l *load) stop() {
	l.cancel()
	l.wg.Wait()
}

// pick returns the recorded ops that match.
func (h *history) pick(match func(*op) bool) []*op {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*op
	for _, o := range h.ops {
		if match == nil || match(o) {
			out = append(out, o)
		}
	}
	return out
}

// Matchers.

func at(cl gocql.Consistency) func(*op) bool {
	return func(o *op) bool { return o.cl == cl }
}

func startedIn(from, to time.Time) func(*op) bool {
	return func(o *op) bool { return !o.start.Before(from) && o.start.Before(to) }
}

func endedBy(t time.Time) func(*op) bool {
	return func(o *op) bool { return !o.start.Add(o.took).After(t) }
}

func all(ms ...func(*op) bool) func(*op) bool {
	return func(o *op) bool {
		for _, m := range ms {
			if !m(o) {
				return false
			}
		}
		return true
	}
}

// describe counts ops by outcome and error kind, with the longest wait.
func describe(ops []*op) string {
	kinds := map[string]int{}
	var res [3]int
	var longest time.Duration
	for _, o := range ops {
		res[o.res]++
		if o.res != ok {
			kinds[errKind(o.err)]++
		}
		longest = max(longest, o.took)
	}
	var ks []string
	for k := range kinds {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var detail []string
	for _, k := range ks {
		detail = append(detail, fmt.Sprintf("%s %d", k, kinds[k]))
	}
	s := fmt.Sprintf("%d writes: %d ok, %d failed, %d unknown; longest %v", len(ops), res[ok], res[failed], res[unknown],
		longest.Round(time.Millisecond))
	if len(detail) > 0 {
		s += " (" + strings.Join(detail, ", ") + ")"
	}
	return s
}

// lastFailure returns when the last of ops that was not ok was answered
// (zero if all were ok).
func lastFailure(ops []*op) time.Time {
	var last time.Time
	for _, o := range ops {
		if end := o.start.Add(o.took); o.res != ok && end.After(last) {
			last = end
		}
	}
	return last
}

// readRow reads a key's value in table (keyspace.table).
func readRow(s *gocql.Session, cl gocql.Consistency, table string, key int64) (value string, found bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = s.Query("SELECT v FROM "+table+" WHERE k = ?", key).Consistency(cl).WithContext(ctx).Scan(&value)
	if errors.Is(err, gocql.ErrNotFound) {
		return "", false, nil
	}
	return value, err == nil, err
}

// readResult is what a read of an op's key found.
type readResult struct {
	o     *op
	value string
	found bool
	err   error
}

// readAll reads the keys of ops at cl, a few at a time; a read that errors
// is tried again a few times (the checks run once the fault is over).
func readAll(s *gocql.Session, cl gocql.Consistency, ops []*op) []readResult {
	out := make([]readResult, len(ops))
	next := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range next {
				r := readResult{o: ops[i]}
				for try := 0; try < 4; try++ {
					if r.value, r.found, r.err = readRow(s, cl, ops[i].table, ops[i].key); r.err == nil {
						break
					}
					time.Sleep(300 * time.Millisecond)
				}
				out[i] = r
			}
		})
	}
	for i := range ops {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// missing counts the ok ops among ops whose value a read at cl does not
// return (reads that error count as missing).
func missing(s *gocql.Session, cl gocql.Consistency, ops []*op) int {
	n := 0
	for _, r := range readAll(s, cl, ops) {
		if r.o.res == ok && (r.err != nil || !r.found || r.value != r.o.value) {
			n++
		}
	}
	return n
}

// verify reads every op's key at cl and checks it against the outcome:
// an ok write is there with its value, a failed one is not, an unknown one
// may be. where says through what the reads went, for messages. It returns
// how many acknowledged writes were lost or changed.
func verify(t *testing.T, s *gocql.Session, cl gocql.Consistency, where string, ops []*op) int {
	t.Helper()
	start := time.Now()
	var lost, wrong, ghost, readErrs, unknownThere, unknownAbsent, okThere, failedAbsent int
	var msgs []string
	report := func(format string, args ...any) {
		if len(msgs) < 10 {
			msgs = append(msgs, fmt.Sprintf(format, args...))
		}
	}
	for _, r := range readAll(s, cl, ops) {
		o := r.o
		switch {
		case r.err != nil:
			readErrs++
			report("read of key %d (%s write, %s): %v", o.key, o.res, o.cl, r.err)
		case o.res == ok && !r.found:
			lost++
			report("acknowledged %s write of key %d in %s (at %s) lost", o.cl, o.key, o.table, o.start.Format("15:04:05.000"))
		case o.res == ok && r.value != o.value:
			wrong++
			report("acknowledged write of key %d in %s: got %.60q, want %.60q", o.key, o.table, r.value, o.value)
		case o.res == ok:
			okThere++
		case o.res == failed && r.found:
			ghost++
			report("failed %s write of key %d (%v) is there: %q", o.cl, o.key, o.err, r.value)
		case o.res == failed:
			failedAbsent++
		case r.found:
			unknownThere++
		default:
			unknownAbsent++
		}
	}
	t.Logf("check at %s %s: %d ok writes there, %d failed ones absent, %d unknown (%d there, %d absent); %d keys in %v",
		cl, where, okThere, failedAbsent, unknownThere+unknownAbsent, unknownThere, unknownAbsent, len(ops),
		time.Since(start).Round(time.Millisecond))
	if lost+wrong+ghost+readErrs > 0 {
		t.Errorf("check at %s %s: %d acknowledged writes lost, %d with another value, %d failed writes present, %d reads failed:\n  %s",
			cl, where, lost, wrong, ghost, readErrs, strings.Join(msgs, "\n  "))
	}
	return lost + wrong
}

// expectAll fails the test for every op in ops whose outcome is not in
// want (by error kind: "ok", "Unavailable", "WriteTimeout", ...), and for
// any op that took longer than bound.
func expectAll(t *testing.T, what string, ops []*op, bound time.Duration, want ...string) {
	t.Helper()
	bad := 0
	for _, o := range ops {
		kind := errKind(o.err)
		switch {
		case !slices.Contains(want, kind):
			if bad++; bad <= 5 {
				t.Errorf("%s: %s write of key %d at %s: %s (took %v, coordinator %s), want %v", what, o.cl, o.key,
					o.start.Format("15:04:05.000"), kind, o.took.Round(time.Millisecond), o.coordinator, want)
			}
		case bound > 0 && o.took > bound:
			if bad++; bad <= 5 {
				t.Errorf("%s: %s write of key %d at %s took %v, want at most %v (%s)", what, o.cl, o.key,
					o.start.Format("15:04:05.000"), o.took.Round(time.Millisecond), bound, kind)
			}
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d writes in all not as expected", what, bad)
	}
}

// Error codes a coordinator may answer a write with (native protocol v4,
// section 9): the write was refused, or its outcome is unknown.
const (
	codeUnavailable  = 0x1000
	codeOverloaded   = 0x1001
	codeWriteTimeout = 0x1100
	codeWriteFailure = 0x1500
)

// expectWriteCodes fails the test for every op the coordinator answered
// with an error code a write should not get (a Server error, 0x0000, says
// "bug" to a driver, not "replica failed"). Errors of the connection (a
// coordinator that died) are not answers and pass.
func expectWriteCodes(t *testing.T, what string, ops []*op) {
	t.Helper()
	bad := 0
	for _, o := range ops {
		var re gocql.RequestError
		if !errors.As(o.err, &re) {
			continue
		}
		switch re.Code() {
		case codeUnavailable, codeOverloaded, codeWriteTimeout, codeWriteFailure:
			continue
		}
		if bad++; bad <= 3 {
			t.Errorf("%s: %s write of key %d at %s answered with error code 0x%04x (%s), want Unavailable, WriteTimeout or WriteFailure",
				what, o.cl, o.key, o.start.Format("15:04:05.000"), re.Code(), re.Message())
		}
	}
	if bad > 3 {
		t.Errorf("%s: %d writes in all answered with such codes", what, bad)
	}
}
