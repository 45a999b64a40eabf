package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"wcdb/server"
)

// serve runs a node until SIGINT or SIGTERM.
func serve(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wcdb server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", "", "YAML configuration file (every setting: deploy/wcdb.example.yaml)")
	dataDir := fs.String("data-dir", "", "data directory (overrides data_dir)")
	listen := fs.String("listen-address", "", "address to serve CQL on (overrides listen_address)")
	port := fs.Int("cql-port", 0, "CQL port (overrides cql_port)")
	sync := fs.String("commitlog-sync", "", "periodic, batch or group (overrides commitlog.sync)")
	broadcast := fs.String("broadcast-address", "", "address other nodes and drivers reach this one at (overrides broadcast_address)")
	seeds := fs.String("seeds", "", "gossip addresses of nodes to join, host[:port],... (overrides seeds)")
	dc := fs.String("dc", "", "the node's datacenter (overrides datacenter)")
	rack := fs.String("rack", "", "the node's rack (overrides rack)")
	numTokens := fs.Int("num-tokens", 0, "vnode tokens the node takes when it first joins (overrides num_tokens)")
	gossipPort := fs.Int("gossip-port", 0, "gossip port, TCP and UDP (overrides gossip_port)")
	internodePort := fs.Int("internode-port", 0, "port other nodes call this one on (overrides internode_port)")
	gossipProfile := fs.String("gossip-profile", "", "lan or local: failure detection timings (overrides gossip_profile)")
	ringDelay := fs.Duration("ring-delay", 0, "how long a joining node announces its tokens before taking writes (overrides ring_delay)")
	fromAny := fs.Bool("bootstrap-from-any", false, "a joining node may fetch a range from any live replica when the node giving it up is down (overrides bootstrap_from_any)")
	replaceAddr := fs.String("replace-address", "", "on first start, take the place of the dead node at this address (overrides replace_address)")
	autoBootstrap := fs.Bool("auto-bootstrap", true, "a node joining a cluster fetches the data of its ranges before serving (overrides auto_bootstrap)")
	rpcAddr := fs.String("rpc-address", "", "address CQL listens on, when not the listen address (overrides rpc_address)")
	metricsPort := fs.Int("metrics-port", 0, "port of /metrics, /healthz and /readyz; 0 turns the listener off (overrides metrics.port)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the node's whole run to this file (for performance work)")
	if code, stop := parseFlags(fs, args, stderr); stop {
		return code
	}
	cfg := server.DefaultConfig()
	if *configFile != "" {
		var err error
		if cfg, err = server.LoadConfig(*configFile); err != nil {
			fmt.Fprintln(stderr, "wcdb:", err)
			return 2
		}
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "data-dir":
			cfg.DataDir = *dataDir
		case "listen-address":
			cfg.ListenAddress = *listen
		case "cql-port":
			cfg.CQLPort = *port
		case "commitlog-sync":
			cfg.CommitLog.Sync = *sync
		case "broadcast-address":
			cfg.BroadcastAddress = *broadcast
		case "seeds":
			cfg.Seeds = server.SplitList(*seeds)
		case "dc":
			cfg.DataCenter = *dc
		case "rack":
			cfg.Rack = *rack
		case "num-tokens":
			cfg.NumTokens = *numTokens
		case "gossip-port":
			cfg.GossipPort = *gossipPort
		case "internode-port":
			cfg.InternodePort = *internodePort
		case "gossip-profile":
			cfg.GossipProfile = *gossipProfile
		case "ring-delay":
			cfg.RingDelay = server.Duration(*ringDelay)
		case "bootstrap-from-any":
			cfg.BootstrapFromAny = *fromAny
		case "replace-address":
			cfg.ReplaceAddress = *replaceAddr
		case "auto-bootstrap":
			cfg.AutoBootstrap = *autoBootstrap
		case "rpc-address":
			cfg.RPCAddress = *rpcAddr
		case "metrics-port":
			cfg.Metrics.Port = *metricsPort
		}
	})
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 2
	}
	// wcdb admin setlogginglevel changes level.
	log, level, err := cfg.NewLogger(stderr)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 2
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "wcdb:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "wcdb:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	n, err := server.Start(ctx, cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	n.SetLogLevel(level)
	fmt.Fprintf(stdout, "wcdb: serving CQL on %s (data in %s); Ctrl-C stops\n", n.Addr(), cfg.DataDir)
	select {
	case <-ctx.Done():
	case <-n.Done():
		fmt.Fprintln(stdout, "wcdb: the node was decommissioned and left the cluster")
	case <-n.Fatal():
		return die(n, stderr)
	}
	fmt.Fprintln(stdout, "wcdb: stopping: draining clients, flushing memtables")
	if err := n.Close(); err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	return 0
}

// dieCloseTimeout bounds the clean close a node tries before its process
// exits under a failure policy of die: flushing memtables may save writes
// the commit log could not take, but a failing disk may also hang it.
const dieCloseTimeout = 10 * time.Second

// die ends a node whose commit_failure_policy or disk_failure_policy is
// die: it tries to close it for a while, and returns the exit status 1.
func die(n *server.Node, stderr io.Writer) int {
	fmt.Fprintf(stderr, "wcdb: %v; exiting\n", n.FatalError())
	closed := make(chan error, 1)
	go func() { closed <- n.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			fmt.Fprintln(stderr, "wcdb: closing the node:", err)
		}
	case <-time.After(dieCloseTimeout):
		fmt.Fprintf(stderr, "wcdb: the node did not close within %v\n", dieCloseTimeout)
	}
	return 1
}
