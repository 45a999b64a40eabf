package timeuuid

import (
	"bytes"
	"testing"
	"time"
)

// TestOrder: every timeuuid made is later than the one before, even in
// one 100 ns tick; reserved timestamps follow them; prepended ones lie
// below everything handed out, each batch below the one before.
func TestOrder(t *testing.T) {
	prev := ticksOf(New())
	for range 1000 {
		u := New()
		if got := ticksOf(u); got <= prev {
			t.Fatalf("timestamp %d after %d", got, prev)
		}
		prev = ticksOf(u)
		if u[6]>>4 != 1 || u[8]&0xC0 != 0x80 {
			t.Fatalf("%x: not a version 1, RFC 4122 variant UUID", u)
		}
	}
	base := Reserve(10)
	if base <= prev {
		t.Fatalf("reserved %d, not after %d", base, prev)
	}
	if next := ticksOf(New()); next < base+10 {
		t.Fatalf("New after Reserve(10) from %d: %d", base, next)
	}
	p1 := ReservePrepend(5)
	p2 := ReservePrepend(5)
	if p2+5 > p1 || p1 >= base {
		t.Fatalf("prepends %d then %d, appends from %d", p1, p2, base)
	}
	if u := FromTicks(base); ticksOf(u) != base {
		t.Fatalf("FromTicks(%d) has timestamp %d", base, ticksOf(u))
	}
}

func TestMinMaxTime(t *testing.T) {
	at := time.Date(2015, 7, 14, 0, 0, 18, 123_000_000, time.UTC)
	lo, hi := Min(at), Max(at)
	if !Time(lo).Equal(at) || Millis(lo) != at.UnixMilli() || Millis(hi) != at.UnixMilli() {
		t.Fatalf("Min %v (%v), Max %v: not at %v", lo, Time(lo), hi, at)
	}
	if bytes.Equal(lo[8:], hi[8:]) {
		t.Fatal("Min and Max share their clock sequence and node")
	}
	if u := NewRandom(); u[6]>>4 != 4 {
		t.Fatalf("NewRandom %x is not version 4", u)
	}
}
