// Package nodeops serves the operator's requests about one node's own
// storage and process (wcdb admin flush, compact, snapshot, listsnapshots,
// clearsnapshot, get/setcompactionthroughput, get/setlogginglevel,
// version, and the statistics: tablestats, tpstats, ...), as nodetool does for Cassandra. The server hands it the admin
// requests it does not serve itself; answers are JSON of the types below,
// which the command line also uses to print them.
package nodeops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"wcdb/cluster"
	"wcdb/compaction"
	"wcdb/internal/metrics"
	"wcdb/internal/vfs"
	"wcdb/query/catalog"
	"wcdb/schema"
	"wcdb/storage"
	"wcdb/storage/snapshot"
)

// Ops serves the requests of one node.
type Ops struct {
	FS vfs.FS
	// Root is the node's data directory (storage's Options.Dir).
	Root    string
	Engine  *storage.Engine
	Catalog func() *catalog.Catalog
	Log     *slog.Logger
	// Level is the node's log level, nil if it cannot change (the
	// process that made the logger sets it).
	Level atomic.Pointer[slog.LevelVar]
	// Version is the node's release.
	Version string
	// Now is the clock (time.Now if nil).
	Now func() time.Time

	// The node in its cluster, for info, ring, describecluster,
	// gossipinfo and drain.
	HostID, ClusterName string
	Started             time.Time
	MemoryLimit         int64 // the memory budget (memory_limit)
	// Membership is the node's view of the cluster (nil before it joins).
	Membership func() *cluster.Membership
	// NativeActive reports whether the CQL server serves; Stopped whether
	// a disk failure policy stopped the transports.
	NativeActive, Stopped func() bool
	// StopTransports stops the CQL server and gossip (drain).
	StopTransports func()
	// Requests are the client requests the node coordinated.
	Requests *metrics.ClientRequests
	// Pools are the counters of tpstats.
	Pools PoolSources
	// TraceProbability and SetTraceProbability read and set the share of
	// requests traced without asking (the CQL server's); nil before it
	// serves.
	TraceProbability    func() float64
	SetTraceProbability func(float64)
	// RefreshSizeEstimates rewrites system.size_estimates and
	// system.table_estimates, returning how many tables they cover.
	RefreshSizeEstimates func(ctx context.Context) (int, error)
	// CompactionShare paces compaction while requests run (get/
	// setcompactioncpushare); nil: none.
	CompactionShare *compaction.Share

	drained atomic.Bool
}

// TableResult is what flush and compact did to each table.
type TableResult struct {
	Tables []string `json:"tables"`
	Millis int64    `json:"millis"`
	// Files counts the SSTables rewritten (recompress_sstables); Current
	// those left as they were, already in the table's compression.
	Files   int `json:"files,omitempty"`
	Current int `json:"current,omitempty"`
}

// SnapshotResult answers snapshot.
type SnapshotResult struct {
	Tag    string   `json:"tag"`
	Tables []string `json:"tables"`
	Files  int      `json:"files"`
}

// Throughput answers get/setcompactionthroughput: bytes per second, 0 for
// unlimited.
type Throughput struct {
	BytesPerSec int64 `json:"bytes_per_sec"`
}

// Probability answers gettraceprobability and settraceprobability.
type Probability struct {
	Value float64 `json:"probability"`
}

// parseProbability reads settraceprobability's argument, 0 to 1.
func parseProbability(args []string) (float64, error) {
	if len(args) == 1 {
		if p, err := strconv.ParseFloat(args[0], 64); err == nil && p >= 0 && p <= 1 {
			return p, nil
		}
	}
	return 0, fmt.Errorf("settraceprobability wants a probability from 0 to 1, got %q", args)
}

// CPUShare answers get/setcompactioncpushare: the share of a core
// compaction gets while requests run (0: no pacing).
type CPUShare struct {
	Value float64 `json:"cpu_share"`
}

// Count answers refreshsizeestimates: the tables covered.
type Count struct {
	Tables int `json:"tables"`
}

// Version answers version.
type Version struct {
	Release string `json:"release"`
}

// Handle serves args if it is the request of one of Commands; handled is
// false otherwise.
func (o *Ops) Handle(ctx context.Context, args []string) (answer []byte, handled bool, err error) {
	if len(args) == 0 {
		return nil, false, nil
	}
	if _, ok := Lookup(args[0]); !ok {
		return nil, false, nil
	}
	v, err := o.serve(ctx, args[0], args[1:])
	if err != nil {
		return nil, true, err
	}
	b, err := json.Marshal(v)
	return b, true, err
}

func (o *Ops) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o *Ops) serve(ctx context.Context, req string, args []string) (any, error) {
	switch req {
	case "flush", "compact", "recompress_sstables":
		return o.eachTable(ctx, req, args)
	case "snapshot":
		return o.snapshot(ctx, args)
	case "listsnapshots":
		if len(args) != 0 {
			return nil, errors.New("usage: listsnapshots")
		}
		infos, err := snapshot.List(o.FS, o.Root)
		if infos == nil {
			infos = []snapshot.Info{}
		}
		return infos, err
	case "clearsnapshot":
		// clearsnapshot TAG|"" [KEYSPACE...]: "" clears every snapshot.
		if len(args) == 0 {
			return nil, errors.New("usage: clearsnapshot TAG|'' [KEYSPACE...]")
		}
		removed, err := snapshot.Clear(o.FS, o.Root, args[0], args[1:])
		if err == nil {
			o.Log.Info("snapshots cleared", "tags", removed, "keyspaces", args[1:])
		}
		if removed == nil {
			removed = []string{}
		}
		return removed, err
	case "gettraceprobability", "settraceprobability":
		if o.TraceProbability == nil || o.SetTraceProbability == nil {
			return nil, errors.New("the node serves no CQL")
		}
		if req == "settraceprobability" {
			p, err := parseProbability(args)
			if err != nil {
				return nil, err
			}
			o.SetTraceProbability(p)
			o.Log.Info("trace probability set", "probability", p)
		}
		return Probability{o.TraceProbability()}, nil
	case "refreshsizeestimates":
		if o.RefreshSizeEstimates == nil {
			return nil, errors.New("this node records no size estimates")
		}
		n, err := o.RefreshSizeEstimates(ctx)
		return Count{n}, err
	case "getcompactionthroughput":
		return Throughput{o.Engine.CompactionThroughput()}, nil
	case "setcompactionthroughput":
		if len(args) != 1 {
			return nil, errors.New("usage: setcompactionthroughput BYTES_PER_SECOND")
		}
		n, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("setcompactionthroughput: %q is not a non-negative number of bytes per second", args[0])
		}
		o.Engine.SetCompactionThroughput(n)
		o.Log.Info("compaction throughput changed", "bytes_per_sec", n)
		return Throughput{n}, nil
	case "getcompactioncpushare", "setcompactioncpushare":
		if o.CompactionShare == nil {
			return nil, errors.New("this node paces no compaction")
		}
		if req == "setcompactioncpushare" {
			p, err := strconv.ParseFloat(strings.Join(args, ""), 64)
			if len(args) != 1 || err != nil || !(p >= 0 && p <= 1) {
				return nil, fmt.Errorf("setcompactioncpushare wants a share of a core from 0 to 1, got %q", args)
			}
			o.CompactionShare.SetShare(p)
			o.Log.Info("compaction CPU share changed", "cpu_share", p)
		}
		return CPUShare{o.CompactionShare.CPUShare()}, nil
	case "getlogginglevel":
		lv := o.Level.Load()
		if lv == nil {
			return "", errors.New("this node's log level is fixed")
		}
		return lv.Level().String(), nil
	case "setlogginglevel":
		if len(args) != 1 {
			return nil, errors.New("usage: setlogginglevel DEBUG|INFO|WARN|ERROR")
		}
		lv := o.Level.Load()
		if lv == nil {
			return nil, errors.New("this node's log level is fixed")
		}
		var l slog.Level
		if err := l.UnmarshalText([]byte(strings.ToUpper(args[0]))); err != nil {
			return nil, fmt.Errorf("setlogginglevel: %q is not a level (DEBUG, INFO, WARN, ERROR)", args[0])
		}
		lv.Set(l)
		o.Log.Log(ctx, max(l, slog.LevelInfo), "log level changed", "level", l.String())
		return l.String(), nil
	case "version":
		return Version{o.Version}, nil
	case "tablestats":
		return o.tablestats(args)
	case "tablehistograms":
		return o.tablehistograms(args)
	case "compactionstats":
		return o.compactionstats()
	case "indexstats":
		return o.indexstats()
	case "proxyhistograms":
		return o.proxyhistograms()
	case "tpstats":
		return o.tpstats()
	case "info":
		return o.info()
	case "gossipinfo":
		return o.nodes()
	case "describecluster":
		return o.describecluster()
	case "ring":
		return o.ring()
	case "drain":
		return o.drain(ctx)
	case "import":
		return o.importDir(args)
	}
	return nil, fmt.Errorf("unknown request %q", req)
}

// tableRef is a table named by an operator, with its storage.
type tableRef struct {
	ks, name string
	t        *storage.Table
}

// tables resolves [KEYSPACE [TABLE...]] to the tables with storage on
// this node: every keyspace's when none is named, system ones included
// (as nodetool flush and snapshot do).
func (o *Ops) tables(args []string) ([]tableRef, error) {
	cat := o.Catalog()
	keyspaces := cat.Keyspaces()
	if len(args) > 0 {
		if cat.Keyspace(args[0]) == nil {
			return nil, fmt.Errorf("keyspace %q does not exist", args[0])
		}
		keyspaces = args[:1]
	}
	var out []tableRef
	for _, ks := range keyspaces {
		var tables []*schema.Table
		if len(args) > 1 {
			for _, name := range args[1:] {
				t := cat.Table(ks, name)
				if t == nil {
					return nil, fmt.Errorf("table %s.%s does not exist", ks, name)
				}
				tables = append(tables, t)
			}
		} else {
			tables = cat.Tables(ks)
		}
		for _, t := range tables {
			if st := o.Engine.Table(t.ID); st != nil {
				out = append(out, tableRef{ks: ks, name: t.Name, t: st})
			}
		}
	}
	return out, nil
}

// eachTable flushes or major-compacts the tables named.
func (o *Ops) eachTable(ctx context.Context, req string, args []string) (*TableResult, error) {
	refs, err := o.tables(args)
	if err != nil {
		return nil, err
	}
	start := o.now()
	res := &TableResult{Tables: []string{}}
	for _, r := range refs {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		switch req {
		case "flush":
			err = r.t.Flush()
		case "recompress_sstables":
			var n, current int
			n, current, err = r.t.Recompress()
			res.Files += n
			res.Current += current
		default:
			err = r.t.Compact()
		}
		if err != nil {
			return res, fmt.Errorf("%s of %s.%s: %w", req, r.ks, r.name, err)
		}
		res.Tables = append(res.Tables, r.ks+"."+r.name)
	}
	res.Millis = o.now().Sub(start).Milliseconds()
	o.Log.Info(req+" done", "tables", len(res.Tables), "millis", res.Millis)
	return res, nil
}

// snapshot serves snapshot TAG [KEYSPACE [TABLE...]]: the tables are
// flushed, then linked (nodetool snapshot; "" for the tag takes the
// current time in milliseconds, as nodetool does).
func (o *Ops) snapshot(ctx context.Context, args []string) (*SnapshotResult, error) {
	if len(args) == 0 {
		return nil, errors.New("usage: snapshot TAG|'' [KEYSPACE [TABLE...]]")
	}
	tag := args[0]
	if tag == "" {
		tag = strconv.FormatInt(o.now().UnixMilli(), 10)
	}
	if err := snapshot.CheckTag(tag); err != nil {
		return nil, err
	}
	refs, err := o.tables(args[1:])
	if err != nil {
		return nil, err
	}
	cat := o.Catalog()
	tables := make([]snapshot.Table, 0, len(refs))
	res := &SnapshotResult{Tag: tag, Tables: []string{}}
	for _, r := range refs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := r.t.Flush(); err != nil {
			return nil, fmt.Errorf("flush of %s.%s: %w", r.ks, r.name, err)
		}
		tables = append(tables, snapshot.Table{Keyspace: r.ks, Name: r.name, Schema: cat.TableCQL(r.ks, r.name), T: r.t})
		res.Tables = append(res.Tables, r.ks+"."+r.name)
	}
	if res.Files, err = snapshot.Take(o.FS, o.Root, tag, tables, o.now()); err != nil {
		return nil, err
	}
	o.Log.Info("snapshot taken", "tag", tag, "tables", len(tables), "files", res.Files)
	return res, nil
}
