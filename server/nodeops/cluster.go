package nodeops

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"wcdb/cluster"
	"wcdb/storage"
)

// The requests about the node in its cluster (info, ring,
// describecluster, gossipinfo), drain and import. The server gives Ops
// what they need as fields: the membership and the node's own hooks.

// Info answers info, as nodetool info.
type Info struct {
	HostID          string  `json:"host_id"`
	GossipActive    bool    `json:"gossip_active"`
	NativeActive    bool    `json:"native_transport_active"`
	LoadBytes       int64   `json:"load_bytes"`
	UptimeSeconds   float64 `json:"uptime_seconds"`
	HeapUsedBytes   uint64  `json:"heap_used_bytes"`
	HeapLimitBytes  int64   `json:"heap_limit_bytes"`
	DataCenter      string  `json:"data_center"`
	Rack            string  `json:"rack"`
	Tokens          int     `json:"tokens"`
	State           string  `json:"state"`
	Drained         bool    `json:"drained"`
	CacheHits       int64   `json:"block_cache_hits"`
	CacheMisses     int64   `json:"block_cache_misses"`
	CacheBytes      int64   `json:"block_cache_bytes"`
	ReleaseVersion  string  `json:"release_version"`
	CommitLogBytes  int64   `json:"commitlog_bytes_written"`
	LiveSSTables    int     `json:"live_sstables"`
	PendingCompacts int     `json:"pending_compactions"`
}

// NodeState is one node in gossipinfo and describecluster.
type NodeState struct {
	HostID         string `json:"host_id"`
	Address        string `json:"address"`
	CQLAddress     string `json:"rpc_address"`
	DataCenter     string `json:"dc"`
	Rack           string `json:"rack"`
	Status         string `json:"status"`
	Up             bool   `json:"up"`
	SchemaVersion  string `json:"schema"`
	ReleaseVersion string `json:"release_version"`
	Tokens         int    `json:"tokens"`
	// DownSeconds: how long it has been down (0 while up).
	DownSeconds float64 `json:"down_seconds,omitempty"`
}

// ClusterDescription answers describecluster.
type ClusterDescription struct {
	Name        string `json:"name"`
	Snitch      string `json:"snitch"`
	Partitioner string `json:"partitioner"`
	// SchemaVersions maps each schema version the live nodes announce to
	// their addresses; Unreachable lists the nodes down.
	SchemaVersions map[string][]string `json:"schema_versions"`
	Unreachable    []string            `json:"unreachable"`
}

// RingEntry is one token of the ring, as nodetool ring lists it.
type RingEntry struct {
	Address    string  `json:"address"`
	DataCenter string  `json:"dc"`
	Rack       string  `json:"rack"`
	Up         bool    `json:"up"`
	State      string  `json:"state"`
	Owns       float64 `json:"owns"`
	Token      int64   `json:"token"`
}

// ImportResult answers import.
type ImportResult struct {
	Files      int   `json:"files"`
	Bytes      int64 `json:"bytes"`
	Partitions int64 `json:"partitions"`
}

func (o *Ops) membership() (*cluster.Membership, error) {
	if o.Membership == nil {
		return nil, errors.New("the node has not joined its cluster yet")
	}
	m := o.Membership()
	if m == nil {
		return nil, errors.New("the node has not joined its cluster yet")
	}
	return m, nil
}

func host(hostport string) string {
	h, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport
	}
	return h
}

func (o *Ops) info() (*Info, error) {
	in := &Info{HostID: o.HostID, ReleaseVersion: o.Version, UptimeSeconds: o.now().Sub(o.Started).Seconds(),
		HeapLimitBytes: o.MemoryLimit, Drained: o.drained.Load()}
	if o.NativeActive != nil {
		in.NativeActive = o.NativeActive()
	}
	if m, err := o.membership(); err == nil {
		local := m.Local()
		in.GossipActive = !in.Drained && o.Stopped != nil && !o.Stopped()
		in.DataCenter, in.Rack, in.Tokens, in.State = local.DC, local.Rack, len(local.Tokens), local.Status.String()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	in.HeapUsedBytes = ms.HeapAlloc
	for _, t := range o.Engine.Tables() {
		st := t.Status()
		in.LoadBytes += st.LiveBytes
		in.LiveSSTables += st.LiveSSTables
		if st.CompactionPending {
			in.PendingCompacts++
		}
	}
	cs := o.Engine.CacheStats()
	in.CacheHits, in.CacheMisses, in.CacheBytes = cs.Hits, cs.Misses, cs.Size
	in.CommitLogBytes = o.Engine.CommitLogMetrics().BytesWritten.Load()
	return in, nil
}

func (o *Ops) nodes() ([]NodeState, error) {
	m, err := o.membership()
	if err != nil {
		return nil, err
	}
	now := o.now()
	var out []NodeState
	for _, n := range m.Nodes() {
		ns := NodeState{HostID: string(n.ID), Address: host(n.InternodeAddr), CQLAddress: n.CQLAddr, DataCenter: n.DC,
			Rack: n.Rack, Status: n.Status.String(), Up: n.Alive, SchemaVersion: uuidString(n.SchemaVersion),
			ReleaseVersion: n.ReleaseVersion, Tokens: len(n.Tokens)}
		if !n.Alive && !n.DownSince.IsZero() {
			ns.DownSeconds = now.Sub(n.DownSince).Seconds()
		}
		out = append(out, ns)
	}
	slices.SortFunc(out, func(a, b NodeState) int { return strings.Compare(a.Address, b.Address) })
	return out, nil
}

func (o *Ops) describecluster() (*ClusterDescription, error) {
	nodes, err := o.nodes()
	if err != nil {
		return nil, err
	}
	d := &ClusterDescription{Name: o.ClusterName, Snitch: "org.apache.cassandra.locator.GossipingPropertyFileSnitch",
		Partitioner: "org.apache.cassandra.dht.Murmur3Partitioner", SchemaVersions: map[string][]string{}, Unreachable: []string{}}
	for _, n := range nodes {
		if !n.Up {
			d.Unreachable = append(d.Unreachable, n.Address)
			continue
		}
		d.SchemaVersions[n.SchemaVersion] = append(d.SchemaVersions[n.SchemaVersion], n.Address)
	}
	return d, nil
}

func (o *Ops) ring() ([]RingEntry, error) {
	m, err := o.membership()
	if err != nil {
		return nil, err
	}
	rm := m.Ring()
	own := rm.Ownership()
	out := make([]RingEntry, 0, rm.Len())
	for i := range rm.Len() {
		id := rm.NodeAt(rm.OwnerAt(i)).ID
		e := RingEntry{Token: int64(rm.TokenAt(i)), Owns: own[id]}
		if n, ok := m.Node(id); ok {
			e.Address, e.DataCenter, e.Rack, e.Up, e.State = host(n.InternodeAddr), n.DC, n.Rack, n.Alive, n.Status.String()
		}
		out = append(out, e)
	}
	return out, nil
}

// drain serves drain: the node stops serving clients and gossip (the
// others see it down and hint its writes) and flushes every memtable, so
// that a restart replays no commit log, as nodetool drain before an
// upgrade or a stop.
func (o *Ops) drain(ctx context.Context) (*TableResult, error) {
	if o.StopTransports == nil {
		return nil, errors.New("this node cannot drain")
	}
	if !o.drained.CompareAndSwap(false, true) {
		return nil, errors.New("the node is already drained; restart it to serve again")
	}
	o.Log.Info("draining: stopping the CQL server and gossip, then flushing every table")
	o.StopTransports()
	res, err := o.eachTable(ctx, "flush", nil)
	if err == nil {
		o.Log.Info("drained: restart the node to serve again", "tables_flushed", len(res.Tables))
	}
	return res, err
}

// Drained reports whether drain ran.
func (o *Ops) Drained() bool { return o.drained.Load() }

// importDir serves import KEYSPACE TABLE DIR: every SSTable file in DIR
// is copied into the table, checked and added atomically, as streaming
// adds a whole file (nodetool import). The files stay in DIR. Partitions
// of ranges this node does not replicate are kept until cleanup.
func (o *Ops) importDir(args []string) (*ImportResult, error) {
	if len(args) != 3 {
		return nil, errors.New("usage: import KEYSPACE TABLE DIRECTORY")
	}
	refs, err := o.tables(args[:2])
	if err != nil {
		return nil, err
	}
	if len(refs) != 1 {
		return nil, fmt.Errorf("table %s.%s has no storage on this node", args[0], args[1])
	}
	dir := args[2]
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("import: %q: the directory must be an absolute path on the node's machine", dir)
	}
	names, err := o.FS.List(dir)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	res := &ImportResult{}
	for _, name := range names {
		if !strings.HasSuffix(name, ".sst") {
			continue
		}
		meta, n, err := importFile(o, refs[0].t, filepath.Join(dir, name))
		if err != nil {
			return res, fmt.Errorf("import of %s: %w (the files before it were imported)", name, err)
		}
		res.Files++
		res.Bytes += n
		res.Partitions += meta
	}
	if res.Files == 0 {
		return res, fmt.Errorf("import: no SSTable (*.sst) in %s", dir)
	}
	o.Log.Info("imported SSTables", "table", args[0]+"."+args[1], "files", res.Files, "bytes", res.Bytes)
	return res, nil
}

// importFile copies one SSTable into t through a FileImport.
func importFile(o *Ops, t *storage.Table, path string) (partitions, size int64, err error) {
	f, err := o.FS.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	fi, err := t.NewFileImport()
	if err != nil {
		return 0, 0, err
	}
	defer fi.Abort()
	buf := make([]byte, 1<<20)
	var off int64
	for {
		n, rerr := f.ReadAt(buf, off)
		if n > 0 {
			if err := fi.Write(buf[:n]); err != nil {
				return 0, 0, err
			}
			off += int64(n)
		}
		if rerr != nil {
			if errors.Is(rerr, io.EOF) {
				break
			}
			return 0, 0, rerr
		}
	}
	meta, err := fi.Commit(nil)
	if err != nil {
		return 0, 0, err
	}
	return meta.Partitions, fi.Size(), nil
}

func uuidString(u [16]byte) string {
	h := hex.EncodeToString(u[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
