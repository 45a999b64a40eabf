package funcs

import (
	"testing"
	"time"

	"wcdb/schema"
)

func TestFloorTimestamp(t *testing.T) {
	ms := func(s string) int64 {
		tm, err := time.Parse("2006-01-02T15:04:05", s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixMilli()
	}
	dur := func(s string) schema.Duration {
		d, err := schema.ParseDuration(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, tc := range []struct{ time, d, start, want string }{
		{"2016-09-27T16:12:00", "2h", "2016-09-27T16:12:00", "2016-09-27T16:12:00"},
		{"2016-09-27T18:12:00", "0h", "2016-09-27T16:12:00", "2016-09-27T18:12:00"},
		{"2016-09-27T18:12:00", "2h", "2016-09-27T16:12:00", "2016-09-27T18:12:00"},
		{"2016-09-27T19:11:00", "2h", "2016-09-27T16:12:00", "2016-09-27T18:12:00"},
		{"2016-09-27T16:12:00", "2mo", "2016-01-01T00:00:00", "2016-09-01T00:00:00"},
		{"2016-09-27T16:12:00", "1mo2d", "2016-01-01T00:00:00", "2016-09-17T00:00:00"},
		// As Cassandra's: whole months from the start can pass the time.
		{"2016-03-30T00:00:00", "1mo", "2016-01-31T00:00:00", "2016-03-31T00:00:00"},
		{"2016-03-30T00:00:00", "1mo1d", "2016-01-31T00:00:00", "2016-03-01T00:00:00"}, // Feb 29 + 1d
	} {
		got, err := FloorTimestamp(ms(tc.time), dur(tc.d), ms(tc.start))
		if err != nil || got != ms(tc.want) {
			t.Errorf("floor(%s, %s, %s) = %s, %v; want %s", tc.time, tc.d, tc.start,
				time.UnixMilli(got).UTC().Format("2006-01-02T15:04:05"), err, tc.want)
		}
	}
	if _, err := FloorTimestamp(ms("2016-09-27T16:12:00"), dur("2h"), ms("2017-09-01T00:00:00")); err == nil ||
		err.Error() != "The floor function starting time is greater than the provided time" {
		t.Errorf("start after time: %v", err)
	}
}
