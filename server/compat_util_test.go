package server

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocql/gocql"
)

// compatNode starts a node on a free loopback port in a fresh data
// directory; it is stopped when the test ends.
func compatNode(t *testing.T) *Node {
	t.Helper()
	n := startNode(t, t.TempDir())
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Errorf("closing the node: %v", err)
		}
	})
	return n
}

// compatSession connects gocql to n the way an application would (the
// protocol version discovered, the initial host lookup on); mod adjusts the
// configuration first. The session is closed when the test ends.
func compatSession(t *testing.T, n *Node, mod func(*gocql.ClusterConfig)) *gocql.Session {
	t.Helper()
	host, port, _ := net.SplitHostPort(n.Addr().String())
	c := gocql.NewCluster(host)
	c.Port, _ = strconv.Atoi(port)
	c.Timeout = 5 * time.Second
	c.ConnectTimeout = 5 * time.Second
	c.Consistency = gocql.One
	c.Logger = &testLogger{}
	if mod != nil {
		mod(c)
	}
	s, err := c.CreateSession()
	if err != nil {
		t.Fatalf("connecting gocql: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// testLogger keeps what gocql logs, so a test can look for complaints
// (a token ring it could not build, schema it could not parse).
type testLogger struct {
	mu    sync.Mutex
	lines []string
}

func (l *testLogger) Print(v ...any) { l.add(fmt.Sprint(v...)) }
func (l *testLogger) Printf(format string, v ...any) {
	l.add(fmt.Sprintf(format, v...))
}
func (l *testLogger) Println(v ...any) { l.add(fmt.Sprintln(v...)) }

func (l *testLogger) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, strings.TrimSpace(s))
}

func (l *testLogger) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// mustExec runs statements, failing the test on the first error.
func mustExec(t *testing.T, s *gocql.Session, stmts ...string) {
	t.Helper()
	for _, stmt := range stmts {
		if err := s.Query(stmt).Exec(); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}
