package sai

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand"
	"testing"

	"wcdb/mutation"
)

func randEntries(rng *rand.Rand, n int) []entry {
	es := make([]entry, n)
	for i := range es {
		es[i] = entry{
			term:       []byte(fmt.Sprintf("t%02d", rng.Intn(20))),
			key:        mutation.Key{Token: rng.Int63n(50) - 25, Bytes: []byte{byte(rng.Intn(4))}},
			clustering: []byte{byte(rng.Intn(3))},
		}
	}
	return es
}

func TestComponentRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, n := range []int{0, 1, 7, 500} {
		es := sortEntries(randEntries(rng, n))
		c, err := decodeComponent(encodeComponent("values(v)", es))
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if c.target != "values(v)" || len(c.offs) != len(es) {
			t.Fatalf("n=%d: got target %q, %d entries, want values(v), %d", n, c.target, len(c.offs), len(es))
		}
		for i := range es {
			if e := c.at(i); compareEntries(&e, &es[i]) != 0 {
				t.Fatalf("n=%d entry %d: got %v, want %v", n, i, e, es[i])
			}
		}
		// Every query gives what a linear filter of the entries gives.
		for q := 0; q < 50; q++ {
			lo, hi := []byte(fmt.Sprintf("t%02d", rng.Intn(22))), []byte(fmt.Sprintf("t%02d", rng.Intn(22)))
			qq := Query{Lo: lo, Hi: hi, LoExclusive: rng.Intn(2) == 0, HiExclusive: rng.Intn(2) == 0}
			if rng.Intn(5) == 0 {
				qq.Lo = nil
			}
			if rng.Intn(5) == 0 {
				qq.Hi = nil
			}
			var want, got []string
			for i := range es {
				if qq.aboveLo(es[i].term) && qq.belowHi(es[i].term) {
					want = append(want, fmt.Sprint(es[i]))
				}
			}
			c.search(qq, func(e *entry) { got = append(got, fmt.Sprint(*e)) })
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("query %+v: got %v, want %v", qq, got, want)
			}
		}
	}
}

func TestComponentCorruption(t *testing.T) {
	es := sortEntries(randEntries(rand.New(rand.NewSource(2)), 30))
	enc := encodeComponent("keys(m)", es)
	for i := range enc {
		b := bytes.Clone(enc)
		b[i] ^= 0x40
		if _, err := decodeComponent(b); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("flipped byte %d: got %v, want ErrCorrupt", i, err)
		}
	}
	for n := 0; n < len(enc); n++ {
		if _, err := decodeComponent(enc[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d: got %v, want ErrCorrupt", n, err)
		}
	}
}

func TestSortEntriesDedups(t *testing.T) {
	e := entry{term: []byte("a"), key: mutation.Key{Token: 1, Bytes: []byte{1}}}
	if got := sortEntries([]entry{e, e, e}); len(got) != 1 {
		t.Fatalf("got %d entries, want 1", len(got))
	}
}

func TestIsComponent(t *testing.T) {
	for name, want := range map[string]string{
		"00000001.sst.sai-by_v":     "00000001.sst",
		"00000001.sst.sai-by_v.tmp": "",
		"00000001.sst":              "",
	} {
		got, ok := IsComponent(name)
		if got != want || ok != (want != "") {
			t.Errorf("IsComponent(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
}

// FuzzDecodeComponent: any bytes decode to a component or ErrCorrupt,
// never a panic, and a decoded component's searches stay in bounds.
func FuzzDecodeComponent(f *testing.F) {
	rng := rand.New(rand.NewSource(3))
	for _, n := range []int{0, 1, 5, 40} {
		f.Add(encodeComponent("v", sortEntries(randEntries(rng, n))), true)
	}
	f.Fuzz(func(t *testing.T, b []byte, fixCRC bool) {
		if fixCRC && len(b) >= 4 {
			// Past the checksum, to the framing checks behind it.
			body := b[:len(b)-4]
			b = binary.LittleEndian.AppendUint32(bytes.Clone(body), crc32.Checksum(body, crcTable))
		}
		c, err := decodeComponent(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			return
		}
		n := 0
		c.search(Query{}, func(*entry) { n++ })
		if n != len(c.offs) {
			t.Fatalf("full search gave %d entries of %d", n, len(c.offs))
		}
		c.search(Eq([]byte("t05")), func(e *entry) {
			if string(e.term) != "t05" {
				t.Fatalf("Eq(t05) gave term %q", e.term)
			}
		})
	})
}
