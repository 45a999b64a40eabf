package engine

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// fnvHash64 is YCSB's FNV-1a hash of a sequence number's eight bytes, low
// byte first, with the sign dropped; it turns insert order into key order
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
			return math.MaxInt64
		}
		s = -s
	}
	return s
}

// recordKey returns YCSB's key for record seq: "user" and the decimal hash.
func recordKey(dst []byte, seq int64) []byte {
	dst = append(dst[:0], "user"...)
	return strconv.AppendInt(dst, fnvHash64(seq), 10)
}

// zipfConst is YCSB's zipfian constant.
const zipfConst = 0.99

// YCSB's scrambled zipfian draws from a zipfian over a huge item space (so
// its zeta need not be recomputed per record count), then hashes the rank
// into the actual range; zetaScrambled is zeta(scrambledItems, 0.99) as YCSB
// precomputes it.
const (
	scrambledItems = 10_000_000_000
	zetaScrambled  = 26.46902820178302
)

// zipfian draws ranks 0..n-1 with probability proportional to 1/(rank+1)^θ
// (Gray et al., "Quickly generating billion-record synthetic databases", as
// YCSB's ZipfianGenerator). It holds no mutable state: each worker passes its
// own random source.
type zipfian struct {
	n     int64
	theta float64
	alpha float64
	zetan float64
	eta   float64
	half  float64 // 1 + 0.5^θ
}

func zeta(n int64, theta float64) float64 {
	var s float64
	for i := int64(1); i <= n; i++ {
		s += 1 / math.Pow(float64(i), theta)
	}
	return s
}

func newZipfian(n int64, theta, zetan float64) *zipfian {
	zeta2 := zeta(2, theta)
	return &zipfian{
		n: n, theta: theta, zetan: zetan,
		alpha: 1 / (1 - theta),
		eta:   (1 - math.Pow(2/float64(n), 1-theta)) / (1 - zeta2/zetan),
		half:  1 + math.Pow(0.5, theta),
	}
}

func (z *zipfian) next(r *rand.Rand) int64 {
	u := r.Float64()
	uz := u * z.zetan
	if uz < 1 {
		return 0
	}
	if uz < z.half {
		return 1
	}
	v := int64(float64(z.n) * math.Pow(z.eta*u-z.eta+1, z.alpha))
	return min(v, z.n-1)
}

// scrambledZipfian draws items 0..n-1 zipfian-popular but with the popular
// items spread over the range, as YCSB's ScrambledZipfianGenerator.
type scrambledZipfian struct {
	z *zipfian
	n int64
}

func newScrambledZipfian(n int64) *scrambledZipfian {
	return &scrambledZipfian{z: newZipfian(scrambledItems, zipfConst, zetaScrambled), n: n}
}

func (s *scrambledZipfian) next(r *rand.Rand) int64 {
	return fnvHash64(s.z.next(r)) % s.n
}

// Value kinds (Config.Values).
const (
	// RandomValues are random bytes: incompressible, so that compression
	// costs CPU and saves nothing (the default).
	RandomValues = "random"
	// TextValues are words of a fixed English vocabulary, drawn with a
	// skew toward the common ones, with punctuation and now and then a
	// number: field values about as compressible as real text (in 16 KiB
	// blocks, to 0.58-0.63 of their size with snappy or LZ4, 0.40 with
	// zstd or deflate).
	TextValues = "text"
)

// valueSource hands out field values: slices of a pre-generated buffer at
// random offsets, so that generating values costs neither time nor
// allocations during a measurement. The buffer is random bytes or text
// (see RandomValues and TextValues), the same for every engine of a run.
type valueSource struct {
	buf []byte
}

func newValueSource(seed uint64, kind string) *valueSource {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	buf := make([]byte, 1<<20)
	if kind == TextValues {
		fillText(r, buf)
		return &valueSource{buf: buf}
	}
	for i := 0; i+8 <= len(buf); i += 8 {
		v := r.Uint64()
		for j := range 8 {
			buf[i+j] = byte(v >> (8 * j))
		}
	}
	return &valueSource{buf: buf}
}

// vocabulary is TextValues' words, the most common first.
var vocabulary = strings.Fields(`the of and to a in is that for it as was with be by on not he this are or
his from at which but have an they you were her she there been one all we their has would when if so no
will more can out other some what time only new about may first its two like then into over also after
them these could any our than most made many people order customer account status active pending shipped
delivered address street city country phone email name user session device payment card total price
amount currency item product quantity description category review rating message comment update created
modified deleted version region service request response error warning info debug event source target
value result report summary detail note title content page link image video file document record entry`)

// fillText fills buf with words of vocabulary, the k-th most common drawn
// with a probability falling as a power of its rank, separated by spaces
// and now and then by punctuation or a number.
func fillText(r *rand.Rand, buf []byte) {
	out := make([]byte, 0, len(buf)+64)
	for len(out) < len(buf) {
		switch u := r.Float64(); {
		case u < 0.05:
			out = strconv.AppendInt(out, r.Int64N(100000), 10)
		default:
			out = append(out, vocabulary[int(float64(len(vocabulary))*math.Pow(r.Float64(), 2.5))]...)
		}
		switch u := r.Float64(); {
		case u < 0.06:
			out = append(out, ". "...)
		case u < 0.12:
			out = append(out, ", "...)
		default:
			out = append(out, ' ')
		}
	}
	copy(buf, out)
}

func (vs *valueSource) value(r *rand.Rand, n int) []byte {
	off := r.IntN(len(vs.buf) - n)
	return vs.buf[off : off+n : off+n]
}

// workloadMix is the read share of a YCSB core workload; the rest are
// updates of one field.
var workloadMix = map[string]float64{"a": 0.5, "b": 0.95, "c": 1}
