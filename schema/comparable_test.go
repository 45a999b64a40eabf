package schema

import (
	"bytes"
	"encoding/binary"
	"flag"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
	"unicode/utf8"
	"wcdb/schema/cqldecimal"

	"wcdb/mutation"
)

var seedFlag = flag.Uint64("seed", 0, "seed for the randomized tests (0: time-based)")

func testRand(t *testing.T) *rand.Rand {
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -seed %d)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// orderedTypes are the types the property tests draw values of: every
// native type that can be in a key, and collections and tuples of them.
var orderedTypes = func() []Type {
	var ts []Type
	for _, k := range []Kind{KindAscii, KindBigint, KindBlob, KindBoolean, KindDate, KindDecimal, KindDouble,
		KindFloat, KindInet, KindInt, KindSmallint, KindText, KindTime, KindTimestamp, KindTimeuuid,
		KindTinyint, KindUUID, KindVarint} {
		ts = append(ts, Native(k))
	}
	for _, s := range []string{
		"frozen<list<int>>",
		"frozen<set<text>>",
		"frozen<map<int, frozen<list<double>>>>",
		"tuple<int, text, decimal>",
		"frozen<list<frozen<tuple<varint, frozen<set<uuid>>>>>>",
		"frozen<map<timeuuid, blob>>",
	} {
		t, err := ParseType(s)
		if err != nil {
			panic(err)
		}
		ts = append(ts, t)
	}
	return ts
}()

// randValue returns a random valid, canonical serialization of type t:
// what Encode and DecodeComparable produce.
func randValue(r *rand.Rand, t Type, depth int) []byte {
	if allowsEmpty(t) && r.IntN(12) == 0 {
		return []byte{}
	}
	switch t.Kind {
	case KindTinyint, KindSmallint, KindInt, KindBigint, KindTimestamp:
		b := make([]byte, fixedSize(t.Kind))
		switch r.IntN(5) {
		case 0: // near zero
			v := r.Int64N(5) - 2
			for i := range b {
				b[i] = byte(v >> (8 * (len(b) - 1 - i)))
			}
		case 1: // an extreme
			if r.IntN(2) == 0 {
				b[0] = 0x80
			} else {
				b[0] = 0x7f
				for i := 1; i < len(b); i++ {
					b[i] = 0xff
				}
			}
		default:
			randBytes(r, b)
		}
		return b
	case KindBoolean:
		return []byte{byte(r.IntN(2))}
	case KindDate:
		return binary.BigEndian.AppendUint32(nil, r.Uint32())
	case KindTime:
		return binary.BigEndian.AppendUint64(nil, uint64(r.Int64N(maxTimeNanos+1)))
	case KindFloat:
		specials := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.SmallestNonzeroFloat32, -math.MaxFloat32, 1, -1}
		var u uint32
		if r.IntN(3) == 0 {
			u = math.Float32bits(specials[r.IntN(len(specials))])
		} else {
			u = r.Uint32()
		}
		if f := math.Float32frombits(u); f != f {
			u = 0x7fc00000
		}
		return binary.BigEndian.AppendUint32(nil, u)
	case KindDouble:
		specials := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), math.SmallestNonzeroFloat64, -math.MaxFloat64, 1, -1}
		var u uint64
		if r.IntN(3) == 0 {
			u = math.Float64bits(specials[r.IntN(len(specials))])
		} else {
			u = r.Uint64()
		}
		if f := math.Float64frombits(u); f != f {
			u = 0x7ff8000000000000
		}
		return binary.BigEndian.AppendUint64(nil, u)
	case KindVarint:
		return randVarint(r)
	case KindDecimal:
		var scale int32
		switch r.IntN(4) {
		case 0:
			scale = r.Int32()
			if r.IntN(2) == 0 {
				scale = -scale
			}
		default:
			scale = r.Int32N(13) - 6
		}
		b := binary.BigEndian.AppendUint32(nil, uint32(scale))
		return append(b, randVarint(r)...)
	case KindAscii:
		b := make([]byte, r.IntN(8))
		for i := range b {
			b[i] = byte(r.IntN(0x80))
		}
		return b
	case KindText:
		runes := []rune{0, 'a', 'b', 'z', 0x7f, 0xe9, 0x4e2d, 0x1f600}
		var b []byte
		for range r.IntN(6) {
			b = utf8.AppendRune(b, runes[r.IntN(len(runes))])
		}
		if b == nil {
			b = []byte{}
		}
		return b
	case KindBlob:
		b := make([]byte, r.IntN(8))
		for i := range b {
			b[i] = []byte{0, 1, 0x7f, 0x80, 0xfe, 0xff}[r.IntN(6)]
		}
		return b
	case KindInet:
		if r.IntN(2) == 0 {
			return randBytes(r, make([]byte, 4))
		}
		return randBytes(r, make([]byte, 16))
	case KindUUID:
		b := randBytes(r, make([]byte, 16))
		b[6] = b[6]&0x0f | byte([]int{0, 1, 1, 4, 4, 5, 15}[r.IntN(7)])<<4
		if r.IntN(3) == 0 {
			// The same time as another value, to reach the low half.
			copy(b[:8], []byte{0, 0, 0, 1, 0, 0, b[6] & 0xf0, 0})
		}
		return b
	case KindTimeuuid:
		b := randBytes(r, make([]byte, 16))
		b[6] = b[6]&0x0f | 0x10
		if r.IntN(3) == 0 {
			copy(b[:8], []byte{0, 0, 0, 1, 0, 0, 0x10, 0})
		}
		return b
	case KindList, KindSet, KindMap:
		n := r.IntN(4)
		if depth > 2 {
			n = r.IntN(2)
		}
		var vals [][]byte
		for range n {
			vals = append(vals, randValue(r, t.Elems[0], depth+1))
			if t.Kind == KindMap {
				vals = append(vals, randValue(r, t.Elems[1], depth+1))
			}
		}
		return normalize(t, buildCollection(vals, perEntry(t)))
	case KindTuple:
		fields := make([][]byte, 1+r.IntN(len(t.Elems)))
		for i := range fields {
			if r.IntN(5) > 0 {
				fields[i] = randValue(r, t.Elems[i], depth+1)
			}
		}
		return buildTuple(fields)
	}
	panic("randValue: " + t.String())
}

func randBytes(r *rand.Rand, b []byte) []byte {
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// randVarint returns a minimal varint of 1 to 20 bytes, now and then one of
// 300 (whose comparable length needs the long form).
func randVarint(r *rand.Rand) []byte {
	n := 1 + r.IntN(3)
	switch r.IntN(8) {
	case 0:
		n = 1 + r.IntN(20)
	case 1:
		n = 300
	}
	b := randBytes(r, make([]byte, n))
	return append([]byte{}, cqldecimal.MinimalVarint(b)...)
}

// oracleCompare compares two values of a numeric or uuid type through
// their Go values and the comparison rules written out independently of
// Compare; ok is false for types it does not cover.
func oracleCompare(t Type, a, b []byte) (int, bool) {
	if len(a) == 0 || len(b) == 0 {
		return cmpInt(len(a), len(b)), true
	}
	switch t.Kind {
	case KindTinyint, KindSmallint, KindInt, KindBigint, KindTimestamp, KindTime:
		va, _ := bigInteger(decode(t, a))
		vb, _ := bigInteger(decode(t, b))
		if t.Kind == KindTimestamp {
			va, vb = big.NewInt(decode(t, a).(time.Time).UnixMilli()), big.NewInt(decode(t, b).(time.Time).UnixMilli())
		}
		if t.Kind == KindTime {
			va, vb = big.NewInt(int64(decode(t, a).(time.Duration))), big.NewInt(int64(decode(t, b).(time.Duration)))
		}
		return va.Cmp(vb), true
	case KindDate:
		return decode(t, a).(time.Time).Compare(decode(t, b).(time.Time)), true
	case KindVarint:
		return decode(t, a).(*big.Int).Cmp(decode(t, b).(*big.Int)), true
	case KindDecimal:
		da, db := decode(t, a).(Decimal), decode(t, b).(Decimal)
		if da.Scale < -100 || da.Scale > 100 || db.Scale < -100 || db.Scale > 100 {
			return 0, false
		}
		ra, rb := decimalRat(da), decimalRat(db)
		if c := ra.Cmp(rb); c != 0 {
			return c, true
		}
		return cmpInt(da.Scale, db.Scale), true
	case KindBoolean:
		return cmpBool(decode(t, a).(bool), decode(t, b).(bool)), true
	case KindDouble, KindFloat:
		var fa, fb float64
		if t.Kind == KindFloat {
			fa, fb = float64(decode(t, a).(float32)), float64(decode(t, b).(float32))
		} else {
			fa, fb = decode(t, a).(float64), decode(t, b).(float64)
		}
		// Java: negatives < -0.0 < 0.0 < positives < NaN (all NaNs equal).
		rank := func(f float64) int {
			switch {
			case math.IsNaN(f):
				return 4
			case f > 0:
				return 3
			case f == 0 && !math.Signbit(f):
				return 2
			case f == 0:
				return 1
			}
			return 0
		}
		ra, rb := rank(fa), rank(fb)
		switch {
		case ra != rb:
			return cmpInt(ra, rb), true
		case fa < fb:
			return -1, true
		case fa > fb:
			return 1, true
		}
		return 0, true
	case KindTimeuuid, KindUUID:
		// Cassandra 2's byte-by-byte formulation: version (uuid only), then
		// the timestamp bytes 6 (low nibble), 7, 4, 5, 0, 1, 2, 3, then
		// bytes 8..15, signed for timeuuid.
		if t.Kind == KindUUID {
			va, vb := a[6]>>4, b[6]>>4
			if va != vb {
				return cmpInt(int(va), int(vb)), true
			}
			if va != 1 {
				return bytes.Compare(a, b), true
			}
		}
		if c := cmpInt(int(a[6]&0xf), int(b[6]&0xf)); c != 0 {
			return c, true
		}
		for _, i := range []int{7, 4, 5, 0, 1, 2, 3} {
			if c := cmpInt(int(a[i]), int(b[i])); c != 0 {
				return c, true
			}
		}
		for i := 8; i < 16; i++ {
			x, y := int(a[i]), int(b[i])
			if t.Kind == KindTimeuuid {
				x, y = int(int8(a[i])), int(int8(b[i]))
			}
			if c := cmpInt(x, y); c != 0 {
				return c, true
			}
		}
		return 0, true
	}
	return 0, false
}

func decimalRat(d Decimal) *big.Rat {
	r := new(big.Rat).SetInt(d.Unscaled)
	p := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs32(d.Scale))), nil))
	if d.Scale > 0 {
		return r.Quo(r, p)
	}
	return r.Mul(r, p)
}

func abs32(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

func sign(c int) int { return cmpInt(c, 0) }

// TestComparableProperties checks, for random values of every orderable
// type: the encoding round-trips exactly, is never empty, is self-delimiting,
// orders as Compare (reversed for desc), and Compare agrees with an
// independent oracle where there is one.
func TestComparableProperties(t *testing.T) {
	r := testRand(t)
	for _, typ := range orderedTypes {
		t.Run(typ.String(), func(t *testing.T) {
			vals := make([][]byte, 300)
			for i := range vals {
				vals[i] = randValue(r, typ, 0)
				if err := Validate(typ, vals[i]); err != nil {
					t.Fatalf("randValue made an invalid %v %x: %v", typ, vals[i], err)
				}
			}
			encs := make([][]byte, len(vals))
			for i, v := range vals {
				for _, desc := range []bool{false, true} {
					enc := AppendComparable(nil, typ, v, desc)
					if len(enc) == 0 {
						t.Fatalf("empty encoding of %x", v)
					}
					next := vals[(i+1)%len(vals)]
					both := AppendComparable(enc, typ, next, desc)
					got, rest, err := DecodeComparable(typ, both, desc)
					if err != nil || !bytes.Equal(got, v) {
						t.Fatalf("DecodeComparable(%x, desc=%v) = %x, %v; want %x", both, desc, got, err, v)
					}
					got, rest, err = DecodeComparable(typ, rest, desc)
					if err != nil || !bytes.Equal(got, next) || len(rest) != 0 {
						t.Fatalf("second DecodeComparable = %x, %x, %v; want %x", got, rest, err, next)
					}
					if !desc {
						encs[i] = enc
					}
				}
			}
			for i := range vals {
				for j := range vals {
					c := Compare(typ, vals[i], vals[j])
					if c2 := Compare(typ, vals[j], vals[i]); sign(c) != -sign(c2) {
						t.Fatalf("Compare(%x, %x) = %d but reversed %d", vals[i], vals[j], c, c2)
					}
					if got := bytes.Compare(encs[i], encs[j]); got != sign(c) {
						t.Fatalf("bytes.Compare(enc %x, enc %x) = %d, Compare = %d", vals[i], vals[j], got, c)
					}
					if c == 0 && !bytes.Equal(vals[i], vals[j]) {
						t.Fatalf("distinct canonical values %x and %x compare equal", vals[i], vals[j])
					}
					if want, ok := oracleCompare(typ, vals[i], vals[j]); ok && sign(c) != want {
						t.Fatalf("Compare(%v, %x, %x) = %d, oracle says %d", typ, vals[i], vals[j], c, want)
					}
				}
			}
			// Descending encodings sort in reverse.
			sorted := slices.Clone(vals)
			slices.SortFunc(sorted, func(a, b []byte) int { return Compare(typ, a, b) })
			descs := make([][]byte, len(vals))
			for i, v := range vals {
				descs[i] = AppendComparable(nil, typ, v, true)
			}
			slices.SortFunc(descs, bytes.Compare)
			for i, d := range descs {
				v, _, err := DecodeComparable(typ, d, true)
				if err != nil || !bytes.Equal(v, sorted[len(sorted)-1-i]) {
					t.Fatalf("descending sort position %d holds %x, want %x", i, v, sorted[len(sorted)-1-i])
				}
			}
		})
	}
}

// TestComparableCanonicalizes: other serializations of a value encode as
// its canonical one.
func TestComparableCanonicalizes(t *testing.T) {
	for _, tc := range []struct {
		typ       Type
		in, canon string
	}{
		{Native(KindVarint), "0001", "01"},
		{Native(KindVarint), "ffff80", "80"},
		{Native(KindVarint), "0000", "00"},
		{Native(KindBoolean), "02", "01"},
		{Native(KindFloat), "ffc00001", "7fc00000"},
		{Native(KindDouble), "7ff0000000000001", "7ff8000000000000"},
		{Native(KindDecimal), "00000001000f", "000000010f"},
		{ListOf(Native(KindVarint)).Freeze(), "00000001000000020001", "000000010000000101"},
	} {
		in, canon := unhex(t, tc.in), unhex(t, tc.canon)
		if err := Validate(tc.typ, in); err != nil {
			t.Fatalf("Validate(%v, %x): %v", tc.typ, in, err)
		}
		if c := Compare(tc.typ, in, canon); c != 0 {
			t.Errorf("Compare(%x, %x) = %d, want 0", in, canon, c)
		}
		enc := AppendComparable(nil, tc.typ, in, false)
		if want := AppendComparable(nil, tc.typ, canon, false); !bytes.Equal(enc, want) {
			t.Errorf("%v %x encodes as %x, want %x", tc.typ, in, enc, want)
		}
		got, _, err := DecodeComparable(tc.typ, enc, false)
		if err != nil || !bytes.Equal(got, canon) {
			t.Errorf("%v %x decodes as %x, %v; want %x", tc.typ, in, got, err, canon)
		}
	}
}

// TestComparableInvalid: invalid serializations still round-trip, and sort
// after the valid values.
func TestComparableInvalid(t *testing.T) {
	for _, tc := range []struct {
		typ   Type
		in    string
		valid string
	}{
		{Native(KindInt), "000001", "7fffffff"},
		{Native(KindUUID), "0102", "ffffffffffffffffffffffffffffffff"},
		{ListOf(Native(KindInt)).Freeze(), "00000001", "00000000"},
		{TupleOf(Native(KindInt)), "00000004000000010000000400000002", "00000004000000ff"},
		{Native(KindDecimal), "000000", "000000017f"},
	} {
		in, valid := unhex(t, tc.in), unhex(t, tc.valid)
		for _, desc := range []bool{false, true} {
			enc := AppendComparable(nil, tc.typ, in, desc)
			got, rest, err := DecodeComparable(tc.typ, enc, desc)
			if err != nil || !bytes.Equal(got, in) || len(rest) != 0 {
				t.Errorf("%v %x: round trip gave %x, %x, %v", tc.typ, in, got, rest, err)
			}
			venc := AppendComparable(nil, tc.typ, valid, desc)
			if c := bytes.Compare(enc, venc); c != map[bool]int{false: 1, true: -1}[desc] {
				t.Errorf("%v invalid %x vs valid %x (desc %v): %d", tc.typ, in, valid, desc, c)
			}
		}
	}
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b := make([]byte, len(s)/2)
	for i := range b {
		var v byte
		for _, c := range s[2*i : 2*i+2] {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= byte(c - '0')
			case c >= 'a' && c <= 'f':
				v |= byte(c-'a') + 10
			default:
				t.Fatalf("bad hex %q", s)
			}
		}
		b[i] = v
	}
	return b
}

// TestClusteringKeys: random multi-column keys with random directions:
// order is lexicographic over the components (each reversed when desc),
// prefixes are byte prefixes and bound a PrefixEnd range exactly, and keys
// split back into their values.
func TestClusteringKeys(t *testing.T) {
	r := testRand(t)
	for round := range 40 {
		n := 1 + r.IntN(3)
		types := make([]Type, n)
		desc := make([]bool, n)
		for i := range types {
			types[i] = orderedTypes[r.IntN(len(orderedTypes))]
			desc[i] = r.IntN(2) == 0
		}
		rows := make([][][]byte, 40)
		keys := make([][]byte, len(rows))
		for i := range rows {
			rows[i] = make([][]byte, n)
			for j := range rows[i] {
				if i > 0 && r.IntN(3) == 0 {
					rows[i][j] = rows[r.IntN(i)][j] // share components
				} else {
					rows[i][j] = randValue(r, types[j], 0)
				}
			}
			k, err := ClusteringKey(types, desc, rows[i])
			if err != nil {
				t.Fatalf("round %d: ClusteringKey: %v", round, err)
			}
			if len(k) == 0 {
				t.Fatalf("empty clustering key")
			}
			keys[i] = k
			back, err := SplitClustering(types, desc, k)
			if err != nil || len(back) != n {
				t.Fatalf("SplitClustering(%x) = %x, %v", k, back, err)
			}
			for j := range back {
				if !bytes.Equal(back[j], rows[i][j]) {
					t.Fatalf("component %d came back %x, want %x", j, back[j], rows[i][j])
				}
			}
			for p := 1; p < n; p++ {
				pk, err := ClusteringKey(types, desc, rows[i][:p])
				if err != nil || !bytes.HasPrefix(k, pk) {
					t.Fatalf("prefix key %x of %x: %v", pk, k, err)
				}
				split, err := SplitClustering(types, desc, pk)
				if err != nil || len(split) != p {
					t.Fatalf("SplitClustering(prefix %x) = %d values, %v", pk, len(split), err)
				}
			}
		}
		cmpRows := func(a, b [][]byte) int {
			for j := range a {
				c := sign(Compare(types[j], a[j], b[j]))
				if desc[j] {
					c = -c
				}
				if c != 0 {
					return c
				}
			}
			return 0
		}
		for i := range rows {
			for j := range rows {
				if got, want := bytes.Compare(keys[i], keys[j]), cmpRows(rows[i], rows[j]); got != want {
					t.Fatalf("key order %d, row order %d for %x vs %x", got, want, rows[i], rows[j])
				}
			}
			// A prefix of row i bounds exactly the rows sharing it.
			p := r.IntN(n) + 1
			pk, _ := ClusteringKey(types, desc, rows[i][:p])
			end := mutation.PrefixEnd(pk)
			for j := range rows {
				shares := cmpRows(rows[i][:p], rows[j][:p]) == 0
				in := bytes.Compare(keys[j], pk) >= 0 && (end == nil || bytes.Compare(keys[j], end) < 0)
				if shares != in {
					t.Fatalf("row %x: shares prefix %v but in range [%x, %x) %v", rows[j], shares, pk, end, in)
				}
			}
		}
	}
}

func TestClusteringKeyErrors(t *testing.T) {
	types := []Type{Native(KindInt), Native(KindSmallint)}
	if _, err := ClusteringKey(types, nil, [][]byte{{0, 0, 0, 1}, {0}}); err == nil {
		t.Errorf("ClusteringKey accepted a 1-byte smallint")
	}
	if _, err := ClusteringKey(types, nil, [][]byte{{0, 0, 0, 1}, {0, 1}, {2}}); err == nil {
		t.Errorf("ClusteringKey accepted 3 values for 2 columns")
	}
	key, err := ClusteringKey(types, []bool{true}, [][]byte{nil, {0, 1}})
	if err != nil {
		t.Fatalf("ClusteringKey with an empty int: %v", err)
	}
	if _, err := SplitClustering(types[:1], []bool{true}, key); err == nil {
		t.Errorf("SplitClustering accepted a key with too many components")
	}
	if _, err := SplitClustering(types, []bool{true}, key[:len(key)-1]); err == nil {
		t.Errorf("SplitClustering accepted a truncated key")
	}
	// Sets in keys are normalized first.
	st := SetOf(Native(KindInt)).Freeze()
	a, _ := ClusteringKey([]Type{st}, nil, [][]byte{unhex(t, "0000000200000004000000020000000400000001")})
	b, _ := ClusteringKey([]Type{st}, nil, [][]byte{unhex(t, "0000000200000004000000010000000400000002")})
	if !bytes.Equal(a, b) {
		t.Errorf("unsorted set key %x, sorted %x", a, b)
	}
}
