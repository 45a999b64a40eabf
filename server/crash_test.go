package server

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gocql/gocql"
)

// TestCrashKeepsAcknowledgedWrites runs the wcdb command with the commit
// log in batch mode, writes to it from several clients while another
// client changes the schema (creates, alters, truncates and drops tables),
// kills it with SIGKILL in the middle of the load, restarts it on the same
// data directory and checks that every write and schema change it
// acknowledged is there. It does so twice per data directory, so the
// second crash lands on a node that recovered from the first. One variant
// uses the defaults; the other tiny memtables and commit log segments, so
// the kill also interrupts flushes, segment recycling and compaction.
//
// A SIGKILL loses what the process held, not what it had written to the
// operating system: losing unsynced data on power failure is the business
// of storage's crash tests on the in-memory file system.
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the wcdb command")
	}
	bin := buildWcdb(t)
	for _, tc := range []struct {
		name   string
		config string // YAML, or "" for the defaults
		value  int    // bytes of value per row
	}{
		{"defaults", "", 64},
		{"tiny memtables", "commitlog:\n  segment_size: 1MiB\nstorage:\n  memtable_flush_size: 1MiB\n", 2048},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"server", "--data-dir", filepath.Join(dir, "data"),
				"--listen-address", "127.0.0.1", "--cql-port", "0", "--gossip-port", "0", "--internode-port", "0",
				"--commitlog-sync", "batch"}
			if tc.config != "" {
				cfg := filepath.Join(dir, "wcdb.yaml")
				if err := os.WriteFile(cfg, []byte(tc.config), 0o644); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--config", cfg)
			}
			st := newCrashState()
			for round := range 2 {
				p := startWcdb(t, bin, args)
				s := crashSession(t, p.addr)
				if round == 0 {
					mustExec(t, s,
						"CREATE KEYSPACE crash WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
						"CREATE TABLE crash.kv (k bigint PRIMARY KEY, v text)",
					)
				} else {
					st.check(t, s)
				}
				st.load(t, s, p, round, tc.value)
				s.Close()
			}
			p := startWcdb(t, bin, args)
			s := crashSession(t, p.addr)
			st.check(t, s)
			s.Close()
			p.stop(t)
		})
	}
}

// buildWcdb builds cmd/wcdb into a temporary directory.
func buildWcdb(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build wcdb: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "wcdb")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, gobin, "build", "-o", bin, "wcdb/cmd/wcdb").CombinedOutput()
	if err != nil {
		t.Fatalf("go build wcdb/cmd/wcdb: %v\n%s", err, out)
	}
	t.Logf("built wcdb in %v", time.Since(start).Round(time.Millisecond))
	return bin
}

// wcdbProcess is a running wcdb command.
type wcdbProcess struct {
	cmd    *exec.Cmd
	addr   string
	mu     sync.Mutex
	out    bytes.Buffer // stdout and stderr
	exited chan struct{}
}

func (p *wcdbProcess) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func (p *wcdbProcess) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// startWcdb starts bin with args and waits until it serves CQL; the
// process is killed when the test ends if it still runs.
func startWcdb(t *testing.T, bin string, args []string) *wcdbProcess {
	t.Helper()
	p := &wcdbProcess{cmd: exec.Command(bin, args...), exited: make(chan struct{})}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = p
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(p, line)
			// "wcdb: serving CQL on 127.0.0.1:PORT (data in ...)"
			if rest, ok := strings.CutPrefix(line, "wcdb: serving CQL on "); ok {
				a, _, _ := strings.Cut(rest, " ")
				addr <- a
			}
		}
		io.Copy(io.Discard, stdout)
		p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
	})
	select {
	case p.addr = <-addr:
	case <-p.exited:
		t.Fatalf("wcdb exited before serving: %v\n%s", p.cmd.ProcessState, p.output())
	case <-time.After(30 * time.Second):
		t.Fatalf("wcdb did not serve CQL within 30s:\n%s", p.output())
	}
	return p
}

// kill ends the process with SIGKILL and waits for it.
func (p *wcdbProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.exited
}

// stop ends the process as Ctrl-C does and checks it exits cleanly.
func (p *wcdbProcess) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("wcdb did not stop within 30s:\n%s", p.output())
	}
	if !p.cmd.ProcessState.Success() {
		t.Errorf("wcdb stopped with %v:\n%s", p.cmd.ProcessState, p.output())
	}
}

// crashSession connects gocql to addr without retries, so a write that
// errors is one the node did not acknowledge.
func crashSession(t *testing.T, addr string) *gocql.Session {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	c := gocql.NewCluster(host)
	c.Port, _ = strconv.Atoi(port)
	c.Timeout = 5 * time.Second
	c.ConnectTimeout = 5 * time.Second
	c.Consistency = gocql.One
	c.NumConns = 2
	c.Logger = &testLogger{}
	c.RetryPolicy = &gocql.SimpleRetryPolicy{NumRetries: 0}
	c.ReconnectionPolicy = &gocql.ConstantReconnectionPolicy{MaxRetries: 1, Interval: 10 * time.Millisecond}
	s, err := c.CreateSession()
	if err != nil {
		t.Fatalf("connecting to %s: %v", addr, err)
	}
	return s
}

// crashState is what the node acknowledged: rows of crash.kv and the
// tables made by the schema client.
type crashState struct {
	mu     sync.Mutex
	rows   map[int64]string
	tables map[string]*crashTable
}

// tableState is the content of a table the schema client made: at most
// one row (k = 1), with v and w (0: null or no column).
type tableState struct {
	dropped bool
	v       string // "": no row
	w       int
}

// crashTable is the acknowledged state of a table, and the state it has
// if the step in flight at the kill took effect.
type crashTable struct {
	acked   tableState
	pending *tableState
}

func newCrashState() *crashState {
	return &crashState{rows: map[int64]string{}, tables: map[string]*crashTable{}}
}

// load runs the write and schema clients, kills the process after a while
// and records what was acknowledged before the kill.
func (st *crashState) load(t *testing.T, s *gocql.Session, p *wcdbProcess, round, valueSize int) {
	t.Helper()
	const workers = 8
	const load = time.Second
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var killed atomic.Bool
	failed := func(what string, err error) {
		if !killed.Load() {
			t.Logf("%s failed before the kill: %v", what, err)
		}
	}
	var rows, ddl atomic.Int64
	pad := strings.Repeat("x", valueSize)
	base := int64(round) << 40
	for w := range workers {
		wg.Go(func() {
			for i := int64(0); ctx.Err() == nil; i++ {
				k := base + int64(w)<<32 + i
				v := fmt.Sprintf("%d/%d/%s", k, time.Now().UnixNano(), pad)
				if err := s.Query("INSERT INTO crash.kv (k, v) VALUES (?, ?)", k, v).WithContext(ctx).Exec(); err != nil {
					failed(fmt.Sprint("write of row ", k), err)
					return
				}
				st.mu.Lock()
				st.rows[k] = v
				st.mu.Unlock()
				rows.Add(1)
			}
		})
	}
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			name := fmt.Sprintf("crash.s%d_%d", round, i)
			tab := &crashTable{}
			steps := []struct {
				stmt  string
				apply func(*tableState)
			}{
				{"CREATE TABLE " + name + " (k int PRIMARY KEY, v text)", func(*tableState) {}},
				{"INSERT INTO " + name + " (k, v) VALUES (1, 'one')", func(ts *tableState) { ts.v = "one" }},
				{"ALTER TABLE " + name + " ADD w int", func(*tableState) {}},
				{"UPDATE " + name + " SET w = 7 WHERE k = 1", func(ts *tableState) { ts.w = 7 }},
				{"TRUNCATE " + name, func(ts *tableState) { ts.v, ts.w = "", 0 }},
				{"INSERT INTO " + name + " (k, v) VALUES (1, 'two')", func(ts *tableState) { ts.v = "two" }},
				{"DROP TABLE " + name, func(ts *tableState) { *ts = tableState{dropped: true} }},
			}
			if i%2 == 0 {
				steps = steps[:len(steps)-1] // keep every other table
			}
			for n, step := range steps {
				next := tab.acked
				step.apply(&next)
				if n > 0 {
					// From the CREATE's acknowledgement on, the table is checked.
					st.mu.Lock()
					tab.pending = &next
					st.mu.Unlock()
				}
				if err := s.Query(step.stmt).WithContext(ctx).Exec(); err != nil {
					failed(step.stmt, err)
					return
				}
				st.mu.Lock()
				tab.acked, tab.pending = next, nil
				st.tables[name] = tab
				st.mu.Unlock()
				ddl.Add(1)
			}
		}
	})
	time.Sleep(load)
	killed.Store(true)
	p.kill(t)
	// Requests in flight fail now that the node is gone; give them a
	// moment, then cancel any the driver still holds.
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		cancel()
		<-done
	}
	t.Logf("round %d: %d writes and %d schema steps acknowledged before SIGKILL", round, rows.Load(), ddl.Load())
	if rows.Load() == 0 || ddl.Load() == 0 {
		t.Fatalf("round %d: the node acknowledged too little; its output:\n%s", round, p.output())
	}
}

// check reads everything back and checks every acknowledged row and
// schema change is there.
func (st *crashState) check(t *testing.T, s *gocql.Session) {
	t.Helper()
	st.mu.Lock()
	defer st.mu.Unlock()
	got := make(map[int64]string, len(st.rows))
	iter := s.Query("SELECT k, v FROM crash.kv").PageSize(5000).Iter()
	var k int64
	var v string
	for iter.Scan(&k, &v) {
		got[k] = v
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	missing, wrong := 0, 0
	for k, want := range st.rows {
		switch g, ok := got[k]; {
		case !ok:
			if missing++; missing <= 5 {
				t.Errorf("acknowledged row %d: missing after the crash", k)
			}
		case g != want:
			if wrong++; wrong <= 5 {
				t.Errorf("acknowledged row %d: got %.40q, want %.40q", k, g, want)
			}
		}
	}
	if missing+wrong > 0 {
		t.Fatalf("%d of %d acknowledged rows missing, %d with another value (%d rows read)", missing, len(st.rows), wrong, len(got))
	}

	for name, tab := range st.tables {
		got, err := readCrashTable(s, strings.TrimPrefix(name, "crash."))
		if err != nil {
			t.Errorf("table %s: %v", name, err)
			continue
		}
		if got != tab.acked && (tab.pending == nil || got != *tab.pending) {
			t.Errorf("table %s: got %+v, want the acknowledged %+v (or %+v if the step in flight took effect)", name, got, tab.acked, tab.pending)
		}
	}
	t.Logf("all %d acknowledged rows present (%d rows read), %d tables as acknowledged", len(st.rows), len(got), len(st.tables))
}

// readCrashTable reads the state of a table of the schema client, asking
// system_schema whether it and its column w exist.
func readCrashTable(s *gocql.Session, table string) (tableState, error) {
	var got tableState
	var cols []string
	iter := s.Query("SELECT column_name FROM system_schema.columns WHERE keyspace_name = 'crash' AND table_name = ?", table).Iter()
	var col string
	for iter.Scan(&col) {
		cols = append(cols, col)
	}
	if err := iter.Close(); err != nil {
		return got, err
	}
	if len(cols) == 0 {
		got.dropped = true
		return got, nil
	}
	rows := 0
	if slices.Contains(cols, "w") {
		iter = s.Query("SELECT v, w FROM crash." + table).Iter()
		for iter.Scan(&got.v, &got.w) {
			rows++
		}
	} else {
		iter = s.Query("SELECT v FROM crash." + table).Iter()
		for iter.Scan(&got.v) {
			rows++
		}
	}
	if err := iter.Close(); err != nil {
		return got, err
	}
	if rows > 1 {
		return got, fmt.Errorf("%d rows, want at most one", rows)
	}
	return got, nil
}
