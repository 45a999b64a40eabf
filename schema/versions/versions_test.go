package versions

import (
	"errors"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   map[string]string
		want Rule
		err  string
	}{
		{in: map[string]string{"max_versions": "3"}, want: Rule{MaxVersions: 3}},
		{in: map[string]string{"max_age": "7d"}, want: Rule{MaxAge: 7 * 24 * time.Hour}},
		{in: map[string]string{"MAX_VERSIONS": "10", "max_age": "1h30m"}, want: Rule{MaxVersions: 10, MaxAge: 90 * time.Minute}},
		{in: map[string]string{}, want: Rule{}},
		{in: map[string]string{"max_versions": "0"}, err: `cell_versions max_versions must be an integer between 1 and 10000 (got "0")`},
		{in: map[string]string{"max_versions": "x"}, err: `cell_versions max_versions must be an integer between 1 and 10000 (got "x")`},
		{in: map[string]string{"max_age": "2mo"}, err: `cell_versions max_age: invalid duration "2mo": units are w, d, h, m, s, ms, us, ns`},
		{in: map[string]string{"max_age": "10ms"}, err: `cell_versions max_age must be at least 1s (got "10ms")`},
		{in: map[string]string{"max_age": ""}, err: `cell_versions max_age: empty duration`},
		{in: map[string]string{"keep": "1"}, err: `Unknown cell_versions option: keep (max_versions, max_age)`},
	} {
		got, err := Parse(tc.in)
		if tc.err != "" {
			var e *Error
			if err == nil || err.Error() != tc.err || !errors.As(err, &e) {
				t.Errorf("Parse(%v): got error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%v) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestExtensionRoundTrip(t *testing.T) {
	for _, r := range []Rule{{MaxVersions: 3}, {MaxAge: 36 * time.Hour}, {MaxVersions: 1, MaxAge: 90 * time.Second}} {
		s := r.Format()
		got, err := ParseExtension(s)
		if err != nil || got != r {
			t.Errorf("ParseExtension(%q) = %+v, %v; want %+v", s, got, err, r)
		}
	}
	if got := (Rule{MaxVersions: 3, MaxAge: 7 * 24 * time.Hour}).Format(); got != "max_age=7d,max_versions=3" {
		t.Errorf("Format = %q, want max_age=7d,max_versions=3", got)
	}
	if (Rule{}).Map() != nil || (Rule{}).Enabled() {
		t.Error("the zero rule is not off")
	}
}

func TestDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"2w": 14 * 24 * time.Hour, "1d12h": 36 * time.Hour, "90s": 90 * time.Second, "1h1m1s": time.Hour + time.Minute + time.Second} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
		if back, _ := ParseDuration(FormatDuration(got)); back != got {
			t.Errorf("FormatDuration(%v) = %q does not read back", got, FormatDuration(got))
		}
	}
	if _, err := ParseDuration("99999999999999999999d"); err == nil {
		t.Error("an overflowing duration parsed")
	}
}
