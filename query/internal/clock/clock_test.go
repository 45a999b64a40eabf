package clock

import (
	"encoding/binary"
	"testing"
)

func TestTimestampIncreases(t *testing.T) {
	var s Sequence
	for i, tc := range []struct{ now, want int64 }{{100, 100}, {100, 101}, {50, 102}, {200, 200}} {
		if got := s.Timestamp(tc.now); got != tc.want {
			t.Fatalf("call %d: Timestamp(%d) = %d, want %d", i, tc.now, got, tc.want)
		}
	}
}

// uuidTicks returns a version 1 UUID's 60-bit time.
func uuidTicks(u [16]byte) uint64 {
	msb := binary.BigEndian.Uint64(u[:8])
	return msb>>32 | (msb&0xFFFF0000)<<16 | (msb&0x0FFF)<<48
}

func TestTimeuuidIncreases(t *testing.T) {
	var s Sequence
	a, b := s.Timeuuid(1_000_000), s.Timeuuid(1_000_000)
	if a[6]>>4 != 1 {
		t.Fatalf("version %d, want 1", a[6]>>4)
	}
	want := uint64(1_000_000*10 + uuidEpochOffset)
	if got := uuidTicks(a); got != want {
		t.Fatalf("first ticks %d, want %d", got, want)
	}
	if got := uuidTicks(b); got != want+1 {
		t.Fatalf("second ticks %d, want %d", got, want+1)
	}
}
