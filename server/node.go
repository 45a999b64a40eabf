package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"time"

	"wcdb/commitlog"
	"wcdb/cql"
	"wcdb/internal/localnode"
	"wcdb/query"
	"wcdb/replication"
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
	ln     net.Listener
	served chan error
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
		limit = int64(cfg.Storage.MemtableFlushSize + cfg.Storage.BlockCacheSize + 512<<20)
	}
	if limit > 0 {
		debug.SetMemoryLimit(limit)
	}
	hostID, err := loadHostID(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	e, err := storage.Open(storageOptions(&cfg, log))
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: log, engine: e, served: make(chan error, 1)}
	fail := func(err error) (*Node, error) {
		if n.cql != nil {
			n.cql.Close()
		}
		if n.ln != nil {
			n.ln.Close()
		}
		e.Close()
		return nil, err
	}
	// The CQL port is bound first, so that system.local tells clients the
	// port actually served (cql_port 0 picks a free one).
	n.ln, err = net.Listen("tcp", net.JoinHostPort(cfg.ListenAddress, strconv.Itoa(cfg.CQLPort)))
	if err != nil {
		return fail(fmt.Errorf("server: CQL port: %w", err))
	}
	cfg.CQLPort = n.ln.Addr().(*net.TCPAddr).Port
	coord := replication.NewLocal(localnode.Replica{E: e}, cfg.DataCenter)
	n.exec, err = query.New(ctx, query.Config{
		Coordinator: coord,
		Backend:     localnode.Backend{E: e},
		Topology:    newSingleNode(&cfg, hostID),
	})
	if err != nil {
		return fail(fmt.Errorf("server: loading the schema: %w", err))
	}
	ccfg := cql.DefaultConfig()
	ccfg.ListenAddress = net.JoinHostPort(cfg.ListenAddress, strconv.Itoa(cfg.CQLPort))
	ccfg.MaxFrameSize = int(cfg.Native.MaxFrameSize)
	ccfg.MaxConnections = cfg.Native.MaxConnections
	ccfg.MaxInFlight = cfg.Native.MaxRequestsPerConnection
	ccfg.RequestTimeout = time.Duration(cfg.Native.RequestTimeout)
	ccfg.Logger = log
	if cfg.Auth.Authenticator == "PasswordAuthenticator" {
		ccfg.Credentials = cfg.Auth.Users
	}
	n.cql, err = cql.New(ccfg, n.exec)
	if err != nil {
		return fail(err)
	}
	go func() { n.served <- n.cql.Serve(context.Background(), n.ln) }()
	log.Info("wcdb node started", "cql", n.ln.Addr().String(), "data_dir", cfg.DataDir,
		"commitlog_sync", cfg.CommitLog.Sync, "host_id", fmt.Sprintf("%x", hostID))
	return n, nil
}

// Addr is the address CQL clients connect to.
func (n *Node) Addr() net.Addr { return n.ln.Addr() }

// Executor is the node's query executor.
func (n *Node) Executor() *query.Executor { return n.exec }

// Close stops the node: it drains client requests, flushes every memtable
// (so the next start has no commit log to replay) and closes the storage.
func (n *Node) Close() error {
	err := n.cql.Close()
	if serr := <-n.served; serr != nil && !errors.Is(serr, net.ErrClosed) && err == nil {
		err = serr
	}
	if ferr := n.engine.FlushAll(); ferr != nil && err == nil {
		err = ferr
	}
	if cerr := n.engine.Close(); cerr != nil && err == nil {
		err = cerr
	}
	n.log.Info("wcdb node stopped")
	return err
}

func storageOptions(cfg *Config, log *slog.Logger) storage.Options {
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
	o.CompactionThroughput = int64(cfg.Storage.CompactionThroughput)
	if o.CompactionThroughput == 0 {
		o.CompactionThroughput = -1 // unlimited
	}
	o.Logf = func(format string, args ...any) { log.Info(fmt.Sprintf(format, args...)) }
	return o
}
