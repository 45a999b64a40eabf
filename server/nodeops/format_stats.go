package nodeops

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// statsCommands show the node's statistics.
var statsCommands = []Command{
	{Name: "tablestats", Args: "[KEYSPACE [TABLE...]]", MaxArgs: -1,
		Help:    "each table's SSTables, space, partitions, local read and write counts and latencies, bloom filter and tombstones",
		Request: plain("tablestats"), Print: decoded(printTableStats)},
	{Name: "tablehistograms", Args: "KEYSPACE TABLE | KEYSPACE.TABLE", MinArgs: 1, MaxArgs: 2,
		Help:    "percentiles of a table's local read and write latency, SSTables and tombstones per read",
		Request: plain("tablehistograms"), Print: decoded(printHistograms)},
	{Name: "proxyhistograms", MaxArgs: 0,
		Help:    "percentiles of the latency of the client requests the node coordinated: reads, writes, range reads",
		Request: plain("proxyhistograms"), Print: decoded(printProxyHistograms)},
	{Name: "tpstats", MaxArgs: 0,
		Help: "the node's pools of work (CQL request workers, mutation apply, reads, flush, compaction, hint replay, " +
			"internode, streaming): active, pending, completed, blocked; and the work dropped, by kind",
		Request: plain("tpstats"), Print: printTPStats},
	{Name: "compactionstats", MaxArgs: 0,
		Help:    "the tables with compactions waiting, and the compactions running with their progress",
		Request: plain("compactionstats"), Print: decoded(printCompactionStats)},
	{Name: "indexstats", MaxArgs: 0,
		Help:    "the secondary indexes on this node: SSTables built of those that existed at CREATE INDEX, building or built",
		Request: plain("indexstats"), Print: decoded(printIndexStats)},
}

func printTableStats(w io.Writer, tables []TableStats) error {
	fmt.Fprintf(w, "Total number of tables: %d\n----------------\n", len(tables))
	ks := ""
	for _, t := range tables {
		if t.Keyspace != ks {
			ks = t.Keyspace
			fmt.Fprintf(w, "Keyspace : %s\n", ks)
		}
		pending := 0
		if t.CompactionPending {
			pending = 1
		}
		lines := [][2]string{
			{"Table", t.Table},
			{"SSTable count", fmt.Sprint(t.SSTables)},
			{"Space used (live)", fmt.Sprint(t.LiveBytes)},
			{"Number of partitions (estimate)", fmt.Sprint(t.Partitions)},
			{"Number of rows (estimate)", fmt.Sprint(t.Rows)},
			{"Memtable data size", fmt.Sprint(t.MemtableBytes)},
			{"Local read count", fmt.Sprint(t.Reads)},
			{"Local read latency", latencyMS(t.ReadLatencyMean, t.Reads)},
			{"Local write count", fmt.Sprint(t.Writes)},
			{"Local write latency", latencyMS(t.WriteLatencyMean, t.Writes)},
			{"Local range read count", fmt.Sprint(t.RangeReads)},
			{"Pending compactions", fmt.Sprint(pending)},
			{"Bloom filter false positives", fmt.Sprint(t.BloomFalsePos)},
			{"Bloom filter false ratio", fmt.Sprintf("%.5f", t.BloomFalseRatio)},
			{"Tombstones (estimate)", fmt.Sprint(t.Tombstones)},
			{"Compacted partition mean bytes", fmt.Sprint(t.MeanPartitionBytes)},
			{"Average tombstones per read", fmt.Sprintf("%.1f", t.TombstonesPerRead)},
			{"Maximum tombstones per read", fmt.Sprint(t.MaxTombstones)},
		}
		for _, l := range lines {
			fmt.Fprintf(w, "\t\t%s: %s\n", l[0], l[1])
		}
		fmt.Fprintln(w, "")
	}
	_, err := fmt.Fprintln(w, "----------------")
	return err
}

// latencyMS prints a mean latency in microseconds as nodetool does, in
// milliseconds (NaN with nothing counted).
func latencyMS(us float64, n uint64) string {
	if n == 0 {
		return "NaN ms"
	}
	return fmt.Sprintf("%.3f ms", us/1000)
}

func printHistograms(w io.Writer, h Histograms) error {
	fmt.Fprintf(w, "%s/%s histograms\n", h.Keyspace, h.Table)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "Percentile\tRead Latency\tWrite Latency\tSSTables\tTombstones\t")
	fmt.Fprintln(tw, "\t(micros)\t(micros)\t\t\t")
	for i, p := range h.Percentiles {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", percentName(p), h.ReadUS[i], h.WriteUS[i], h.SSTables[i], h.Tombstones[i])
	}
	return tw.Flush()
}

func printProxyHistograms(w io.Writer, h ProxyHistograms) error {
	fmt.Fprintln(w, "proxy histograms")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "Percentile\tRead Latency\tWrite Latency\tRange Latency\t")
	fmt.Fprintln(tw, "\t(micros)\t(micros)\t(micros)\t")
	for i, p := range h.Percentiles {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t\n", percentName(p), h.ReadUS[i], h.WriteUS[i], h.RangeUS[i])
	}
	return tw.Flush()
}

// percentName names a percentile row as nodetool does: 50%, ..., Max.
func percentName(p float64) string {
	if p == 1 {
		return "Max"
	}
	return fmt.Sprintf("%g%%", 100*p)
}

func printCompactionStats(w io.Writer, cs CompactionStats) error {
	fmt.Fprintf(w, "pending tasks: %d\n", cs.PendingTables)
	if len(cs.Running) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "keyspace\ttable\tcompaction\tfiles\tcompleted\ttotal\tunit\tprogress\t")
		for _, c := range cs.Running {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\tbytes\t%5.2f%% %s\t\n", c.Keyspace, c.Table, c.Reason, c.Files,
				int64(c.Done*float64(c.Bytes)), c.Bytes, 100*c.Done, bar(c.Done, 20))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	limit := "unlimited"
	if cs.ThroughputBytes > 0 {
		limit = fmt.Sprintf("%.0f MiB/s", float64(cs.ThroughputBytes)/mib)
	}
	_, err := fmt.Fprintf(w, "Compaction throughput: %s\n", limit)
	return err
}

// bar draws done (0-1) as a progress bar of n cells.
func bar(done float64, n int) string {
	k := min(n, max(0, int(done*float64(n)+0.5)))
	return "[" + strings.Repeat("#", k) + strings.Repeat("-", n-k) + "]"
}
