package cqltime

import (
	"errors"
	"testing"
)

// TestLiterals: a few literals of each kind, and a bad one of each with
// Cassandra's message as an *Error.
func TestLiterals(t *testing.T) {
	if ms, err := ParseTimestamp("2011-02-03T04:05:00.123Z"); err != nil || ms != 1296705900123 {
		t.Errorf("timestamp: %d, %v", ms, err)
	}
	if d, err := ParseDate("1970-01-02"); err != nil || d != 1<<31+1 {
		t.Errorf("date: %d, %v", d, err)
	}
	if ns, err := ParseTime("01:02:03.5"); err != nil || ns != 3723500000000 {
		t.Errorf("time: %d, %v", ns, err)
	}
	if d, err := ParseDuration("1y2mo3d4h5m6s"); err != nil || d.String() != "1y2mo3d4h5m6s" {
		t.Errorf("duration: %v, %v", d, err)
	}
	for _, bad := range []func() error{
		func() error { _, err := ParseTimestamp("2011-13-01"); return err },
		func() error { _, err := ParseDate("x"); return err },
		func() error { _, err := ParseTime("25:00:00"); return err },
		func() error { _, err := ParseDuration("1parsec"); return err },
	} {
		var e *Error
		if err := bad(); !errors.As(err, &e) || e.Msg == "" {
			t.Errorf("bad literal: %v, want an *Error", err)
		}
	}
}
