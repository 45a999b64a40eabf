package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"wcdb/commitlog"
	"wcdb/compaction"
	"wcdb/cql"
	"wcdb/internal/hints"
	"wcdb/internal/localnode"
	"wcdb/internal/tracing"
	"wcdb/internal/vfs"
	"wcdb/messaging"
	"wcdb/mutation"
	"wcdb/query"
	"wcdb/query/catalog"
	"wcdb/repair"
	"wcdb/replication"
	"wcdb/ring"
	"wcdb/server/failpolicy"
	"wcdb/server/nodeops"
	"wcdb/storage"
)

// Node is one running wcdb node: storage engine, coordinator, executor and
// CQL server.
type Node struct {
	cfg    Config
	log    *slog.Logger
	engine *storage.Engine
	exec   *query.Executor
	cql    *cql.Server
	traces *tracing.Writer // writes the traces of traced requests
	ln     net.Listener
	served chan error

	cl      *clusterState
	iln     net.Listener // internode
	msrv    *messaging.Server
	mserved chan error

	fail *failpolicy.Handler // commit_failure_policy, disk_failure_policy
	mon  *monitor            // metrics and health HTTP (metrics.go)
}

// Start opens the node's storage, loads its schema and starts serving CQL.
// It returns once the node accepts connections (Addr tells where).
func Start(ctx context.Context, cfg Config, log *slog.Logger) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	limit := int64(cfg.MemoryLimit)
	if limit == 0 {
		limit = defaultMemoryLimit(&cfg, totalMemory())
	}
	if limit > 0 {
		debug.SetMemoryLimit(limit)
	}
	// The budget caches and buffers take their shares of, even with no
	// limit set.
	budget := limit
	if budget <= 0 {
		budget = defaultMemoryLimit(&cfg, totalMemory())
	}
	hostID, err := loadHostID(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	hist, err := repair.OpenHistory(vfs.Default, filepath.Join(cfg.DataDir, repairHistoryFile))
	if err != nil {
		return nil, err
	}
	// Compaction may ask before the cluster state exists: no range is
	// repaired then.
	var clp atomic.Pointer[clusterState]
	names := new(tableNames) // for the guardrails' messages, once the schema is loaded
	so := storageOptions(&cfg, log, budget)
	fh := failpolicy.New(cfg.CommitLog.FailurePolicy, cfg.Storage.DiskFailurePolicy, log)
	fh.Set(&so)
	so.LargePartition = names.largePartition(log, so.LargePartitionWarningThreshold)
	so.RepairHorizon = func(table mutation.TableID, token int64) (int64, bool) {
		if c := clp.Load(); c != nil {
			return c.repairHorizon(table, token)
		}
		return math.MinInt64, false
	}
	e, err := storage.Open(so)
	if err != nil {
		return nil, err
	}
	so.CompactionShare.SetBacklog(func() int { return nodeops.CompactionBacklog(e) })
	n := &Node{cfg: cfg, log: log, engine: e, served: make(chan error, 1), mserved: make(chan error, 1), fail: fh}
	local := localnode.Replica{E: e, Guardrails: replicaGuardrails(&cfg, log, names), Pools: new(localnode.Pools),
		Paxos: localnode.NewPaxos(catalog.SystemTable("system", "paxos").ID), Counters: localnode.NewCounters(hostID)}
	n.cl = newClusterState(&n.cfg, log, hostID, e, local, hist)
	fail := func(err error) (*Node, error) {
		if n.cql != nil {
			n.cql.Close()
		}
		if n.ln != nil {
			n.ln.Close()
		}
		if n.msrv != nil {
			n.msrv.Stop()
			<-n.mserved
		} else if n.iln != nil {
			n.iln.Close()
		}
		n.cl.close()
		n.mon.stop()
		e.Close()
		return nil, err
	}
	// The ports are bound first, so that system.local and gossip tell the
	// ports actually served (port 0 picks a free one).
	clientTLS, err := cfg.ClientEncryption.ClientTLS(vfs.Default)
	if err != nil {
		return fail(fmt.Errorf("server: %w", err))
	}
	internodeTLS, peerTLS, err := cfg.ServerEncryption.InternodeTLSConfig(vfs.Default)
	if err != nil {
		return fail(fmt.Errorf("server: %w", err))
	}
	n.cl.peerTLS = peerTLS
	n.ln, err = net.Listen("tcp", net.JoinHostPort(cfg.CQLListen(), strconv.Itoa(cfg.CQLPort)))
	if err != nil {
		return fail(fmt.Errorf("server: CQL port: %w", err))
	}
	n.cfg.CQLPort = n.ln.Addr().(*net.TCPAddr).Port
	n.iln, err = net.Listen("tcp", net.JoinHostPort(cfg.ListenAddress, strconv.Itoa(cfg.InternodePort)))
	if err != nil {
		return fail(fmt.Errorf("server: internode port: %w", err))
	}
	n.cfg.InternodePort = n.iln.Addr().(*net.TCPAddr).Port
	cfg = n.cfg
	if cfg.HintedHandoff {
		n.cl.hints, err = hints.Open(hints.Options{Dir: filepath.Join(cfg.DataDir, "hints"),
			MaxHintWindow: time.Duration(cfg.MaxHintWindow),
			Logf:          func(format string, args ...any) { log.Warn(fmt.Sprintf(format, args...)) }})
		if err != nil {
			return fail(fmt.Errorf("server: hint store: %w", err))
		}
	}
	dcfg := replication.DistributedConfig{
		WriteTimeout:         time.Duration(cfg.WriteRequestTimeout),
		ReadTimeout:          time.Duration(cfg.ReadRequestTimeout),
		RangeTimeout:         time.Duration(cfg.RangeRequestTimeout),
		CASContentionTimeout: time.Duration(cfg.CASContentionTimeout),
		MaxHintWindow:        time.Duration(cfg.MaxHintWindow),
		Logf:                 func(format string, args ...any) { log.Warn(fmt.Sprintf(format, args...)) },
		NodeName: func(id ring.NodeID) string {
			if ip, port := n.cl.internodeAddr(id); ip != nil {
				return "/" + net.JoinHostPort(ip.String(), strconv.Itoa(port))
			}
			return ""
		},
	}
	if n.cl.hints != nil {
		dcfg.Hints = hintSink{n.cl.hints}
	}
	coord := n.startMonitor(replication.NewDistributed(n.cl, dcfg), names)
	n.cl.store = coord
	n.exec, err = query.New(ctx, query.Config{
		Coordinator:   coord,
		Backend:       clusterBackend{localnode.Backend{E: e}, n.cl},
		Topology:      clusterTopology{n.cl},
		SchemaChanged: n.cl.schemaChanged,
		Guardrails:    queryGuardrails(&cfg, log),
		Access: &query.AccessConfig{Authorize: cfg.Auth.Authorizer == "CassandraAuthorizer",
			Validity: time.Duration(cfg.Auth.RolesValidity), UpdateInterval: time.Duration(cfg.Auth.RolesUpdateInterval)},
	})
	if err != nil {
		return fail(fmt.Errorf("server: loading the schema: %w", err))
	}
	n.cl.exec = n.exec
	n.cl.ops = &nodeops.Ops{FS: vfs.Default, Root: filepath.Clean(cfg.DataDir), Engine: e,
		CompactionShare: so.CompactionShare, Catalog: n.exec.Catalog, Log: log, Version: ReleaseVersion,
		HostID: string(n.cl.hostID), ClusterName: cfg.ClusterName, Started: time.Now(), MemoryLimit: budget,
		Membership: n.cl.m.Load, Stopped: n.fail.Stopped,
		NativeActive:   func() bool { return n.cl.cqlS.Load() != nil && !n.fail.Stopped() },
		StopTransports: func() { n.fail.StopTransports() }, Requests: &n.mon.requests,
		RefreshSizeEstimates: n.cl.recordSizeEstimates,
		TraceProbability: func() float64 {
			if s := n.cl.cqlS.Load(); s != nil {
				return s.TraceProbability()
			}
			return 0
		},
		SetTraceProbability: func(p float64) {
			if s := n.cl.cqlS.Load(); s != nil {
				s.SetTraceProbability(p)
			}
		},
		Pools: nodeops.PoolSources{CQL: n.cl.cqlS.Load, Replica: local.Pools, Hints: n.cl.hints, Streams: n.cl.streams,
			Internode: func() messaging.Stats { return n.msrv.Stats() }}} // msrv serves the admin requests
	names.exec.Store(n.exec)
	clp.Store(n.cl) // the schema known: repair mode's horizons can be told
	n.traces = tracing.NewWriter(func(ctx context.Context, stmt string, values ...any) error {
		return n.exec.Internal(ctx, replication.One, stmt, values...)
	}, log)
	traceSource := net.ParseIP(cmp.Or(cfg.BroadcastAddress, cfg.ListenAddress))
	if traceSource == nil || traceSource.IsUnspecified() {
		traceSource = n.iln.Addr().(*net.TCPAddr).IP
	}
	n.msrv, err = messaging.NewServer(local, messaging.ServerOptions{
		SchemaPull: n.exec.SchemaMutations,
		SchemaPush: n.cl.mergeSchema,
		Admin:      n.cl.admin,
		Call:       n.cl.repair.Handle, // messaging answers Paxos and counter calls itself
		Fetch:      n.cl.serveFetch,
		Node:       string(n.cl.hostID),
		Release:    ReleaseVersion,
		TLS:        internodeTLS,
		Traces:     n.traces, TraceSource: traceSource, TracePort: cfg.InternodePort,
	})
	if err != nil {
		return fail(err)
	}
	n.mon.internode.Store(n.msrv)
	go func() { n.mserved <- n.msrv.Serve(n.iln) }()
	mc, err := n.cl.membershipConfig(cfg.CQLPort, cfg.InternodePort, n.exec.SchemaVersion())
	if err != nil {
		return fail(err)
	}
	if err := n.cl.join(ctx, mc); err != nil {
		return fail(err)
	}
	ccfg := cql.DefaultConfig()
	ccfg.ListenAddress = net.JoinHostPort(cfg.CQLListen(), strconv.Itoa(cfg.CQLPort))
	ccfg.TLS, ccfg.TLSOptional = clientTLS, cfg.ClientEncryption.Optional
	applyNative(&cfg.Native, &ccfg, budget)
	ccfg.Logger = log
	ccfg.Traces = n.traces
	ccfg.OnRequest = so.CompactionShare.Request
	ccfg.SerialOverlapping = n.engine.SyncsEachWrite()
	ccfg.NodeName = func(id string) string { return dcfg.NodeName(ring.NodeID(id)) }
	if cfg.Auth.Authenticator == "PasswordAuthenticator" {
		ccfg.Authenticator = newAuthenticator(n.exec)
		if err := n.cl.setupRoles(ctx); err != nil {
			return fail(err)
		}
	}
	n.cql, err = cql.New(ccfg, n.exec)
	if err != nil {
		return fail(err)
	}
	n.cl.cqlS.Store(n.cql)
	go func() { n.served <- n.cql.Serve(context.Background(), n.ln) }()
	m := n.cl.m.Load()
	log.Info("wcdb node started", "cql", n.ln.Addr().String(), "internode", n.iln.Addr().String(),
		"client_tls", tlsMode(clientTLS != nil, cfg.ClientEncryption.Optional), "internode_tls", internodeTLS != nil,
		"gossip_encrypted", len(mc.EncryptionKeys) > 0,
		"gossip", m.Local().GossipAddr, "data_dir", cfg.DataDir, "commitlog_sync", cfg.CommitLog.Sync,
		"host_id", n.cl.hostID, "datacenter", cfg.DataCenter, "rack", cfg.Rack, "nodes", len(m.Nodes()))
	fh.Attach(n.stopTransports) // a failure meanwhile stops the node now
	return n, nil
}

// Addr is the address CQL clients connect to.
func (n *Node) Addr() net.Addr { return n.ln.Addr() }

// GossipAddr is the address other nodes join the cluster through (a
// seed's address).
func (n *Node) GossipAddr() string { return n.cl.m.Load().Local().GossipAddr }

// HostID is the node's host id.
func (n *Node) HostID() string { return string(n.cl.hostID) }

// Done is closed when the node has left its cluster (decommissioned):
// its process should then Close it and exit.
func (n *Node) Done() <-chan struct{} { return n.cl.exit }

// Decommission hands the node's ranges to the nodes taking them over and
// leaves the cluster (nodetool decommission); force skips the checks that
// the cluster keeps every keyspace's replication factor. Done is closed
// once it returns nil.
func (n *Node) Decommission(ctx context.Context, force bool) error {
	return n.cl.decommission(ctx, force)
}

// Executor is the node's query executor.
func (n *Node) Executor() *query.Executor { return n.exec }

// Close stops the node: it drains client requests, flushes every memtable
// (so the next start has no commit log to replay) and closes the storage.
func (n *Node) Close() error {
	err := n.cql.Close()
	// ErrServerClosed: a failure policy closed the server before it
	// served (see failure.go).
	if serr := <-n.served; serr != nil && !errors.Is(serr, net.ErrClosed) && !errors.Is(serr, cql.ErrServerClosed) && err == nil {
		err = serr
	}
	n.traces.Close()
	// Gossip stops first, so that peers see the node down and hint
	// rather than time out; internode calls in flight finish.
	n.cl.close()
	gctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if gerr := n.msrv.GracefulStop(gctx); gerr != nil {
		n.log.Warn("stopping the internode service", "err", gerr)
	}
	cancel()
	<-n.mserved
	n.mon.stop()
	if ferr := n.engine.FlushAll(); ferr != nil && err == nil {
		err = ferr
	}
	if cerr := n.engine.Close(); cerr != nil && err == nil {
		err = cerr
	}
	n.log.Info("wcdb node stopped")
	return err
}

// storageOptions are the engine's options from the configuration. The
// block cache and the memtables (each table's active one and up to two
// being flushed) take at most a quarter and three sixteenths of the memory
// budget: with a memory_limit below their settings, they shrink to fit
// (logged), as Cassandra sizes its memtable space from the heap.
func storageOptions(cfg *Config, log *slog.Logger, budget int64) storage.Options {
	o := storage.DefaultOptions(filepath.Clean(cfg.DataDir))
	switch cfg.CommitLog.Sync {
	case "batch":
		o.CommitLogSync = commitlog.Batch
	case "group":
		o.CommitLogSync = commitlog.Group
	default:
		o.CommitLogSync = commitlog.Periodic
	}
	o.CommitLogSyncPeriod = time.Duration(cfg.CommitLog.SyncPeriod)
	o.CommitLogGroupWindow = time.Duration(cfg.CommitLog.GroupWindow)
	o.CommitLogSegmentSize = int64(cfg.CommitLog.SegmentSize)
	o.MemtableFlushSize = int64(cfg.Storage.MemtableFlushSize)
	o.BlockCacheSize = int64(cfg.Storage.BlockCacheSize)
	fit := func(setting string, v *int64, share int64, what string) {
		if limit := max(budget/share, 1<<20); budget > 0 && *v > limit {
			log.Info(setting+" is over "+what+" of the memory budget (memory_limit): using "+what,
				"configured", ByteSize(*v).String(), "using", ByteSize(limit).String(), "memory_budget", ByteSize(budget).String())
			*v = limit
		}
	}
	fit("storage.block_cache_size", &o.BlockCacheSize, 4, "a quarter")
	fit("storage.memtable_flush_size", &o.MemtableFlushSize, 16, "a sixteenth")
	o.CompactionThroughput = int64(cfg.Storage.CompactionThroughput)
	o.CompactionShare = compaction.NewShare(cfg.Storage.CompactionCPUShare)
	if o.CompactionThroughput == 0 {
		o.CompactionThroughput = -1 // unlimited
	}
	o.LargePartitionWarningThreshold = int64(cfg.CompactionLargePartitionWarningThreshold)
	o.Logf = func(format string, args ...any) { log.Info(fmt.Sprintf(format, args...)) }
	o.Warnf = func(format string, args ...any) { log.Warn(fmt.Sprintf(format, args...)) }
	return o
}

// defaultMemoryLimit is the memory budget when memory_limit is 0:
// Cassandra's default heap (cassandra-env.sh: the larger of half the RAM
// capped at 1 GiB and a quarter of the RAM capped at 8 GiB), and at least
// a memtable, the block cache and 512 MiB. The budget is a soft limit the
// garbage collector works to stay under: one too tight for the data the
// node holds (a memtable per table, the cache) makes it collect all the
// time.
func defaultMemoryLimit(cfg *Config, ram int64) int64 {
	// At least room for the block cache and memtables as set, at the
	// shares storageOptions gives them, and for the rest.
	floor := max(int64(cfg.Storage.MemtableFlushSize+cfg.Storage.BlockCacheSize+512<<20),
		4*int64(cfg.Storage.BlockCacheSize), 16*int64(cfg.Storage.MemtableFlushSize))
	if ram <= 0 {
		return floor
	}
	heap := max(min(ram/2, 1<<30), min(ram/4, 8<<30))
	return max(heap, floor)
}

// applyNative sets the protocol server's limits from native_transport. The
// settings left 0 take their shares of the memory budget, as Cassandra's
// take theirs of the heap: prepared statements 1/256 (at least 1 MiB),
// requests in flight 1/10 (at least a frame).
func applyNative(nc *NativeConfig, c *cql.Config, budget int64) {
	c.MaxFrameSize = int(nc.MaxFrameSize)
	c.MaxConnections = nc.MaxConnections
	c.MaxInFlight = nc.MaxRequestsPerConnection
	c.RequestTimeout = time.Duration(nc.RequestTimeout)
	c.MaxConnectionsPerIP = nc.MaxConcurrentConnectionsPerIP
	c.IdleUnauthenticatedTimeout = time.Duration(nc.IdleUnauthenticatedTimeout)
	c.SlowQueryLogTimeout = time.Duration(nc.SlowQueryLogTimeout)
	c.PreparedCacheBytes = int64(nc.PreparedStatementsCacheSize)
	if c.PreparedCacheBytes == 0 {
		c.PreparedCacheBytes = max(budget/256, 1<<20)
	}
	c.MaxRequestDataInFlight = int64(nc.MaxRequestDataInFlight)
	if c.MaxRequestDataInFlight == 0 {
		c.MaxRequestDataInFlight = max(budget/10, int64(nc.MaxFrameSize))
	}
}

// totalMemory returns the machine's RAM in bytes (Linux's MemTotal), or 0
// if unknown.
func totalMemory() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return n << 10
				}
			}
		}
	}
	return 0
}

// tlsMode names a port's TLS for the start-up log.
func tlsMode(on, optional bool) string {
	switch {
	case on && optional:
		return "optional"
	case on:
		return "required"
	}
	return "off"
}

// InternodeAddr is where the node serves other nodes and wcdb admin.
func (n *Node) InternodeAddr() string { return n.iln.Addr().String() }

// SetLogLevel lets wcdb admin setlogginglevel change the level of the
// logger the node was started with, which lv controls.
func (n *Node) SetLogLevel(lv *slog.LevelVar) { n.cl.ops.Level.Store(lv) }
