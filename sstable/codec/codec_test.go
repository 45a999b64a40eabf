package codec

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"testing"

	"github.com/golang/snappy"
	"github.com/klauspost/compress/zstd"
)

func testInputs() [][]byte {
	rng := rand.New(rand.NewSource(1))
	random := make([]byte, 5000)
	rng.Read(random)
	text := bytes.Repeat([]byte("partition key clustering value "), 300)
	return [][]byte{{}, {7}, random, text, append(append([]byte{}, text...), random...)}
}

var allOptions = []struct {
	id   ID
	opts Options
}{
	{None, Options{}}, {Snappy, Options{}}, {LZ4, Options{}}, {LZ4, Options{High: true}},
	{LZ4, Options{High: true, Level: 17}}, {Zstd, Options{}}, {Zstd, Options{Level: 1}},
	{Zstd, Options{Level: 22}}, {Zstd, Options{Level: -3}}, {Deflate, Options{}}, {Deflate, Options{Level: 1}},
}

func TestRoundTrip(t *testing.T) {
	for _, c := range allOptions {
		e, err := NewEncoder(c.id, c.opts)
		if err != nil {
			t.Fatalf("%v %+v: %v", c.id, c.opts, err)
		}
		var enc, dec []byte
		for i, in := range testInputs() {
			enc, err = e.Encode(enc, in)
			if err != nil {
				t.Fatalf("%v %+v input %d: %v", c.id, c.opts, i, err)
			}
			if c.id == LZ4 && len(enc) >= len(in) {
				continue // stored raw by the caller
			}
			out, err := Decode(c.id, dec, enc)
			if err != nil || !bytes.Equal(out, in) {
				t.Fatalf("%v %+v input %d: got %d bytes, %v; want %d bytes", c.id, c.opts, i, len(out), err, len(in))
			}
			if c.id != None && cap(out) > cap(dec) {
				dec = out
			}
		}
	}
}

// TestDecodeNoAlloc: decoding into a large enough buffer allocates nothing.
func TestDecodeNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop what it holds")
	}
	in := testInputs()[4]
	for _, id := range []ID{Snappy, LZ4, Zstd, Deflate} {
		e, _ := NewEncoder(id, Options{})
		enc, _ := e.Encode(nil, in)
		dst := make([]byte, len(in))
		Decode(id, dst, enc) // warm the pools
		if n := testing.AllocsPerRun(50, func() {
			if _, err := Decode(id, dst, enc); err != nil {
				t.Fatal(err)
			}
		}); n > 0 {
			t.Errorf("%v: %v allocations per decode, want 0", id, n)
		}
	}
}

func TestParse(t *testing.T) {
	for s, want := range map[string]ID{"LZ4Compressor": LZ4, "org.apache.cassandra.io.compress.ZstdCompressor": Zstd,
		"snappy": Snappy, "DeflateCompressor": Deflate, "NoopCompressor": None, "none": None} {
		if got, err := Parse(s); err != nil || got != want {
			t.Errorf("Parse(%q): got %v, %v; want %v", s, got, err, want)
		}
	}
	if _, err := Parse("BrotliCompressor"); err == nil {
		t.Error("Parse(BrotliCompressor): got nil error")
	}
}

func FuzzDecode(f *testing.F) {
	for _, c := range allOptions {
		e, _ := NewEncoder(c.id, c.opts)
		for _, in := range testInputs() {
			enc, _ := e.Encode(nil, in)
			f.Add(uint8(c.id), enc)
		}
	}
	f.Fuzz(func(t *testing.T, id uint8, payload []byte) {
		// Claimed lengths up to MaxBlockLen are honoured (the block CRC
		// stands before them); keep the fuzzer's memory small.
		l, _ := binary.Uvarint(payload)
		if ID(id%5) == Snappy {
			n, _ := snappy.DecodedLen(payload)
			l = uint64(max(n, 0))
		}
		if l > 1<<20 {
			return
		}
		var h zstd.Header
		if ID(id%5) == Zstd && (h.Decode(payload[min(len(payload), binary.PutUvarint(make([]byte, 10), l)):]) != nil || !h.HasFCS) {
			return // a frame without its size may claim a large window
		}
		Decode(ID(id%5), nil, payload) // must not panic
	})
}
