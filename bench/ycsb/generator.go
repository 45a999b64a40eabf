package ycsb

import (
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
)

// fnvHash64 is YCSB's Utils.fnvhash64: FNV-1a over a value's eight bytes,
// low byte first, sign dropped. It turns insert order into key order
// (hashed inserts) and scatters zipfian ranks over the key space.
func fnvHash64(v int64) int64 {
	h := uint64(0xCBF29CE484222325)
	for range 8 {
		h ^= uint64(v & 0xff)
		v >>= 8
		h *= 1099511628211
	}
	s := int64(h)
	if s < 0 {
		if s == math.MinInt64 {
			return math.MaxInt64 // Java's Math.abs leaves it negative; no key has it in practice
		}
		s = -s
	}
	return s
}

// KeyName returns YCSB's key of record seq: "user" and the decimal hash of
// seq.
func KeyName(seq int64) string {
	return "user" + strconv.FormatInt(fnvHash64(seq), 10)
}

// ZipfianConstant is YCSB's zipfian constant.
const ZipfianConstant = 0.99

// YCSB's scrambled zipfian draws from a zipfian over a huge item space (so
// that its zeta need not be computed for the record count) and hashes the
// rank into the actual range; zetaScrambled is zeta(scrambledItems, 0.99)
// as YCSB precomputes it.
const (
	scrambledItems = 10_000_000_000
	zetaScrambled  = 26.46902820178302
)

// zeta returns the sum over i in (from, to] of 1/i^θ added to start, so
// that a zeta can be extended as items are added.
func zeta(from, to int64, theta, start float64) float64 {
	s := start
	for i := from + 1; i <= to; i++ {
		s += 1 / math.Pow(float64(i), theta)
	}
	return s
}

// zipfian draws ranks 0..n-1 with probability proportional to
// 1/(rank+1)^θ, by Gray et al.'s method ("Quickly generating
// billion-record synthetic databases"), as YCSB's ZipfianGenerator. The
// item count may grow between draws (the latest distribution's does): the
// zeta is then extended, not recomputed. Not safe for concurrent use.
type zipfian struct {
	n     int64
	theta float64
	zetan float64
	zeta2 float64
	alpha float64
	eta   float64
	half  float64 // 1 + 0.5^θ
}

func newZipfian(n int64, theta, zetan float64) *zipfian {
	z := &zipfian{theta: theta, zeta2: zeta(0, 2, theta, 0), alpha: 1 / (1 - theta), half: 1 + math.Pow(0.5, theta)}
	z.setN(n, zetan)
	return z
}

func (z *zipfian) setN(n int64, zetan float64) {
	z.n, z.zetan = n, zetan
	z.eta = (1 - math.Pow(2/float64(n), 1-z.theta)) / (1 - z.zeta2/zetan)
}

// grow extends the item count to n (never shrinks it).
func (z *zipfian) grow(n int64) {
	if n > z.n {
		z.setN(n, zeta(z.n, n, z.theta, z.zetan))
	}
}

func (z *zipfian) next(r *rand.Rand) int64 {
	u := r.Float64()
	uz := u * z.zetan
	if uz < 1 {
		return 0
	}
	if uz < z.half {
		return min(1, z.n-1)
	}
	v := int64(float64(z.n) * math.Pow(z.eta*u-z.eta+1, z.alpha))
	return min(v, z.n-1)
}

// A keyChooser picks the sequence number of an existing record.
type keyChooser interface {
	next(r *rand.Rand) int64
}

// scrambledZipfian draws items 0..n-1 zipfian-popular, the popular ones
// spread over the range, as YCSB's ScrambledZipfianGenerator. Stateless
// apart from the shared zipfian's constants: safe for concurrent use.
type scrambledZipfian struct {
	z *zipfian
	n int64
}

func newScrambledZipfian(n int64) *scrambledZipfian {
	return &scrambledZipfian{z: newZipfian(scrambledItems, ZipfianConstant, zetaScrambled), n: n}
}

func (s *scrambledZipfian) next(r *rand.Rand) int64 {
	return fnvHash64(s.z.next(r)) % s.n
}

// uniform draws items 0..n-1 uniformly.
type uniform struct{ n int64 }

func (u uniform) next(r *rand.Rand) int64 { return r.Int64N(u.n) }

// latest favours the newest records, as YCSB's SkewedLatestGenerator: a
// zipfian rank counted back from the last acknowledged insert, over an
// item count that grows with the inserts. One per worker.
type latest struct {
	ack *ackCounter
	z   *zipfian
}

func newLatest(ack *ackCounter, z *zipfian) *latest { return &latest{ack: ack, z: z} }

func (l *latest) next(r *rand.Rand) int64 {
	last := l.ack.last()
	l.z.grow(last + 1)
	return last - l.z.next(r)
}

// boundedChooser redraws while a draw lies beyond the last acknowledged
// insert, as YCSB's CoreWorkload.nextKeynum: the zipfian's range includes
// room for records not inserted yet.
type boundedChooser struct {
	c   keyChooser
	ack *ackCounter
}

func (b boundedChooser) next(r *rand.Rand) int64 {
	for {
		if k := b.c.next(r); k <= b.ack.last() {
			return k
		}
	}
}

// ackCounter hands out insert sequence numbers and tracks the highest one
// below which every insert has been acknowledged, as YCSB's
// AcknowledgedCounterGenerator: readers choose only among those.
type ackCounter struct {
	nextSeq atomic.Int64
	limit   atomic.Int64 // last acknowledged without gaps
	mu      struct {
		sync.Mutex
		pending map[int64]struct{}
	}
}

// newAckCounter starts a counter whose records 0..start-1 exist.
func newAckCounter(start int64) *ackCounter {
	a := &ackCounter{}
	a.nextSeq.Store(start)
	a.limit.Store(start - 1)
	a.mu.pending = map[int64]struct{}{}
	return a
}

// claim returns the next sequence number to insert.
func (a *ackCounter) claim() int64 { return a.nextSeq.Add(1) - 1 }

// claimed returns how many sequence numbers have been handed out, counting
// the start.
func (a *ackCounter) claimed() int64 { return a.nextSeq.Load() }

// acknowledge records that the insert of seq has returned.
func (a *ackCounter) acknowledge(seq int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	limit := a.limit.Load()
	if seq != limit+1 {
		a.mu.pending[seq] = struct{}{}
		return
	}
	limit++
	for {
		if _, ok := a.mu.pending[limit+1]; !ok {
			break
		}
		delete(a.mu.pending, limit+1)
		limit++
	}
	a.limit.Store(limit)
}

// last returns the highest sequence number readers may choose.
func (a *ackCounter) last() int64 { return a.limit.Load() }

// valueSource hands out field values: slices of a pre-generated buffer of
// printable random bytes (valid text for every database, as YCSB's values
// are) at random offsets, so that values cost neither time nor
// allocations while measuring. Safe for concurrent use.
type valueSource struct {
	buf string
}

func newValueSource(seed uint64) *valueSource {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(' ' + r.IntN('~'-' '+1))
	}
	return &valueSource{buf: string(buf)}
}

func (vs *valueSource) value(r *rand.Rand, n int) string {
	off := r.IntN(len(vs.buf) - n)
	return vs.buf[off : off+n]
}
