package engine

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
)

// WriteTable prints the results as a table, with notes on what they mean.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "round\tengine\tworkload\tops\tops/s\tcpu µs/op\tp50 µs\tp99 µs\tnot found\twrite amp\tspace amp\tpeak RSS MiB\tstart RSS MiB\t")
	for _, x := range r.Results {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%.0f\t%.1f\t%.1f\t%.1f\t%d\t%.2f\t%.2f\t%.0f\t%.0f\t\n",
			x.Round, x.Engine, x.Workload, x.Ops, x.OpsPerS, x.CPUusPerOp, x.P50us, x.P99us, x.NotFound, x.WriteAmp, x.SpaceAmp, float64(x.PeakRSS)/(1<<20), float64(x.StartRSS)/(1<<20))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if err := r.writeSummary(w); err != nil {
		return err
	}
	c := r.Config
	fmt.Fprintf(w, "\nrecords %d, operations %d, threads %d, %d fields x %d B of %s; memtable %d MiB, block cache %d MiB, block %d KiB, %s, bloom ~1%% fp, WAL unsynced per write\n",
		c.Records, c.Operations, c.Threads, c.Fields, c.FieldLength, cmp.Or(c.Values, RandomValues), c.MemtableSize>>20, c.CacheSize>>20, c.BlockSize>>10, cmp.Or(c.Compression, "snappy"))
	if c.MemoryLimit > 0 {
		fmt.Fprintf(w, "Go soft memory limit %d MiB (memtable + cache + 256 MiB unless set)\n", c.MemoryLimit>>20)
	} else {
		fmt.Fprintln(w, "no Go memory limit")
	}
	fmt.Fprintf(w, "%d round(s); engines ran one after the other, the order reversed every other round; write amp = SSTable bytes (flush+compaction) / user bytes, WAL excluded, cumulative; space amp = live SSTable bytes / user bytes\n", c.Rounds)
	if r.PeakRSSPerEngine {
		fmt.Fprintln(w, "peak RSS = process VmHWM, reset before each engine started (so per engine), cumulative over its workloads; start RSS = VmRSS then, what earlier engines left resident (glibc keeps Pebble's cgo-allocated memory after free), part of the peak")
	} else {
		fmt.Fprintln(w, "peak RSS = process VmHWM, could not be reset: a later engine's figure includes the earlier ones'")
	}
	// Both engines hold at most two memtables: the active one and one
	// being flushed (Pebble's MemTableStopWritesThreshold 2).
	budget := 2*c.MemtableSize + c.CacheSize + 256<<20
	fmt.Fprintf(w, "memory budget = memtables (2 x %d MiB: active + flushing) + cache %d MiB + 256 MiB = %d MiB; highest peak RSS after a load, by engine:",
		c.MemtableSize>>20, c.CacheSize>>20, budget>>20)
	for _, e := range c.Engines {
		var peak, own int64
		for _, x := range r.Results {
			if x.Engine == e && (x.Workload == "load" || x.Workload == "slice-load") {
				peak = max(peak, x.PeakRSS)
				own = max(own, x.PeakRSS-x.StartRSS)
			}
		}
		if peak > 0 {
			fmt.Fprintf(w, " %s %d MiB (%d above its start RSS)", e, peak>>20, own>>20)
		}
	}
	fmt.Fprintln(w)
	return nil
}

// WriteJSON prints one JSON object per line, per engine and workload.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	for _, x := range r.Results {
		if err := enc.Encode(x); err != nil {
			return err
		}
	}
	return nil
}

// writeSummary prints, per workload, each engine's median throughput and
// latencies over the rounds and the ratio of the first engine's median
// throughput to each other's, with the per-round ratios beside it.
func (r *Report) writeSummary(w io.Writer) error {
	engines := r.Config.Engines
	if len(engines) < 2 {
		return nil
	}
	type key struct{ engine, workload string }
	runs := map[key][]Result{}
	var workloads []string
	for _, x := range r.Results {
		k := key{x.Engine, x.Workload}
		if len(runs[k]) == 0 && !slices.Contains(workloads, x.Workload) {
			workloads = append(workloads, x.Workload)
		}
		runs[k] = append(runs[k], x)
	}
	median := func(rs []Result, f func(Result) float64) float64 {
		v := make([]float64, len(rs))
		for i, x := range rs {
			v[i] = f(x)
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "workload\tengine\tmedian ops/s\tp50 µs\tp99 µs\t%s / engine\tper round\tby cpu µs/op, per round\t\n", engines[0])
	for _, wl := range workloads {
		base := runs[key{engines[0], wl}]
		for _, e := range engines {
			rs := runs[key{e, wl}]
			if len(rs) == 0 {
				continue
			}
			ops := median(rs, func(x Result) float64 { return x.OpsPerS })
			ratio, per, perCPU := "", "", ""
			if e != engines[0] && len(base) == len(rs) && ops > 0 {
				ratio = fmt.Sprintf("%.2fx", median(base, func(x Result) float64 { return x.OpsPerS })/ops)
				for i := range rs {
					per += fmt.Sprintf(" %.2f", base[i].OpsPerS/rs[i].OpsPerS)
					// The other engine's CPU per op over ours: above 1 when ours is cheaper.
					if base[i].CPUusPerOp > 0 {
						perCPU += fmt.Sprintf(" %.2f", rs[i].CPUusPerOp/base[i].CPUusPerOp)
					}
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.1f\t%.1f\t%s\t%s\t%s\t\n", wl, e, ops,
				median(rs, func(x Result) float64 { return x.P50us }),
				median(rs, func(x Result) float64 { return x.P99us }), ratio, per, perCPU)
		}
	}
	return tw.Flush()
}
