package cqltime

import "testing"

func TestParseDurationForms(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"1h30m", "1h30m"},
		{"1H30M", "1h30m"},
		{"2w", "14d"},
		{"-5mo", "-5mo"},
		{"1y2mo3w4d5h6m7s8ms9us10ns", "1y2mo25d5h6m7s8ms9us10ns"},
		{"12µs", "12us"},
		{"P1Y2M3DT4H5M6S", "1y2mo3d4h5m6s"},
		{"P1DT2H", "1d2h"},
		{"PT90S", "1m30s"},
		{"PT1H", "1h"},
		{"P2M", "2mo"},
		{"-P1D", "-1d"},
		{"P3W", "21d"},
		{"P0001-02-03T04:05:06", "1y2mo3d4h5m6s"},
		{"-P0000-00-10T00:00:00", "-10d"},
		{"P", "0s"},
		{"PT", "0s"},
		{"PT1.5S", "error Unable to convert 'PT1.5S' to a duration"},
		{"P1S", "error Unable to convert 'P1S' to a duration"},
		{"P1H", "error Unable to convert 'P1H' to a duration"},
		{"PT1D", "error Unable to convert 'PT1D' to a duration"},
		{"PW", "error Unable to convert 'PW' to a duration"},
		{"P1Y2W", "error Unable to convert 'P1Y2W' to a duration"},
		{"P0001-02-03T04:05", "error Unable to convert 'P0001-02-03T04:05' to a duration"},
		{"-1parsec", "error Unable to convert '1parsec' to a duration"},
		{"1h2x", "error Unable to convert '1h2x' to a duration"},
		{"", "error Unable to convert '' to a duration"},
		{"h", "error Unable to convert 'h' to a duration"},
		{"30m1h", "error Invalid duration. The minutes should be after hours"},
		{"1h1h", "error Invalid duration. The hours are specified multiple times"},
		{"2147483648mo", "error Invalid duration. The total number of months must be less or equal to 2147483647"},
		{"178956970y8mo", "error Invalid duration. The total number of months must be less or equal to 2147483647"},
		{"178956970y7mo", "178956970y7mo"},
		{"2562048h", "error Invalid duration. The total number of nanoseconds must be less or equal to 2147483647"},
	} {
		d, err := ParseDuration(tc.in)
		got := d.String()
		if err != nil {
			got = "error " + err.Error()
		}
		if got != tc.want {
			t.Errorf("ParseDuration(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
