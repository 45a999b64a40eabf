package compaction

import (
	"errors"
	"strings"
	"testing"
)

func TestNewOptions(t *testing.T) {
	for _, tc := range []struct {
		class string
		opts  map[string]string
		// want is a substring of the error; empty for success.
		want string
		// option is the OptionError.Option expected.
		option string
	}{
		{class: "SizeTieredCompactionStrategy"},
		{class: "org.apache.cassandra.db.compaction.LeveledCompactionStrategy"},
		{class: "TimeWindowCompactionStrategy", opts: map[string]string{
			"class":                  "org.apache.cassandra.db.compaction.TimeWindowCompactionStrategy",
			"compaction_window_unit": "HOURS", "compaction_window_size": "6",
			"timestamp_resolution": "MILLISECONDS", "min_threshold": "4", "max_threshold": "32",
			"tombstone_threshold": "0.3", "tombstone_compaction_interval": "3600",
			"unchecked_tombstone_compaction": "TRUE", "enabled": "true",
		}},
		{class: "LeveledCompactionStrategy", opts: map[string]string{
			"sstable_size_in_mb": "256", "fanout_size": "8", "bucket_low": "0.25",
		}},

		{class: "DateTieredCompactionStrategy", want: `compaction: unknown strategy class "DateTieredCompactionStrategy"`},
		{class: "sizetieredcompactionstrategy", want: "unknown strategy class"},
		{class: "SizeTieredCompactionStrategy", opts: map[string]string{"fanout_size": "10"},
			want: `compaction: SizeTieredCompactionStrategy: unknown option "fanout_size"`, option: "fanout_size"},
		{class: "LeveledCompactionStrategy", opts: map[string]string{"compaction_window_unit": "DAYS"},
			want: `unknown option "compaction_window_unit"`, option: "compaction_window_unit"},
		{class: "SizeTieredCompactionStrategy", opts: map[string]string{"zz": "1", "aa": "1"},
			want: `unknown option "aa"`, option: "aa"},
		{class: "SizeTieredCompactionStrategy", opts: map[string]string{"class": "LeveledCompactionStrategy"},
			want: `option class = "LeveledCompactionStrategy": does not name SizeTieredCompactionStrategy`, option: "class"},

		{class: "SizeTieredCompactionStrategy", opts: map[string]string{"min_threshold": "four"},
			want: `compaction: SizeTieredCompactionStrategy: option min_threshold = "four": not an integer`, option: "min_threshold"},
		{class: "SizeTieredCompactionStrategy", opts: map[string]string{"min_threshold": "1"},
			want: "must be at least 2", option: "min_threshold"},
		{class: "SizeTieredCompactionStrategy", opts: map[string]string{"min_threshold": "8", "max_threshold": "6"},
			want: `option max_threshold = "6": must not be smaller than min_threshold (8)`, option: "max_threshold"},
		{class: "SizeTieredCompactionStrategy", opts: map[string]string{"min_threshold": "40"},
			want: `option min_threshold = "40": must not exceed max_threshold (32)`, option: "min_threshold"},
		{class: "SizeTieredCompactionStrategy", opts: map[string]string{"bucket_high": "0.4"},
			want: `option bucket_high = "0.4": must be greater than bucket_low (0.5)`, option: "bucket_high"},
		{class: "SizeTieredCompactionStrategy", opts: map[string]string{"bucket_low": "2"},
			want: `option bucket_low = "2": must be smaller than bucket_high (1.5)`, option: "bucket_low"},
		{class: "SizeTieredCompactionStrategy", opts: map[string]string{"bucket_low": "NaN"},
			want: "not a number", option: "bucket_low"},
		{class: "SizeTieredCompactionStrategy", opts: map[string]string{"min_sstable_size": "-1"},
			want: "must be at least 0", option: "min_sstable_size"},
		{class: "SizeTieredCompactionStrategy", opts: map[string]string{"tombstone_threshold": "-0.1"},
			want: "must be at least 0", option: "tombstone_threshold"},
		{class: "SizeTieredCompactionStrategy", opts: map[string]string{"tombstone_compaction_interval": "1h"},
			want: "not an integer", option: "tombstone_compaction_interval"},
		{class: "SizeTieredCompactionStrategy", opts: map[string]string{"unchecked_tombstone_compaction": "yes"},
			want: "must be true or false", option: "unchecked_tombstone_compaction"},
		{class: "SizeTieredCompactionStrategy", opts: map[string]string{"enabled": "1"},
			want: "must be true or false", option: "enabled"},

		{class: "LeveledCompactionStrategy", opts: map[string]string{"sstable_size_in_mb": "0"},
			want: `option sstable_size_in_mb = "0": must be at least 1`, option: "sstable_size_in_mb"},
		{class: "LeveledCompactionStrategy", opts: map[string]string{"fanout_size": "1"},
			want: "must be at least 2", option: "fanout_size"},
		{class: "LeveledCompactionStrategy", opts: map[string]string{"fanout_size": "10.5"},
			want: "not an integer", option: "fanout_size"},

		{class: "TimeWindowCompactionStrategy", opts: map[string]string{"compaction_window_unit": "WEEKS"},
			want: `option compaction_window_unit = "WEEKS": must be one of MINUTES, HOURS, DAYS`, option: "compaction_window_unit"},
		{class: "TimeWindowCompactionStrategy", opts: map[string]string{"compaction_window_size": "0"},
			want: "must be at least 1", option: "compaction_window_size"},
		{class: "TimeWindowCompactionStrategy", opts: map[string]string{"timestamp_resolution": "WEEKS"},
			want: "must be one of", option: "timestamp_resolution"},
	} {
		s, err := New(tc.class, tc.opts)
		if tc.want == "" {
			if err != nil {
				t.Errorf("New(%q, %v): %v", tc.class, tc.opts, err)
			} else if got, want := s.Name(), strings.TrimPrefix(tc.class, classPrefix); got != want {
				t.Errorf("New(%q).Name() = %q, want %q", tc.class, got, want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%q, %v): got error %v, want one containing %q", tc.class, tc.opts, err, tc.want)
			continue
		}
		var oe *OptionError
		switch {
		case tc.option == "":
			if !errors.Is(err, ErrUnknownStrategy) {
				t.Errorf("New(%q): got %v, want ErrUnknownStrategy", tc.class, err)
			}
		case !errors.As(err, &oe):
			t.Errorf("New(%q, %v): got %T, want *OptionError", tc.class, tc.opts, err)
		case oe.Option != tc.option:
			t.Errorf("New(%q, %v): error names option %q, want %q", tc.class, tc.opts, oe.Option, tc.option)
		}
	}
}

func TestDefaults(t *testing.T) {
	st, err := New(SizeTiered, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := st.(*sizeTiered)
	if got, want := s.cfg, (sizeTieredConfig{4, 32, 0.5, 1.5, 50 << 20}); got != want {
		t.Errorf("size-tiered defaults: got %+v, want %+v", got, want)
	}
	if got, want := s.common, (commonConfig{enabled: true, tombstones: tombstoneConfig{0.2, 86400e9, false}}); got != want {
		t.Errorf("common defaults: got %+v, want %+v", got, want)
	}

	lt, err := New(Leveled, nil)
	if err != nil {
		t.Fatal(err)
	}
	l := lt.(*leveled)
	if l.sstableSize != 160<<20 || l.fanout != 10 {
		t.Errorf("leveled defaults: got sstable size %d, fanout %d, want %d, 10", l.sstableSize, l.fanout, 160<<20)
	}
	if got, want := l.maxBytes(1), float64(1600<<20); got != want {
		t.Errorf("L1 capacity: got %v, want %v", got, want)
	}

	tt, err := New(TimeWindow, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := tt.(*timeWindow)
	if w.window != 86400 || w.resolution != 1e6 || w.cfg.minThreshold != 4 {
		t.Errorf("time-window defaults: got window %ds, resolution %d/s, min_threshold %d; want 86400, 1000000, 4",
			w.window, w.resolution, w.cfg.minThreshold)
	}
}

func TestWindowOf(t *testing.T) {
	for _, tc := range []struct {
		opts map[string]string
		ts   int64
		want int64 // seconds
	}{
		{nil, 0, 0},
		{nil, 86399_999_999, 0},
		{nil, 86400_000_000, 86400},
		{nil, -1, -86400}, // before the epoch: floor, not truncation
		{map[string]string{"compaction_window_unit": "HOURS", "compaction_window_size": "6"}, 7 * 3600e6, 6 * 3600},
		{map[string]string{"compaction_window_unit": "MINUTES", "timestamp_resolution": "MILLISECONDS"}, 150_000, 120},
		{map[string]string{"compaction_window_unit": "MINUTES", "timestamp_resolution": "NANOSECONDS"}, 61e9, 60},
		{map[string]string{"compaction_window_unit": "MINUTES", "timestamp_resolution": "SECONDS"}, -1, -60},
		{map[string]string{"compaction_window_unit": "HOURS", "timestamp_resolution": "MINUTES"}, 61, 3600},
		{map[string]string{"timestamp_resolution": "DAYS"}, 3, 3 * 86400},
	} {
		s, err := newTimeWindow(tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.windowOf(tc.ts); got != tc.want {
			t.Errorf("windowOf(%d) with %v: got %d, want %d", tc.ts, tc.opts, got, tc.want)
		}
	}
}
