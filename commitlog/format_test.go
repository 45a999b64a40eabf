package commitlog

import (
	"encoding/binary"
	"hash/crc32"
	"testing"
)

// TestHeaderCRC checks the hand-rolled header checksum against hash/crc32.
func TestHeaderCRC(t *testing.T) {
	for _, c := range []struct {
		seg uint64
		n   uint32
	}{{0, 0}, {1, 0}, {42, 2}, {1<<64 - 1, 1<<32 - 1}, {0x0102030405060708, 0xa0b0c0d0}} {
		var b [12]byte
		binary.LittleEndian.PutUint64(b[0:8], c.seg)
		binary.LittleEndian.PutUint32(b[8:12], c.n)
		if got, want := headerCRC(c.seg, c.n), crc32.Checksum(b[:], castagnoli); got != want {
			t.Errorf("headerCRC(%d, %d) = %#x, want %#x", c.seg, c.n, got, want)
		}
	}
}

// TestRecordLayout pins the byte layout documented beside the encoder.
func TestRecordLayout(t *testing.T) {
	b := appendRecord(nil, 42, []byte("hi"))
	if len(b) != recordHeaderSize+2 {
		t.Fatalf("encoded length %d, want %d", len(b), recordHeaderSize+2)
	}
	prefix := []byte{42, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0}
	if got := binary.LittleEndian.Uint32(b[0:4]); got != 2 {
		t.Errorf("length field %d, want 2", got)
	}
	if got, want := binary.LittleEndian.Uint32(b[4:8]), crc32.Checksum(prefix, castagnoli); got != want {
		t.Errorf("header crc %#x, want %#x", got, want)
	}
	if got, want := binary.LittleEndian.Uint32(b[8:12]), crc32.Checksum(append(prefix, 'h', 'i'), castagnoli); got != want {
		t.Errorf("payload crc %#x, want %#x", got, want)
	}
	if string(b[12:]) != "hi" {
		t.Errorf("payload %q, want %q", b[12:], "hi")
	}
	h := appendSegmentHeader(nil, 42)
	if len(h) != segmentHeaderSize || string(h[:8]) != segmentMagic || binary.LittleEndian.Uint32(h[8:12]) != formatVersion || binary.LittleEndian.Uint64(h[12:20]) != 42 {
		t.Errorf("segment header % x does not match the layout", h)
	}
	if r := checkSegmentHeader(h, 42); r != "" {
		t.Errorf("checkSegmentHeader: %s", r)
	}
	if r := checkSegmentHeader(h, 43); r == "" {
		t.Errorf("header of segment 42 accepted for segment 43")
	}
}
