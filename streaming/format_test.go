package streaming

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"wcdb/mutation"
	"wcdb/ring"
)

func TestRequestRoundTrip(t *testing.T) {
	reqs := []Request{
		{},
		{Session: "join-10.0.0.3-1", Table: mutation.TableID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
			Ranges: []ring.Range{{Start: ring.MinToken, End: ring.MinToken}, {Start: 5, End: -7}, {Start: -1, End: ring.MaxToken}},
			Skip:   []uint64{1, 300, 1 << 40}, SSTableFormat: 2},
		{Session: strings.Repeat("s", MaxSessionLen), Ranges: []ring.Range{{Start: 0, End: 1}}, SSTableFormat: 1<<32 - 1},
		{Session: "repair-1", Keys: []mutation.Key{{Token: -5, Bytes: []byte("a")}, {Token: -5, Bytes: []byte("b")}, {Token: 7, Bytes: []byte{}}}},
	}
	for _, r := range reqs {
		b := r.Encode()
		got, err := DecodeRequest(b)
		if err != nil {
			t.Fatalf("%+v: %v", r, err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("got %+v, want %+v", got, r)
		}
		// Every single-byte flip and every truncation is caught.
		for i := range b {
			bad := bytes.Clone(b)
			bad[i] ^= 0x01
			if _, err := DecodeRequest(bad); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("byte %d flipped: got %v, want ErrCorrupt", i, err)
			}
			if _, err := DecodeRequest(b[:i]); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("cut at %d: got %v, want ErrCorrupt", i, err)
			}
		}
	}
	// A well-formed request of another version is told apart.
	b := reqs[1].Encode()
	b[0] = keysVersion + 1
	b = finishFrame(b[:len(b)-4])
	if _, err := DecodeRequest(b); !errors.Is(err, ErrVersion) {
		t.Fatalf("version %d: got %v, want ErrVersion", b[0], err)
	}
	long := Request{Session: strings.Repeat("s", MaxSessionLen+1)}
	if _, err := DecodeRequest(long.Encode()); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("overlong session id: got %v, want ErrCorrupt", err)
	}
}

func TestControlFrames(t *testing.T) {
	for _, c := range []struct {
		kind byte
		vals []uint64
	}{
		{kindSessionStart, []uint64{3, 1 << 33}},
		{kindFileStart, []uint64{7, 0, 1}},
		{kindFileEnd, []uint64{7, 1, 2, 1 << 50}},
		{kindSessionEnd, []uint64{0, 0}},
	} {
		b := appendControl(nil, c.kind, c.vals...)
		kind, body, err := openFrame(b)
		if err != nil || kind != c.kind {
			t.Fatalf("%q: kind %q, %v", c.kind, kind, err)
		}
		got := make([]uint64, len(c.vals))
		if err := decodeControl(kind, body, got); err != nil || !reflect.DeepEqual(got, c.vals) {
			t.Fatalf("%q: got %v, %v; want %v", c.kind, got, err, c.vals)
		}
		if err := decodeControl(kind, append(bytes.Clone(body), 0), got); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%q with a trailing byte: got %v", c.kind, err)
		}
		for i := range b {
			bad := bytes.Clone(b)
			bad[i] ^= 0x80
			if _, _, err := openFrame(bad); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%q, byte %d flipped: got %v, want ErrCorrupt", c.kind, i, err)
			}
		}
	}
	b := appendControl(nil, kindFileEnd, 1, 2, 3, 4)
	b[0] = 9
	b = finishFrame(b[:len(b)-4])
	if _, _, err := openFrame(b); !errors.Is(err, ErrVersion) {
		t.Fatalf("version 9: got %v, want ErrVersion", err)
	}
	if _, _, err := openFrame(finishFrame([]byte{FormatVersion, 'Q'})); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("unknown kind: got %v, want ErrCorrupt", err)
	}
}

// TestFormatExample checks the worked example in frame.go's format comment.
func TestFormatExample(t *testing.T) {
	data := startFrame(nil, kindData)
	data = append(data, 7, 0)
	data = appendPartitionEntry(data, mutation.Key{Token: 5, Bytes: []byte("k")}, []byte{0})
	data = appendRowEntry(data, []byte("c"), []byte("r"))
	data = append(data, entryEnd)
	want := "0244" + "0700" + "50" + "0000000000000005" + "016b" + "0100" + "5201630172" + "45"
	if got := hex.EncodeToString(data); got != want {
		t.Fatalf("data frame\n got %s\nwant %s", got, want)
	}
	if n := len(data) - 4; n != 19 {
		t.Fatalf("entries of %d bytes, the example says 19", n)
	}
	_, body, err := openFrame(finishFrame(data))
	if err != nil {
		t.Fatal(err)
	}
	file, seq, entries, err := dataFile(body)
	if err != nil || file != 7 || seq != 0 {
		t.Fatalf("file %d seq %d: %v", file, seq, err)
	}
	var e entry
	var got []string
	for len(entries) > 0 {
		if entries, err = nextEntry(entries, &e); err != nil {
			t.Fatal(err)
		}
		switch e.kind {
		case entryPartition:
			got = append(got, fmt.Sprintf("P %d %s %x", e.key.Token, e.key.Bytes, e.header))
		case entryRow:
			got = append(got, "R "+string(e.clustering)+" "+string(e.row))
		case entryEnd:
			got = append(got, "E")
		}
	}
	if strings.Join(got, "|") != "P 5 k 00|R c r|E" {
		t.Fatalf("entries %q", got)
	}
	for h, want := range map[string][]uint64{"0248011e": {1, 30}, "0253071e00": {7, 30, 0}, "024607010113": {7, 1, 1, 19}, "025a0113": {1, 19}} {
		b, _ := hex.DecodeString(h)
		kind, body, err := openFrame(finishFrame(b))
		if err != nil {
			t.Fatalf("%s: %v", h, err)
		}
		vals := make([]uint64, len(want))
		if err := decodeControl(kind, body, vals); err != nil || !reflect.DeepEqual(vals, want) {
			t.Fatalf("%s: got %v, %v; want %v", h, vals, err, want)
		}
	}
}

func TestEntriesRejectMalformed(t *testing.T) {
	good := appendRowEntry(nil, []byte("clustering"), []byte("row"))
	for i := range good {
		var e entry
		if _, err := nextEntry(good[:i], &e); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("row entry cut at %d: got %v, want ErrCorrupt", i, err)
		}
	}
	var e entry
	if _, err := nextEntry([]byte{'X'}, &e); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("unknown entry: got %v", err)
	}
}

// FuzzDecodeRequest: no panic on arbitrary bytes (with the checksum made
// right or not); what decodes re-encodes to the same request.
func FuzzDecodeRequest(f *testing.F) {
	f.Add(Request{}.Encode(), false)
	f.Add(Request{Session: "s", Ranges: []ring.Range{{Start: 1, End: 2}}, Skip: []uint64{3}}.Encode(), false)
	b := Request{Session: "s", Ranges: []ring.Range{{Start: 1, End: 2}}, Skip: []uint64{3}}.Encode()
	f.Add(b[:len(b)-4], true)
	f.Add([]byte{1, 0, 0}, true)
	f.Fuzz(func(t *testing.T, b []byte, fixCRC bool) {
		if fixCRC {
			b = finishFrame(bytes.Clone(b))
		}
		r, err := DecodeRequest(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
				t.Fatalf("error %v is neither ErrCorrupt nor ErrVersion", err)
			}
			return
		}
		again, err := DecodeRequest(r.Encode())
		if err != nil || !reflect.DeepEqual(again, r) {
			t.Fatalf("re-encoded %+v decodes as %+v, %v", r, again, err)
		}
	})
}

// FuzzFrame feeds arbitrary bytes to the frame decoder, with the checksum
// made right (else nearly nothing passes it): no panic, and errors are
// ErrCorrupt or ErrVersion.
func FuzzFrame(f *testing.F) {
	f.Add(appendControl(nil, kindFileEnd, 1, 2, 3, 4)[:10], false)
	data := startFrame(nil, kindData)
	data = append(data, 1, 0)
	data = appendPartitionEntry(data, mutation.Key{Token: -3, Bytes: []byte("key")}, []byte{0})
	data = appendRowEntry(data, []byte("c"), []byte("row"))
	data = append(data, entryEnd)
	f.Add(data, true)
	f.Add([]byte{1, 'H', 0x80}, true)
	f.Fuzz(func(t *testing.T, b []byte, fixCRC bool) {
		if fixCRC {
			b = finishFrame(bytes.Clone(b))
		}
		kind, body, err := openFrame(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
				t.Fatalf("error %v", err)
			}
			return
		}
		if kind != kindData {
			vals := make([]uint64, controlBodyLen[kind])
			if err := decodeControl(kind, body, vals); err == nil {
				k2, b2, err := openFrame(appendControl(nil, kind, vals...))
				again := make([]uint64, len(vals))
				if err != nil || k2 != kind || decodeControl(k2, b2, again) != nil || !reflect.DeepEqual(again, vals) {
					t.Fatalf("control frame %q %v re-encodes as %q %v (%v)", kind, vals, k2, again, err)
				}
			}
			return
		}
		_, _, entries, err := dataFile(body)
		if err != nil {
			return
		}
		var e entry
		for len(entries) > 0 {
			if entries, err = nextEntry(entries, &e); err != nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("error %v", err)
				}
				return
			}
		}
	})
}
