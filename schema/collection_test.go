package schema

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
	"wcdb/schema/timeuuid"
)

func mustType(t *testing.T, s string) Type {
	t.Helper()
	typ, err := ParseType(s)
	if err != nil {
		t.Fatalf("ParseType(%q): %v", s, err)
	}
	return typ
}

func mustEncode(t *testing.T, typ Type, v any) []byte {
	t.Helper()
	b, err := Encode(typ, v)
	if err != nil {
		t.Fatalf("Encode(%v, %v): %v", typ, v, err)
	}
	return b
}

// collectionElements is CollectionElements as a slice.
func collectionElements(t Type, b []byte, paths ListPaths) ([]Element, error) {
	e, err := CollectionElements(t, b, paths)
	if err != nil {
		return nil, err
	}
	out := make([]Element, e.Len())
	for i := range out {
		out[i] = e.Element(i)
	}
	return out, nil
}

func TestCollectionElementsSet(t *testing.T) {
	typ := mustType(t, "set<text>")
	// A bound value need not be sorted or free of duplicates.
	bound := buildCollection([][]byte{[]byte("b"), []byte("a"), []byte("b"), {}}, 1)
	elems, err := collectionElements(typ, bound, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range elems {
		if len(e.Value) != 0 {
			t.Errorf("set element cell has value %x", e.Value)
		}
		v, _, err := DecodeComparable(typ.Elems[0], e.Path, false)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(v))
	}
	if want := []string{"", "a", "b"}; !slices.Equal(got, want) {
		t.Errorf("set elements %q, want %q", got, want)
	}
	back, err := CollectionFromElements(typ, elems)
	if err != nil {
		t.Fatal(err)
	}
	if want := mustEncode(t, typ, []any{"", "a", "b"}); !bytes.Equal(back, want) {
		t.Errorf("CollectionFromElements = %x, want %x", back, want)
	}
	p, err := ElementPath(typ, []byte("a"))
	if err != nil || !bytes.Equal(p, elems[1].Path) {
		t.Errorf("ElementPath(a) = %x, %v; want %x", p, err, elems[1].Path)
	}
}

func TestCollectionElementsMap(t *testing.T) {
	typ := mustType(t, "map<int, frozen<set<int>>>")
	// Keys out of order, a duplicate key (the last wins) and an unsorted
	// frozen set value, which gets normalized.
	k := func(i int) []byte { return mustEncode(t, Native(KindInt), i) }
	unsorted := buildCollection([][]byte{k(2), k(1)}, 1)
	bound := buildCollection([][]byte{k(5), unsorted, k(-1), mustEncode(t, typ.Elems[1], []any{}), k(5), mustEncode(t, typ.Elems[1], []any{7})}, 2)
	elems, err := collectionElements(typ, bound, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(elems) != 2 {
		t.Fatalf("got %d elements, want 2", len(elems))
	}
	if !bytes.Equal(elems[0].Path, AppendComparable(nil, Native(KindInt), k(-1), false)) ||
		!bytes.Equal(elems[1].Path, AppendComparable(nil, Native(KindInt), k(5), false)) {
		t.Errorf("paths %x %x", elems[0].Path, elems[1].Path)
	}
	if want := mustEncode(t, typ.Elems[1], []any{7}); !bytes.Equal(elems[1].Value, want) {
		t.Errorf("duplicate key kept %x, want the last value %x", elems[1].Value, want)
	}
	// Cells come back in any order and are reassembled sorted.
	back, err := CollectionFromElements(typ, []Element{elems[1], elems[0]})
	if err != nil {
		t.Fatal(err)
	}
	want := mustEncode(t, typ, []MapEntry{{Key: -1, Value: []any{}}, {Key: 5, Value: []any{7}}})
	if !bytes.Equal(back, want) {
		t.Errorf("CollectionFromElements = %x, want %x", back, want)
	}
	if got := Format(typ, back); got != "{-1: {}, 5: {7}}" {
		t.Errorf("Format = %s", got)
	}
	if _, err := CollectionElements(typ, buildCollection([][]byte{k(1)}, 1), nil); err == nil {
		t.Errorf("CollectionElements accepted a map with a missing value")
	}
}

func TestCollectionElementsList(t *testing.T) {
	typ := mustType(t, "list<text>")
	bound := mustEncode(t, typ, []any{"x", "y", "x"})
	first, err := collectionElements(typ, bound, nil)
	if err != nil {
		t.Fatal(err)
	}
	appended, _ := collectionElements(typ, mustEncode(t, typ, []any{"z"}), AppendListPaths)
	prepended, _ := collectionElements(typ, mustEncode(t, typ, []any{"a", "b"}), PrependListPaths)
	prepended2, _ := collectionElements(typ, mustEncode(t, typ, []any{"0"}), PrependListPaths)
	all := slices.Concat(first, appended, prepended, prepended2)
	back, err := CollectionFromElements(typ, all)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Display(typ, back), "['0', 'a', 'b', 'x', 'y', 'x', 'z']"; got != want {
		t.Errorf("list = %s, want %s", got, want)
	}
	for _, e := range all {
		if len(e.Path) != 16 {
			t.Errorf("list path %x is not 16 bytes", e.Path)
		}
		u, err := ListPathUUID(e.Path)
		if err != nil || u.Version() != 1 || !bytes.Equal(ListPath(u), e.Path) {
			t.Errorf("ListPathUUID(%x) = %v, %v", e.Path, u, err)
		}
	}
	if _, err := CollectionElements(typ, bound, func(n int) []byte { return nil }); err == nil {
		t.Errorf("CollectionElements accepted too few list paths")
	}
	if b, err := CollectionFromElements(typ, nil); b != nil || err != nil {
		t.Errorf("CollectionFromElements(nil) = %x, %v; want null", b, err)
	}
}

// TestListPathOrder: list paths sort as TimeUUIDType sorts the timeuuids
// they come from.
func TestListPathOrder(t *testing.T) {
	r := testRand(t)
	tu := Native(KindTimeuuid)
	for range 2000 {
		ab, bb := randValue(r, tu, 0), randValue(r, tu, 0)
		if len(ab) == 0 || len(bb) == 0 {
			continue
		}
		a, b := UUID(ab), UUID(bb)
		if got, want := bytes.Compare(ListPath(a), ListPath(b)), sign(Compare(tu, a[:], b[:])); got != want {
			t.Fatalf("paths of %v, %v compare %d, timeuuids %d", a, b, got, want)
		}
	}
}

func TestCollectionErrors(t *testing.T) {
	if _, err := CollectionElements(Native(KindInt), []byte{0, 0, 0, 1}, nil); err == nil {
		t.Errorf("CollectionElements accepted an int")
	}
	if _, err := CollectionFromElements(mustType(t, "set<int>"), []Element{{Path: []byte{9}}}); err == nil {
		t.Errorf("CollectionFromElements accepted a bad path")
	}
	if _, err := ElementPath(mustType(t, "list<int>"), []byte{0, 0, 0, 1}); err == nil {
		t.Errorf("ElementPath accepted a list")
	}
	if _, err := ListPathUUID([]byte{1}); err == nil {
		t.Errorf("ListPathUUID accepted a short path")
	}
}

func TestNewTimeuuid(t *testing.T) {
	tu := Native(KindTimeuuid)
	const goroutines, each = 4, 2000
	results := make([][]UUID, goroutines)
	var wg sync.WaitGroup
	before := time.Now()
	for g := range goroutines {
		wg.Go(func() {
			for range each {
				results[g] = append(results[g], NewTimeuuid())
			}
		})
	}
	wg.Wait()
	after := time.Now()
	seen := map[UUID]bool{}
	for _, us := range results {
		for i, u := range us {
			if u.Version() != 1 || u[8]&0xc0 != 0x80 {
				t.Fatalf("%v: version %d, variant %x", u, u.Version(), u[8]>>6)
			}
			if seen[u] {
				t.Fatalf("duplicate timeuuid %v", u)
			}
			seen[u] = true
			if i > 0 && Compare(tu, us[i-1][:], u[:]) >= 0 {
				t.Fatalf("timeuuids out of order: %v then %v", us[i-1], u)
			}
			// The embedded time may run ahead of the clock by the ticks
			// handed out within one tick, never more than that.
			tm := TimeuuidTime(u)
			if tm.Before(before.Truncate(100)) || tm.After(after.Add(time.Duration(goroutines*each)*100)) {
				t.Fatalf("timeuuid time %v outside [%v, %v]", tm, before, after)
			}
		}
	}
	if err := Validate(tu, func() []byte { u := NewTimeuuid(); return u[:] }()); err != nil {
		t.Error(err)
	}
}

func TestNewRandomUUID(t *testing.T) {
	a, b := NewRandomUUID(), NewRandomUUID()
	if a == b {
		t.Errorf("two random UUIDs are equal: %v", a)
	}
	if a.Version() != 4 || a[8]&0xc0 != 0x80 {
		t.Errorf("%v: version %d, variant %x", a, a.Version(), a[8]>>6)
	}
}

func TestTimeuuidFunctions(t *testing.T) {
	// 50554d6e-29bb-11e5-b345-feff819cdc9f: time_hi 0x1e5, time_mid 0x29bb,
	// time_low 0x50554d6e: 0x1e529bb50554d6e ticks since 1582-10-15.
	u, err := ParseUUID("50554D6E-29BB-11E5-B345-FEFF819CDC9F")
	if err != nil {
		t.Fatal(err)
	}
	if u.String() != "50554d6e-29bb-11e5-b345-feff819cdc9f" {
		t.Errorf("String = %s", u)
	}
	ticks := int64(0x1e529bb50554d6e) - testEpochOffset
	want := time.Unix(ticks/1e7, ticks%1e7*100).UTC()
	if got := TimeuuidTime(u); !got.Equal(want) {
		t.Errorf("TimeuuidTime = %v, want %v", got, want)
	}
	if want.Format(time.RFC3339) != "2015-07-14T00:00:18Z" {
		t.Errorf("time of the example uuid = %v", want.Format(time.RFC3339Nano))
	}

	tu := Native(KindTimeuuid)

	// minTimeuuid and maxTimeuuid bound every timeuuid of their millisecond.
	ms := time.UnixMilli(want.UnixMilli())
	lo, hi := MinTimeuuid(ms), MaxTimeuuid(ms)
	if Compare(tu, lo[:], u[:]) >= 0 || Compare(tu, u[:], hi[:]) >= 0 {
		t.Errorf("not %v < %v < %v", lo, u, hi)
	}
	for _, x := range []UUID{testTimeuuid(testTicks(ms), 0), testTimeuuid(testTicks(ms), ^uint64(0)), testTimeuuid(testTicks(ms)+9999, 0x7f80000000000000)} {
		if Compare(tu, lo[:], x[:]) > 0 || Compare(tu, x[:], hi[:]) > 0 {
			t.Errorf("%v outside [%v, %v]", x, lo, hi)
		}
	}
	next := MinTimeuuid(ms.Add(time.Millisecond))
	if Compare(tu, hi[:], next[:]) >= 0 {
		t.Errorf("maxTimeuuid %v not before the next millisecond's minTimeuuid %v", hi, next)
	}
	if timeuuid.Millis(lo) != want.UnixMilli() || timeuuid.Millis(hi) != want.UnixMilli() {
		t.Errorf("minTimeuuid %v and maxTimeuuid %v are not at %d ms", lo, hi, want.UnixMilli())
	}
	if hi.String()[19:] != "7f7f-7f7f7f7f7f7f" || lo.String()[19:] != "8080-808080808080" {
		t.Errorf("clock sequence and node of %v, %v", lo, hi)
	}

	for _, bad := range []string{"", "50554d6e29bb11e5b345feff819cdc9f", "50554d6e-29bb-11e5-b345-feff819cdc9g", "50554d6e-29bb-11e5-b345_feff819cdc9f"} {
		if _, err := ParseUUID(bad); err == nil {
			t.Errorf("ParseUUID(%q) succeeded", bad)
		}
	}
}

// TestCollectionElementsMemory replays an attack on the node: one 8 MB
// list<int> of a million elements, bound to an INSERT, took the node from
// 112 to 566 MB before the write was refused. Decoding it into cells held
// 8 times its size (a struct, a path and a slice header per element) after
// allocating 17 times; the compact form holds 2.5 times, and a decoded
// value must stay within 4 times its serialized size.
func TestCollectionElementsMemory(t *testing.T) {
	for _, tc := range []struct {
		typ string
		n   int
	}{
		{"list<int>", 1 << 20},
		{"set<int>", 1 << 18},
		{"map<int, int>", 1 << 18},
	} {
		typ := mustType(t, tc.typ)
		per := perEntry(typ)
		b := binary.BigEndian.AppendUint32(nil, uint32(tc.n))
		for i := range tc.n * per {
			b = binary.BigEndian.AppendUint32(b, 4)
			b = binary.BigEndian.AppendUint32(b, uint32(tc.n-i/per)) // sets and maps need sorting
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		elems, err := CollectionElements(typ, b, nil)
		if err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		allocated := after.TotalAlloc - before.TotalAlloc
		runtime.GC()
		runtime.ReadMemStats(&after)
		retained := int64(after.HeapAlloc) - int64(before.HeapAlloc)
		if elems.Len() != tc.n {
			t.Fatalf("%s: got %d elements, want %d", tc.typ, elems.Len(), tc.n)
		}
		ratio := float64(retained) / float64(len(b))
		t.Logf("%s of %d elements, %.1f MB serialized: decoded holds %.1f MB (%.1fx), allocated %.1f MB",
			tc.typ, tc.n, float64(len(b))/(1<<20), float64(retained)/(1<<20), ratio, float64(allocated)/(1<<20))
		if ratio > 4 {
			t.Errorf("%s: decoded value holds %.1fx its serialized size, want at most 4x", tc.typ, ratio)
		}
		runtime.KeepAlive(elems)
		runtime.KeepAlive(b)
	}
}

// TestNormalizeEntries compares the offset sort of flat sets and maps with
// the general one (split, sort slices, rebuild), on random values with
// duplicate keys.
func TestNormalizeEntries(t *testing.T) {
	r := testRand(t)
	for _, s := range []string{"set<int>", "set<text>", "set<varint>", "set<decimal>", "map<text, int>", "map<int, blob>", "map<timeuuid, text>"} {
		typ := mustType(t, s)
		per := perEntry(typ)
		for range 300 {
			n := r.IntN(12)
			var vals [][]byte
			for range n {
				k := randValue(r, typ.Elems[0], 1)
				if len(vals) > 0 && r.IntN(4) == 0 {
					k = vals[r.IntN(len(vals)/per)*per] // a duplicate key
				}
				vals = append(vals, k)
				if per == 2 {
					vals = append(vals, randValue(r, typ.Elems[1], 1))
				}
			}
			b := buildCollection(vals, per)
			want := buildCollection(sortEntries(typ.Elems[0], slices.Clone(vals), per), per)
			if got := normalizeEntries(typ, b); !bytes.Equal(got, want) {
				t.Fatalf("%s %x: got %x, want %x", s, b, got, want)
			}
		}
	}
}

// testEpochOffset is the number of 100 ns intervals between the UUID epoch
// (1582-10-15) and the Unix epoch (RFC 4122).
const testEpochOffset = 0x01B21DD213814000

// testTicks is t as a version 1 UUID timestamp.
func testTicks(t time.Time) uint64 { return uint64(t.UnixNano()/100 + testEpochOffset) }

// testTimeuuid builds a version 1 UUID from its timestamp and low 8 bytes,
// by RFC 4122's layout (an oracle apart from package timeuuid's).
func testTimeuuid(ticks, lsb uint64) UUID {
	var u UUID
	binary.BigEndian.PutUint64(u[:8], ticks<<32|(ticks>>16)&0xFFFF0000|ticks>>48|0x1000)
	binary.BigEndian.PutUint64(u[8:], lsb)
	return u
}
