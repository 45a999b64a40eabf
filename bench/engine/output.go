package engine

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteTable prints the results as a table, with notes on what they mean.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "engine\tworkload\tops\tops/s\tp50 µs\tp99 µs\tnot found\twrite amp\tpeak RSS MiB\t")
	for _, x := range r.Results {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%.1f\t%.1f\t%d\t%.2f\t%.0f\t\n",
			x.Engine, x.Workload, x.Ops, x.OpsPerS, x.P50us, x.P99us, x.NotFound, x.WriteAmp, float64(x.PeakRSS)/(1<<20))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	c := r.Config
	fmt.Fprintf(w, "\nrecords %d, operations %d, threads %d, %d fields x %d B; memtable %d MiB, block cache %d MiB, block %d KiB, snappy, bloom ~1%% fp, WAL unsynced per write\n",
		c.Records, c.Operations, c.Threads, c.Fields, c.FieldLength, c.MemtableSize>>20, c.CacheSize>>20, c.BlockSize>>10)
	fmt.Fprintln(w, "engines ran one after the other in this order; write amp = SSTable bytes (flush+compaction) / user bytes, WAL excluded, cumulative")
	if r.PeakRSSPerEngine {
		fmt.Fprintln(w, "peak RSS = process VmHWM, reset before each engine started (so per engine), cumulative over its workloads")
	} else {
		fmt.Fprintln(w, "peak RSS = process VmHWM, could not be reset: a later engine's figure includes the earlier ones'")
	}
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
