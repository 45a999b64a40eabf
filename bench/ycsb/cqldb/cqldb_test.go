package cqldb

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"wcdb/bench/ycsb/internal/ycsbtest"
	"wcdb/server"
)

func startNode(t *testing.T) *server.Node {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.ListenAddress = "127.0.0.1"
	cfg.CQLPort = 0
	cfg.GossipPort, cfg.InternodePort = 0, 0
	n, err := server.Start(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Error(err)
		}
	})
	return n
}

// TestWorkloadsAgainstNode runs the load and every core workload against a
// node started here.
func TestWorkloadsAgainstNode(t *testing.T) {
	n := startNode(t)
	host, port, _ := net.SplitHostPort(n.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dcfg := DefaultConfig()
	dcfg.Hosts = []string{host}
	dcfg.Port, _ = strconv.Atoi(port)
	dcfg.Timeout = 5 * time.Second
	db, err := Open(ctx, dcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	res := ycsbtest.RunAll(t, db, "wcdb")
	// The table holds what the load and the inserts wrote.
	var count int64
	if err := db.session.Query("SELECT count(*) FROM usertable").Scan(&count); err != nil {
		t.Fatal(err)
	}
	if want := res.Phases[6].RecordsAfter; count != want {
		t.Errorf("got %d rows in usertable, want %d", count, want)
	}
	if res.DBFacts["release_version"] == "" {
		t.Errorf("got facts %v, want a release_version", res.DBFacts)
	}
}
