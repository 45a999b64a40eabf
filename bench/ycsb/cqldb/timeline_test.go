package cqldb

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"wcdb/bench/ycsb/internal/ycsbtest"
)

// TestTimelineAgainstNode runs the timeline workload's checks against a
// node started here.
func TestTimelineAgainstNode(t *testing.T) {
	n := startNode(t)
	host, port, _ := net.SplitHostPort(n.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := DefaultConfig()
	cfg.Hosts = []string{host}
	cfg.Port, _ = strconv.Atoi(port)
	cfg.Timeout = 5 * time.Second
	cfg.Fresh = true
	db, err := OpenTimeline(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ycsbtest.RunTimeline(t, db, "wcdb")
	var compaction map[string]string
	if err := db.db.session.Query("SELECT compaction FROM system_schema.tables WHERE keyspace_name = 'ycsb' AND table_name = 'timeline'").Scan(&compaction); err != nil {
		t.Fatal(err)
	}
	if c := compaction["class"]; c == "" || c[len(c)-len("TimeWindowCompactionStrategy"):] != "TimeWindowCompactionStrategy" {
		t.Errorf("timeline compaction: got %v, want TimeWindowCompactionStrategy", compaction)
	}
}
