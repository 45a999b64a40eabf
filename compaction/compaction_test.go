package compaction

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"go.uber.org/goleak"

	"wcdb/mutation"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDataDriven runs the scripts in testdata. Commands:
//
//	new class=<class> [<option>=<value> ...]
//	    Configures the strategy; prints its name or the error.
//	tables
//	<id> [size=<bytes, K/M/G suffix>] [level=<n>] [keys=<key>..<key>]
//	     [ts=<dur>..<dur>] [ldt=<seconds>] [parts=<n>] [drop=<n>]
//	     [created=<dur>] [compacting]
//	    Replaces the live tables. A key is <token> or <token>/<bytes>; keys
//	    default to the whole ring. Timestamps and times are durations since
//	    the epoch (ts in microseconds, as storage keeps them).
//	pick [now=<dur>] [mark]
//	    Prints the strategy's next task; mark flags its inputs Compacting.
//	major
//	    Prints the tasks of a major compaction.
//	expired gc-before=<seconds> [min-live=<dur>]
//	    Prints FullyExpired.
func TestDataDriven(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		var s Strategy
		var tables []Table
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "new":
				var class string
				opts := map[string]string{}
				for _, a := range d.CmdArgs {
					if a.Key == "class" {
						class = a.SingleVal(t)
					} else {
						opts[a.Key] = strings.Join(a.Vals, ",")
					}
				}
				var err error
				if s, err = New(class, opts); err != nil {
					return err.Error()
				}
				return s.Name()

			case "tables":
				var err error
				if tables, err = parseTables(d.Input); err != nil {
					d.Fatalf(t, "%v", err)
				}
				return summarize(tables)

			case "pick":
				now := time.Unix(0, 0).Add(100 * 24 * time.Hour)
				if d.HasArg("now") {
					var v string
					d.ScanArgs(t, "now", &v)
					dur, err := time.ParseDuration(v)
					if err != nil {
						d.Fatalf(t, "now: %v", err)
					}
					now = time.Unix(0, 0).Add(dur)
				}
				task := s.Pick(slices.Clone(tables), now)
				if task == nil {
					return "none"
				}
				if d.HasArg("mark") {
					for i := range tables {
						if slices.Contains(task.Inputs, tables[i].ID) {
							tables[i].Compacting = true
						}
					}
				}
				return formatTask(task)

			case "major":
				tasks := s.Major(slices.Clone(tables))
				if len(tasks) == 0 {
					return "none"
				}
				var b strings.Builder
				for _, task := range tasks {
					b.WriteString(formatTask(task))
				}
				return b.String()

			case "expired":
				var gcBefore int64
				d.ScanArgs(t, "gc-before", &gcBefore)
				minLive := int64(math.MaxInt64)
				if d.HasArg("min-live") {
					var v string
					d.ScanArgs(t, "min-live", &v)
					dur, err := time.ParseDuration(v)
					if err != nil {
						d.Fatalf(t, "min-live: %v", err)
					}
					minLive = dur.Microseconds()
				}
				return fmt.Sprintf("%v\n", FullyExpired(tables, gcBefore, minLive))
			}
			d.Fatalf(t, "unknown command %q", d.Cmd)
			return ""
		})
	})
}

func formatTask(task *Task) string {
	var b strings.Builder
	fmt.Fprintf(&b, "compact %v to L%d", task.Inputs, task.OutputLevel)
	if task.MaxOutputBytes > 0 {
		fmt.Fprintf(&b, ", split at %s", formatBytes(task.MaxOutputBytes))
	}
	fmt.Fprintf(&b, "\n  %s\n", task.Reason)
	return b.String()
}

// summarize prints the file count and bytes of each level.
func summarize(tables []Table) string {
	var b strings.Builder
	for l := range maxLevels {
		var n, size int64
		for _, t := range tables {
			if t.Level == l {
				n++
				size += t.Size
			}
		}
		if n > 0 {
			fmt.Fprintf(&b, "L%d: %d files, %s\n", l, n, formatBytes(size))
		}
	}
	return b.String()
}

func parseTables(input string) ([]Table, error) {
	var tables []Table
	for line := range strings.Lines(input) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		id, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("table id %q: %w", fields[0], err)
		}
		t := Table{
			ID:                   id,
			MinKey:               mutation.Key{Token: math.MinInt64},
			MaxKey:               mutation.Key{Token: math.MaxInt64},
			MaxLocalDeletionTime: math.MaxInt64,
		}
		for _, f := range fields[1:] {
			k, v, _ := strings.Cut(f, "=")
			var err error
			switch k {
			case "size":
				t.Size, err = parseBytes(v)
			case "level":
				t.Level, err = strconv.Atoi(v)
			case "keys":
				lo, hi, _ := strings.Cut(v, "..")
				if t.MinKey, err = parseKey(lo); err == nil {
					t.MaxKey, err = parseKey(hi)
				}
			case "ts":
				lo, hi, _ := strings.Cut(v, "..")
				var dlo, dhi time.Duration
				if dlo, err = time.ParseDuration(lo); err == nil {
					dhi, err = time.ParseDuration(hi)
				}
				t.MinTimestamp, t.MaxTimestamp = dlo.Microseconds(), dhi.Microseconds()
			case "ldt":
				t.MaxLocalDeletionTime, err = strconv.ParseInt(v, 10, 64)
			case "parts":
				t.Partitions, err = strconv.ParseInt(v, 10, 64)
			case "drop":
				t.DroppableTombstones, err = strconv.ParseInt(v, 10, 64)
			case "created":
				var dur time.Duration
				dur, err = time.ParseDuration(v)
				t.CreatedAt = time.Unix(0, 0).Add(dur)
			case "compacting":
				t.Compacting = true
			default:
				err = fmt.Errorf("unknown field")
			}
			if err != nil {
				return nil, fmt.Errorf("table %d: %s: %w", id, f, err)
			}
		}
		tables = append(tables, t)
	}
	return tables, nil
}

func parseBytes(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult = 1 << 10
	case strings.HasSuffix(s, "M"):
		mult = 1 << 20
	case strings.HasSuffix(s, "G"):
		mult = 1 << 30
	}
	if mult > 1 {
		s = s[:len(s)-1]
	}
	f, err := strconv.ParseFloat(s, 64)
	return int64(f * float64(mult)), err
}

func parseKey(s string) (mutation.Key, error) {
	tok, b, hasBytes := strings.Cut(s, "/")
	n, err := strconv.ParseInt(tok, 10, 64)
	k := mutation.Key{Token: n}
	if hasBytes {
		k.Bytes = []byte(b)
	}
	return k, err
}
