package cqltime

import (
	"encoding/hex"
	"math"
	"testing"
)

func TestVints(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 63, -64, 64, 1 << 20, -1 << 40, math.MaxInt64, math.MinInt64} {
		b := appendVint(nil, v)
		got, rest, ok := readVint(b)
		if !ok || got != v || len(rest) != 0 {
			t.Errorf("vint %d: %x -> %d, %x, %v", v, b, got, rest, ok)
		}
	}
	for _, tc := range []struct {
		v    uint64
		want string
	}{
		{0, "00"}, {127, "7f"}, {128, "8080"}, {16383, "bfff"}, {16384, "c04000"},
		{math.MaxUint64, "ffffffffffffffffff"},
	} {
		if got := hex.EncodeToString(appendUvint(nil, tc.v)); got != tc.want {
			t.Errorf("uvint %d = %s, want %s", tc.v, got, tc.want)
		}
	}
	if _, _, ok := readUvint([]byte{0xc0, 0x01}); ok {
		t.Errorf("readUvint accepted a truncated vint")
	}
}
