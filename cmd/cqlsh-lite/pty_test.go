//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair (the terminal's side for the test,
// the shell's side for the shell), 120 columns wide.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, &unix.Winsize{Row: 40, Col: 120}); err != nil {
		t.Fatal(err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return master, slave
}

// screen collects what the shell writes to its terminal.
type screen struct {
	mu   sync.Mutex
	raw  []byte
	done chan struct{}
}

func readScreen(master *os.File) *screen {
	s := &screen{done: make(chan struct{})}
	go func() {
		defer close(s.done)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			s.mu.Lock()
			s.raw = append(s.raw, buf[:n]...)
			s.mu.Unlock()
			if err != nil { // EIO once the shell has exited
				return
			}
		}
	}()
	return s
}

// escapes are the terminal control sequences line editing draws with;
// redraw is how it starts to redraw the line (to its first column, erase
// to the end), wiping what the row showed.
var (
	escapes = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]`)
	redraw  = regexp.MustCompile(`[^\n]*(\x1b\[1G|\r)\x1b\[0K`)
)

// text is the output so far as the screen shows it, roughly: each redrawn
// row as last drawn, without control sequences and carriage returns.
func (s *screen) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := redraw.ReplaceAllString(string(s.raw), "")
	return strings.ReplaceAll(escapes.ReplaceAllString(t, ""), "\r", "")
}

// rawText is the output so far as written, control sequences and all.
func (s *screen) rawText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.raw)
}

// waitFor waits until want has appeared n times on the screen.
func (s *screen) waitFor(t *testing.T, want string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(s.text(), want) < n {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %q (%d times); the screen:\n%s", want, n, s.text())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTerminal drives the shell through a pseudo-terminal as a user
// would: a statement typed over two lines, USE changing the prompt, the up
// arrow recalling the statement from history, batches typed over several
// lines (each one request: all of it applied, or nothing when one of its
// statements is wrong), ---MORE--- waiting for Enter, pasted tabs kept,
// long lines wrapped, tab completion, LOGIN asking for the password, and
// Ctrl-D leaving; the history is saved to the home directory.
func TestTerminal(t *testing.T) {
	addr := startNode(t, nil)
	mustRun(t, `CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};
CREATE TABLE ks.t (k int PRIMARY KEY, v text);
CREATE TABLE ks.b (k int PRIMARY KEY, v text);
INSERT INTO ks.t (k, v) VALUES (1, 'a'); INSERT INTO ks.t (k, v) VALUES (2, 'b'); INSERT INTO ks.t (k, v) VALUES (3, 'c');`, addr)

	master, slave := openPTY(t)
	defer master.Close()
	home := t.TempDir()
	cmd := exec.Command(os.Args[0], addr)
	cmd.Env = append(os.Environ(), mainEnv+"=1", "HOME="+home, "TERM=xterm")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	waited := false
	defer func() {
		if !waited {
			cmd.Process.Kill()
			<-exited
		}
	}()
	scr := readScreen(master)
	typeKeys := func(keys string) {
		t.Helper()
		if _, err := master.Write([]byte(keys)); err != nil {
			t.Fatal(err)
		}
	}

	scr.waitFor(t, "Connected to wcdb at "+addr+"\n", 1)
	scr.waitFor(t, "cqlsh> ", 1)
	typeKeys("USE ks;\r")
	scr.waitFor(t, "cqlsh:ks> ", 1)
	typeKeys("SELECT k, v\r")
	scr.waitFor(t, "      ... ", 1)
	typeKeys("FROM t;\r")
	scr.waitFor(t, "\n k | v\n---+---\n 1 | a\n 2 | b\n 3 | c\n\n(3 rows)\n", 1)
	scr.waitFor(t, "cqlsh:ks> ", 2)
	// At a terminal, in colour: column names magenta, ints green, text yellow.
	if raw := scr.rawText(); !strings.Contains(raw, "\x1b[0;1;35mk\x1b[0m | \x1b[0;1;35mv\x1b[0m\r\n") ||
		!strings.Contains(raw, " \x1b[0;1;32m1\x1b[0m | \x1b[0;1;33ma\x1b[0m\r\n") {
		t.Errorf("got the result without cqlsh's colours: %q", raw)
	}

	// The up arrow brings back the statement, on one line.
	typeKeys("\x1b[A")
	scr.waitFor(t, "SELECT k, v FROM t;", 1)
	typeKeys("\r")
	scr.waitFor(t, "(3 rows)", 2)
	scr.waitFor(t, "cqlsh:ks> ", 3)

	// A batch typed over several lines goes to the node as one request when
	// APPLY BATCH; is typed, and the node applies all of it or, when one of
	// its statements is wrong, none of it.
	typeLines := func(lines ...string) {
		t.Helper()
		for _, line := range lines {
			n := strings.Count(scr.text(), line+"\n")
			typeKeys(line + "\r")
			scr.waitFor(t, line+"\n", n+1)
		}
	}
	typeLines("BEGIN BATCH", "  INSERT INTO b (k, v) VALUES (4, 'd;');", "  INSERT INTO b (k, v) VALUES (5, 'e');", "APPLY BATCH;")
	scr.waitFor(t, "cqlsh:ks> ", 4)
	typeLines("BEGIN BATCH", "  DELETE FROM b WHERE k = 4;", "  INSERT INTO b (k, v) VALUES ('six', 'f');", "APPLY BATCH;")
	scr.waitFor(t, `message="Invalid STRING constant (six) for "k" of type int"`, 1)
	scr.waitFor(t, "cqlsh:ks> ", 5)
	if got := strings.Count(scr.text(), "Error"); got != 1 {
		t.Fatalf("got %d errors from two batches, want 1; the screen:\n%s", got, scr.text())
	}
	typeKeys("SELECT * FROM b WHERE k IN (4, 5, 6);\r")
	scr.waitFor(t, "\n k | v\n---+----\n 4 | d;\n 5 |  e\n\n(2 rows)\n", 1)
	scr.waitFor(t, "cqlsh:ks> ", 6)

	// Pasted text keeps its tabs (bracketed paste: the markers around it
	// tell it from typed tabs), over several lines.
	typeKeys(pasteStart + "INSERT INTO b (k, v)\r\tVALUES (9, 'tab\there');\r" + pasteEnd)
	scr.waitFor(t, "cqlsh:ks> ", 7)
	typeKeys("SELECT v FROM b WHERE k = 9;\r")
	scr.waitFor(t, "\n v\n-----------\n tab\\there\n\n(1 rows)\n", 1)

	// A line longer than the terminal is wide (120 columns) is drawn whole,
	// the terminal wrapping it onto the next row, rather than a window of
	// it scrolling sideways between { and }.
	long := "SELECT k FROM b WHERE k IN (" + strings.Repeat("4, ", 50) + "5);"
	typeKeys(long + "\r")
	scr.waitFor(t, "cqlsh:ks> "+long+"\n", 1)
	scr.waitFor(t, " 4\n 5\n\n(2 rows)\n", 1)

	typeKeys("PAGING 2\r")
	scr.waitFor(t, "Page size: 2\n", 1)
	typeKeys("SELECT * FROM t;\r")
	scr.waitFor(t, " 2 | b\n\n---MORE---", 1)
	time.Sleep(50 * time.Millisecond)
	if strings.Count(scr.text(), "(3 rows)") != 2 {
		t.Fatalf("the second page came before Enter; the screen:\n%s", scr.text())
	}
	typeKeys("\r")
	scr.waitFor(t, " 3 | c\n\n(3 rows)\n", 1)

	typeKeys("SELECT * FROM nosuch;\r")
	scr.waitFor(t, "InvalidRequest: Error from server: code=2200 [Invalid query]", 1)

	// Tab completes keywords by their place, and the schema's names.
	typeKeys("sel\t")
	scr.waitFor(t, "cqlsh:ks> select ", 1)
	typeKeys("v fr\t")
	scr.waitFor(t, "cqlsh:ks> select v from ", 1)
	typeKeys("b\t")
	scr.waitFor(t, "cqlsh:ks> select v from b ", 1)
	typeKeys("wh\t")
	scr.waitFor(t, "cqlsh:ks> select v from b where ", 1)
	typeKeys("k\t= 9;\r")
	scr.waitFor(t, "cqlsh:ks> select v from b where k = 9;\n", 1)
	scr.waitFor(t, "\n tab\\there\n\n(1 rows)\n", 2)

	// LOGIN without a password asks for it, without showing it.
	typeKeys("LOGIN ann\r")
	scr.waitFor(t, "Password: ", 1)
	typeKeys("hidden\r")
	scr.waitFor(t, "ann@cqlsh:ks> ", 1)
	if strings.Contains(scr.text(), "hidden") {
		t.Fatalf("the password showed; the screen:\n%s", scr.text())
	}

	typeKeys("\x04") // Ctrl-D
	select {
	case err := <-exited:
		waited = true
		if err != nil {
			t.Fatalf("shell exited with %v; the screen:\n%s", err, scr.text())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("shell still running 10s after Ctrl-D; the screen:\n%s", scr.text())
	}
	select {
	case <-scr.done:
	case <-time.After(5 * time.Second):
		t.Fatal("terminal output did not end after the shell exited")
	}

	history, err := os.ReadFile(filepath.Join(home, historyFile))
	if err != nil {
		t.Fatal(err)
	}
	want := "USE ks;\nSELECT k, v FROM t;\n" +
		"BEGIN BATCH INSERT INTO b (k, v) VALUES (4, 'd;'); INSERT INTO b (k, v) VALUES (5, 'e'); APPLY BATCH;\n" +
		"BEGIN BATCH DELETE FROM b WHERE k = 4; INSERT INTO b (k, v) VALUES ('six', 'f'); APPLY BATCH;\n" +
		"SELECT * FROM b WHERE k IN (4, 5, 6);\n" +
		"INSERT INTO b (k, v) VALUES (9, 'tab\there');\nSELECT v FROM b WHERE k = 9;\n" + long + "\n" +
		"PAGING 2\nSELECT * FROM t;\nSELECT * FROM nosuch;\nselect v from b where k = 9;\nLOGIN ann\n"
	if string(history) != want {
		t.Errorf("history file: got %q, want %q", history, want)
	}
}
