package storage

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"wcdb/commitlog"
	"wcdb/internal/vfs"
)

// TestKill9 runs a writer in a child process under Batch sync, kills it
// with SIGKILL mid-load, and checks on reopen that every write the child
// reported as acknowledged is there.
func TestKill9(t *testing.T) {
	if dir := os.Getenv("WCDB_KILL_CHILD_DIR"); dir != "" {
		killChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("spawns a process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9$")
	cmd.Env = append(os.Environ(), "WCDB_KILL_CHILD_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := -1
	sc := bufio.NewScanner(out)
	deadline := time.Now().Add(20 * time.Second)
	for sc.Scan() && time.Now().Before(deadline) {
		line := sc.Text()
		if n, ok := strings.CutPrefix(line, "acked "); ok {
			acked, _ = strconv.Atoi(n)
			if acked >= 3000 {
				break
			}
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	if acked < 100 {
		t.Fatalf("child acknowledged only %d writes", acked)
	}
	o := DefaultOptions(dir)
	o.FS = vfs.Default
	e, err := Open(o)
	if err != nil {
		t.Fatalf("reopen after kill -9: %v", err)
	}
	defer e.Close()
	tb := e.Table(testTable)
	for i := 0; i <= acked; i++ {
		p, err := tb.Read(Query{Key: pk(i % 50), Start: ck(i), End: ck(i + 1)})
		if err != nil {
			t.Fatal(err)
		}
		if p == nil || len(p.Rows) != 1 {
			t.Fatalf("write %d of %d acknowledged writes lost", i, acked+1)
		}
	}
	t.Logf("%d acknowledged writes all present after kill -9", acked+1)
}

func killChild(dir string) {
	o := DefaultOptions(dir)
	o.CommitLogSync = commitlog.Batch
	o.MemtableFlushSize = 64 << 10 // flushes happen during the load
	e, err := Open(o)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	if _, err := e.CreateTable(testTable, TableOptions{}); err != nil && !errors.Is(err, ErrTableExists) {
		fmt.Println("error", err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		if err := e.Apply(rowMut(i%50, i, int64(i+1), strings.Repeat("x", 100))); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Fprintf(w, "acked %d\n", i)
		w.Flush()
	}
}
