package cluster

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"

	"wcdb/ring"
)

func sampleMeta(numTokens int) nodeMeta {
	m := nodeMeta{
		status:  StatusNormal,
		schema:  [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		cluster: "Test Cluster",
		dc:      "datacenter1",
		rack:    "rack1",
		release: DefaultReleaseVersion,
		cql:     "127.0.0.1:9042",
		inter:   "127.0.0.1:7000",
	}
	tokens, err := ring.AllocateTokens(nil, "datacenter1", numTokens, 3, 42)
	if err != nil {
		panic(err)
	}
	m.setTokens(tokens, memberlist.MetaMaxSize)
	return m
}

func TestMetaRoundTrip(t *testing.T) {
	pending := sampleMeta(1)
	pending.status = StatusJoining
	pending.setTokens(nil, memberlist.MetaMaxSize)
	long := sampleMeta(16)
	long.cluster = strings.Repeat("c", maxString)
	long.dc = strings.Repeat("d", maxString)
	long.rack = strings.Repeat("r", maxString)
	long.release = strings.Repeat("v", maxString)
	long.cql = strings.Repeat("h", maxString-5) + ":9042"
	long.inter = strings.Repeat("h", maxString-5) + ":7000"
	long.setTokens(long.tokens, memberlist.MetaMaxSize)
	removing := sampleMeta(16)
	removing.move = Movement{Kind: Removing, Target: NewHostID()}
	removing.setTokens(removing.tokens, memberlist.MetaMaxSize)
	replacing := sampleMeta(16)
	replacing.status = StatusJoining
	replacing.move = Movement{Kind: Replacing, Target: NewHostID()}
	replacing.setTokens(replacing.tokens, memberlist.MetaMaxSize)
	longMove := long
	longMove.move = Movement{Kind: Removed, Target: ring.NodeID(strings.Repeat("x", maxString))}
	longMove.setTokens(sampleMeta(16).tokens, memberlist.MetaMaxSize)
	for _, tc := range []struct {
		name     string
		m        nodeMeta
		external bool
	}{
		{"16 tokens inline", sampleMeta(16), false},
		{"pending, no tokens", pending, false},
		{"256 tokens external", sampleMeta(256), true},
		{"long names push 16 tokens out", long, true},
		{"removing another node", removing, false},
		{"replacing another node", replacing, false},
		{"removed, long names", longMove, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.m.encode()
			if len(b) > memberlist.MetaMaxSize {
				t.Fatalf("got %d bytes, want at most %d", len(b), memberlist.MetaMaxSize)
			}
			if len(b) != tc.m.encodedSize() {
				t.Fatalf("got %d bytes, encodedSize says %d", len(b), tc.m.encodedSize())
			}
			if tc.m.external != tc.external {
				t.Fatalf("got external %v, want %v", tc.m.external, tc.external)
			}
			got, err := decodeMeta(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.m) {
				t.Fatalf("got %+v, want %+v", got, tc.m)
			}
		})
	}
	if n := len(sampleMeta(16).encode()); n > 256 {
		t.Errorf("16 tokens with default names take %d bytes, want at most 256", n)
	}
}

func TestMetaVersion(t *testing.T) {
	b := sampleMeta(16).encode()
	if b[0] != metaVersion {
		t.Fatalf("got version byte %d, want %d", b[0], metaVersion)
	}
	b[0] = metaVersion + 1
	_, err := decodeMeta(b)
	if !errors.Is(err, ErrBadMeta) || !strings.Contains(err.Error(), "version") {
		t.Fatalf("got %v, want a version error wrapping ErrBadMeta", err)
	}
}

func TestMetaGarbage(t *testing.T) {
	valid := sampleMeta(16).encode()
	// Every truncation, and every extension, fails.
	for n := range len(valid) {
		if _, err := decodeMeta(valid[:n]); !errors.Is(err, ErrBadMeta) {
			t.Fatalf("truncated to %d bytes: got %v, want ErrBadMeta", n, err)
		}
	}
	if _, err := decodeMeta(append(slices.Clone(valid), 0)); !errors.Is(err, ErrBadMeta) {
		t.Fatalf("trailing byte: got %v, want ErrBadMeta", err)
	}
	bad := map[string]func(b []byte){
		"status 0":       func(b []byte) { b[1] = 0 },
		"status 9":       func(b []byte) { b[1] = 9 },
		"unknown flag":   func(b []byte) { b[2] = 0x80 },
		"tokens reorder": func(b []byte) { copy(b[len(b)-8:], bytes.Repeat([]byte{0x80}, 8)) },
	}
	for name, f := range bad {
		b := slices.Clone(valid)
		f(b)
		if _, err := decodeMeta(b); !errors.Is(err, ErrBadMeta) {
			t.Errorf("%s: got %v, want ErrBadMeta", name, err)
		}
	}
	// Random bytes and random mutations never panic.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b []byte
		if rng.IntN(2) == 0 {
			b = make([]byte, rng.IntN(300))
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
		} else {
			b = slices.Clone(valid)
			for range 1 + rng.IntN(4) {
				b[rng.IntN(len(b))] = byte(rng.Uint32())
			}
		}
		decodeMeta(b)
		decodeState(b)
	}
}

func FuzzDecodeMeta(f *testing.F) {
	f.Add(sampleMeta(16).encode())
	f.Add(sampleMeta(300).encode())
	pending := sampleMeta(1)
	pending.setTokens(nil, memberlist.MetaMaxSize)
	f.Add(pending.encode())
	f.Add([]byte{})
	f.Add([]byte{metaVersion})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMeta(b)
		if err != nil {
			if !errors.Is(err, ErrBadMeta) {
				t.Fatalf("got %v, want an error wrapping ErrBadMeta", err)
			}
			return
		}
		// What decodes re-encodes to something that decodes the same.
		again, err := decodeMeta(m.encode())
		if err != nil {
			t.Fatalf("re-encoded metadata does not decode: %v", err)
		}
		if !reflect.DeepEqual(again, m) {
			t.Fatalf("got %+v after a round trip, want %+v", again, m)
		}
	})
}

func sampleRecords() []record {
	ext := sampleMeta(100)
	tokens, _ := ring.AllocateTokens(nil, "datacenter1", 100, 3, 42)
	return []record{
		{id: "a", addr: "127.0.0.1:7946", meta: sampleMeta(16).encode()},
		{id: "b", addr: "127.0.0.2:7946", down: true, downSince: 1700000000000, meta: sampleMeta(16).encode()},
		{id: "d", addr: "127.0.0.4:7946", left: true, downSince: 1700000000001, meta: sampleMeta(16).encode()},
		{id: "c", addr: "127.0.0.3:7946", meta: ext.encode(), tokens: tokens},
	}
}

func TestStateRoundTrip(t *testing.T) {
	recs := sampleRecords()
	b := encodeState(recs)
	got, err := decodeState(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, recs) {
		t.Fatalf("got %+v, want %+v", got, recs)
	}
	for n := range len(b) {
		if _, err := decodeState(b[:n]); !errors.Is(err, ErrBadMeta) {
			t.Fatalf("truncated to %d bytes: got %v, want ErrBadMeta", n, err)
		}
	}
	if _, err := decodeState(append(b, 0)); !errors.Is(err, ErrBadMeta) {
		t.Fatalf("trailing byte: got %v, want ErrBadMeta", err)
	}
	// A huge record count with no records behind it allocates nothing big.
	if _, err := decodeState([]byte{stateVersion, 0xff, 0xff, 0x03}); !errors.Is(err, ErrBadMeta) {
		t.Fatalf("got %v, want ErrBadMeta", err)
	}
}

func FuzzDecodeState(f *testing.F) {
	f.Add(encodeState(sampleRecords()))
	f.Add(encodeState(nil))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := decodeState(b)
		if err != nil {
			if !errors.Is(err, ErrBadMeta) {
				t.Fatalf("got %v, want an error wrapping ErrBadMeta", err)
			}
			return
		}
		again, err := decodeState(encodeState(recs))
		if err != nil {
			t.Fatalf("re-encoded state does not decode: %v", err)
		}
		if len(again) != len(recs) {
			t.Fatalf("got %d records after a round trip, want %d", len(again), len(recs))
		}
		// Records only ever reach the view through merge, which must not
		// panic either.
		v := newView("local", time.Minute)
		for _, r := range recs {
			v.merge(r)
		}
		v.rings()
	})
}
