package units

import "testing"

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{-1: "?", 0: "0 bytes", 1023: "1023 bytes", 1536: "1.50 KiB",
		3 << 20: "3.00 MiB", 5 << 40: "5.00 TiB", 5 << 50: "5120.00 TiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}
