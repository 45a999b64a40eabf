package engine

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func tinyConfig(t *testing.T) Config {
	return Config{
		Dir:             t.TempDir(),
		Records:         2000,
		Operations:      2000,
		Threads:         2,
		SlicePartitions: 2,
		SliceRows:       500,
		// Small memtables and cache, so reads also go to SSTables and
		// compaction runs.
		MemtableSize: 256 << 10,
		CacheSize:    1 << 20,
		BlockSize:    4 << 10,
		Duration:     20 * time.Second,
	}
}

func TestRunAllWorkloadsAllEngines(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.Engines = []string{WCDB, Pebble, Query}
	rep, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, e := range cfg.Engines {
		for _, w := range []string{"load", "a", "b", "c", "slice-load", "slice"} {
			want = append(want, e+"/"+w)
		}
	}
	var got []string
	for _, r := range rep.Results {
		got = append(got, r.Engine+"/"+r.Workload)
		wantOps := int64(2000)
		if r.Workload == "slice-load" {
			wantOps = 1000
		}
		if r.Ops != wantOps {
			t.Errorf("%s/%s: ops = %d, want %d", r.Engine, r.Workload, r.Ops, wantOps)
		}
		if r.NotFound != 0 {
			t.Errorf("%s/%s: %d reads missed loaded data, want 0", r.Engine, r.Workload, r.NotFound)
		}
		if r.OpsPerS <= 0 || r.P50us <= 0 || r.P99us < r.P50us {
			t.Errorf("%s/%s: ops/s %v p50 %v p99 %v, want positive and p99 >= p50", r.Engine, r.Workload, r.OpsPerS, r.P50us, r.P99us)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("results %v, want %v", got, want)
	}
	// 2 MB of records through 256 KiB memtables must have flushed.
	for _, r := range rep.Results {
		if r.Workload == "c" && r.WriteAmp <= 0 {
			t.Errorf("%s: write amp %v after load, want > 0", r.Engine, r.WriteAmp)
		}
	}

	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&buf)
	n := 0
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d: %v: %s", n, err, sc.Text())
		}
		for _, k := range []string{"engine", "workload", "ops", "ops_per_sec", "p50_us", "p99_us"} {
			if _, ok := m[k]; !ok {
				t.Errorf("line %d lacks %q: %s", n, k, sc.Text())
			}
		}
		n++
	}
	if n != len(want) {
		t.Errorf("%d JSON lines, want %d", n, len(want))
	}

	buf.Reset()
	if err := rep.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	if s := buf.String(); !strings.Contains(s, "pebble") || !strings.Contains(s, "slice-load") {
		t.Errorf("table lacks rows:\n%s", s)
	}

	// The data directory is removed unless Keep.
	ents, err := os.ReadDir(cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 0 {
		t.Errorf("data left in %s: %v", cfg.Dir, ents)
	}
}

// TestMissesAreCounted checks that the benchmark would notice lost data: a
// read workload over more records than were loaded must report misses.
func TestMissesAreCounted(t *testing.T) {
	cfg := tinyConfig(t)
	cfg = cfg.withDefaults()
	for _, name := range []string{WCDB, Pebble, Query} {
		scfg := storeConfig{dir: t.TempDir(), cacheSize: cfg.CacheSize, memtableSize: cfg.MemtableSize,
			blockSize: cfg.BlockSize, fields: cfg.Fields}
		var st store
		var err error
		switch name {
		case WCDB:
			st, err = openWCDB(scfg)
		case Query:
			st, err = openQuery(scfg)
		default:
			st, err = openPebble(scfg)
		}
		if err != nil {
			t.Fatal(err)
		}
		b := &bench{cfg: cfg, st: st, engine: name, vs: newValueSource(1, RandomValues)}
		b.cfg.Records = 100
		if _, err := b.load(); err != nil {
			t.Fatal(err)
		}
		b.loaded = 1000 // pretend: 90% of keys were never written
		r, err := b.mixed("c")
		if err != nil {
			t.Fatal(err)
		}
		if r.NotFound == 0 {
			t.Errorf("%s: reads of unloaded keys: not found = 0, want > 0", name)
		}
		if err := st.close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCompressibleValues: with text values each engine's SSTables take a
// fraction of what random values take, with zstd for both (Pebble's cgo
// zstd included); with random values, about what was written.
func TestCompressibleValues(t *testing.T) {
	space := map[string]float64{}
	for _, values := range []string{RandomValues, TextValues} {
		cfg := tinyConfig(t)
		cfg.Engines = []string{WCDB, Pebble}
		cfg.Workloads = []string{"load"}
		cfg.Compression = "zstd"
		cfg.Values = values
		rep, err := Run(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := rep.WriteTable(&out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "10 fields x 100 B of "+values) {
			t.Errorf("the report does not say the values are %s:\n%s", values, out.String())
		}
		for _, r := range rep.Results {
			space[r.Engine+"/"+values] = r.SpaceAmp
		}
	}
	for _, e := range []string{WCDB, Pebble} {
		random, text := space[e+"/"+RandomValues], space[e+"/"+TextValues]
		if random < 0.7 || text <= 0 || text > 0.6*random {
			t.Errorf("%s: space amp %.2f with random values, %.2f with text; want text well below random", e, random, text)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []Config{
		{Engines: []string{"rocksdb"}},
		{Workloads: []string{"z"}},
		{Threads: -1},
		{Values: "zeros"},
	} {
		if err := c.withDefaults().Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", c)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("DefaultConfig().Validate() = %v, want nil", err)
	}
}

func TestPeakRSS(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc")
	}
	peak, cur := procStatus("VmHWM:"), procStatus("VmRSS:")
	// Not peak >= cur: the kernel updates VmHWM lazily.
	if cur <= 0 || peak <= 0 {
		t.Errorf("VmHWM %d, VmRSS %d: want both > 0", peak, cur)
	}
	if got := procStatus("NoSuchField:"); got != 0 {
		t.Errorf("procStatus(NoSuchField:) = %d, want 0", got)
	}
}

func TestPebbleRecordEncoding(t *testing.T) {
	fields := [][]byte{[]byte("a"), {}, bytes.Repeat([]byte{7}, 300)}
	got, err := decodeRecord(nil, encodeRecord(nil, fields))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(fields) {
		t.Fatalf("decoded %d fields, want %d", len(got), len(fields))
	}
	for i := range fields {
		if !bytes.Equal(got[i], fields[i]) {
			t.Errorf("field %d = %x, want %x", i, got[i], fields[i])
		}
	}
	if _, err := decodeRecord(nil, []byte{5, 1}); err == nil {
		t.Errorf("decodeRecord(truncated) = nil error, want one")
	}
}
