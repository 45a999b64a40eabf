package nodeops

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"wcdb/internal/units"
)

// clusterCommands show the node in its cluster, drain it and import
// SSTables.
var clusterCommands = []Command{
	{Name: "info", MaxArgs: 0, Help: "the node: host id, transports, load, uptime, heap, datacenter and rack, tokens, block cache",
		Request: plain("info"), Print: decoded(printInfo)},
	{Name: "ring", MaxArgs: 0, Help: "every token of the ring with its node, state and ownership, as nodetool ring",
		Request: plain("ring"), Print: decoded(printRing)},
	{Name: "describecluster", MaxArgs: 0, Help: "the cluster's name, snitch, partitioner and the schema versions of its live nodes",
		Request: plain("describecluster"), Print: decoded(printDescribeCluster)},
	{Name: "gossipinfo", MaxArgs: 0, Help: "what gossip says of each node: status, schema, versions, addresses, tokens",
		Request: plain("gossipinfo"), Print: decoded(printGossipInfo)},
	{Name: "drain", MaxArgs: 0, Long: true,
		Help: "stop serving clients and gossip (the other nodes see this one down) and flush every table, " +
			"before a stop or an upgrade; the node serves again once restarted",
		Request: plain("drain"), Print: printTables("drained: flushed")},
	{Name: "import", Args: "KEYSPACE TABLE DIRECTORY", MinArgs: 3, MaxArgs: 3, Long: true,
		Help: "add the SSTables (*.sst) of DIRECTORY, on the node's machine, to the table: each checked and added " +
			"atomically, as nodetool import; the files stay where they are",
		Request: plain("import"),
		Print: func(w io.Writer, b []byte) error {
			var r ImportResult
			if err := json.Unmarshal(b, &r); err != nil {
				return err
			}
			_, err := fmt.Fprintf(w, "imported %d files (%s, %d partitions)\n", r.Files, units.Bytes(r.Bytes), r.Partitions)
			return err
		}},
}

func printInfo(w io.Writer, in Info) error {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	limit := "none"
	if in.HeapLimitBytes > 0 {
		limit = fmt.Sprintf("%.2f", float64(in.HeapLimitBytes)/mib)
	}
	ratio := "NaN"
	if n := in.CacheHits + in.CacheMisses; n > 0 {
		ratio = fmt.Sprintf("%.3f", float64(in.CacheHits)/float64(n))
	}
	for _, l := range [][2]string{
		{"ID", in.HostID},
		{"Gossip active", fmt.Sprint(in.GossipActive)},
		{"Native Transport active", fmt.Sprint(in.NativeActive)},
		{"Load", units.Bytes(in.LoadBytes)},
		{"Uptime (seconds)", fmt.Sprintf("%.0f", in.UptimeSeconds)},
		{"Heap Memory (MB)", fmt.Sprintf("%.2f / %s", float64(in.HeapUsedBytes)/mib, limit)},
		{"Data Center", in.DataCenter},
		{"Rack", in.Rack},
		{"Token", fmt.Sprintf("(node has %d tokens)", in.Tokens)},
		{"State", in.State},
		{"Drained", fmt.Sprint(in.Drained)},
		{"Live SSTables", fmt.Sprint(in.LiveSSTables)},
		{"Pending compactions", fmt.Sprint(in.PendingCompacts)},
		{"Block Cache", fmt.Sprintf("size %s, %d hits, %d misses, %s recent hit rate", units.Bytes(in.CacheBytes), in.CacheHits, in.CacheMisses, ratio)},
		{"Commit log written", units.Bytes(in.CommitLogBytes)},
		{"Release version", in.ReleaseVersion},
	} {
		fmt.Fprintf(tw, "%s\t: %s\n", l[0], l[1])
	}
	return tw.Flush()
}

func printRing(w io.Writer, ring []RingEntry) error {
	// A block per datacenter, in token order, as nodetool ring.
	dcs := []string{}
	for _, e := range ring {
		if !slices.Contains(dcs, e.DataCenter) {
			dcs = append(dcs, e.DataCenter)
		}
	}
	slices.Sort(dcs)
	for _, dc := range dcs {
		fmt.Fprintf(w, "\nDatacenter: %s\n==========\n", dc)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "Address\tRack\tStatus\tState\tOwns\tToken")
		for _, e := range ring {
			if e.DataCenter != dc {
				continue
			}
			up := "Down"
			if e.Up {
				up = "Up"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.2f%%\t%d\n", e.Address, e.Rack, up, e.State, 100*e.Owns, e.Token)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func printDescribeCluster(w io.Writer, d ClusterDescription) error {
	fmt.Fprintf(w, "Cluster Information:\n\tName: %s\n\tSnitch: %s\n\tPartitioner: %s\n\tSchema versions:\n", d.Name, d.Snitch, d.Partitioner)
	versions := make([]string, 0, len(d.SchemaVersions))
	for v := range d.SchemaVersions {
		versions = append(versions, v)
	}
	slices.Sort(versions)
	for _, v := range versions {
		fmt.Fprintf(w, "\t\t%s: %v\n\n", v, d.SchemaVersions[v])
	}
	if len(d.Unreachable) > 0 {
		fmt.Fprintf(w, "\t\tUNREACHABLE: %v\n", d.Unreachable)
	}
	if len(versions) > 1 {
		_, err := fmt.Fprintln(w, "\tWARNING: the live nodes disagree on the schema")
		return err
	}
	return nil
}

func printGossipInfo(w io.Writer, nodes []NodeState) error {
	for _, n := range nodes {
		fmt.Fprintf(w, "/%s\n", n.Address)
		status := n.Status
		if !n.Up {
			status += fmt.Sprintf(" (down for %s)", time.Duration(n.DownSeconds*float64(time.Second)).Round(time.Second))
		}
		for _, l := range [][2]string{
			{"STATUS", status},
			{"SCHEMA", n.SchemaVersion},
			{"DC", n.DataCenter},
			{"RACK", n.Rack},
			{"RELEASE_VERSION", n.ReleaseVersion},
			{"RPC_ADDRESS", n.CQLAddress},
			{"HOST_ID", n.HostID},
			{"TOKENS", fmt.Sprintf("<%d>", n.Tokens)},
		} {
			fmt.Fprintf(w, "  %s:%s\n", l[0], l[1])
		}
	}
	return nil
}
