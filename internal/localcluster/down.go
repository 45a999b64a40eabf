package localcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"wcdb/internal/vfs"
)

// DownOptions are what Down stops.
type DownOptions struct {
	// Dir is the cluster's directory as the user named it.
	Dir string
	// Wipe deletes the cluster's directory (data, logs) once the nodes
	// are stopped; only a directory with a cluster.json is deleted.
	Wipe bool
	// Timeout is how long the nodes may take to stop (flushing
	// memtables) before they are killed.
	Timeout time.Duration
}

// Down stops the nodes of the cluster in o.Dir: SIGTERM, then SIGKILL for
// those still running after o.Timeout. What it does goes to out, nodes it
// had to kill are reported on errOut.
func Down(o DownOptions, out, errOut io.Writer) error {
	if o.Timeout <= 0 {
		return usageErr("--timeout must be positive")
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return err
	}
	if fi, err := vfs.Default.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("no cluster in %s", o.Dir)
	}
	// Refuse Wipe early on a directory that is not a cluster's, so that
	// a wrong --dir deletes nothing.
	if _, err := vfs.Default.Stat(filepath.Join(dir, "cluster.json")); o.Wipe && err != nil {
		return fmt.Errorf("%s has no cluster.json, so it is not a cluster's directory; not deleting it", o.Dir)
	}
	pids, err := pidFiles(dir)
	if err != nil {
		return err
	}
	type stopping struct {
		pidFile
		began time.Time
	}
	var live []stopping
	for _, p := range pids {
		alive, ours := nodeProcess(p.pid, p.dataDir)
		switch {
		case !alive:
			fmt.Fprintf(out, "wcdb: %s was not running\n", p.name)
			vfs.Default.Remove(p.path)
		case !ours:
			fmt.Fprintf(out, "wcdb: %s was not running (pid %d is another program now)\n", p.name, p.pid)
			vfs.Default.Remove(p.path)
		default:
			if err := syscall.Kill(p.pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
				return fmt.Errorf("%s (pid %d): %v", p.name, p.pid, err)
			}
			live = append(live, stopping{p, time.Now()})
		}
	}
	if len(live) > 0 {
		fmt.Fprintf(out, "wcdb: stopping %d nodes (SIGTERM; killed if still running after %s)\n", len(live), o.Timeout)
	}
	// gone waits until every node in live has exited or the deadline
	// passes, and returns those still running.
	gone := func(deadline time.Time, verb string) []stopping {
		for len(live) > 0 {
			live = slices.DeleteFunc(live, func(s stopping) bool {
				if alive, ours := nodeProcess(s.pid, s.dataDir); alive && ours {
					return false
				}
				vfs.Default.Remove(s.path)
				fmt.Fprintf(out, "wcdb: %s (pid %d) %s after %.1fs\n", s.name, s.pid, verb, time.Since(s.began).Seconds())
				return true
			})
			if len(live) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		return live
	}
	if len(gone(time.Now().Add(o.Timeout), "stopped")) > 0 {
		for _, s := range live {
			fmt.Fprintf(errOut, "wcdb: %s (pid %d) still running after %s; killing it\n", s.name, s.pid, o.Timeout)
			syscall.Kill(s.pid, syscall.SIGKILL)
		}
		if len(gone(time.Now().Add(5*time.Second), "killed")) > 0 {
			var errs []error
			for _, s := range live {
				errs = append(errs, fmt.Errorf("%s (pid %d) survived SIGKILL", s.name, s.pid))
			}
			return errors.Join(errs...)
		}
	}
	if o.Wipe {
		if err := vfs.Default.RemoveAll(dir); err != nil {
			return err
		}
		fmt.Fprintf(out, "wcdb: deleted %s\n", dir)
		return nil
	}
	fmt.Fprintf(out, "wcdb: cluster in %s stopped; its data is kept (wcdb cluster up starts it again)\n", dir)
	return nil
}

// adminTimeout bounds Status's request for the ring.
const adminTimeout = 5 * time.Second

// Status prints each node of the cluster in dir (the user's spelling):
// its process and CQL port, then the ring as the first node serving CQL
// sees it, from admin (nil: not shown). A node that serves CQL but not
// (yet) admin requests gets a warning on errOut, not an error.
func Status(dir string, admin Admin, out, errOut io.Writer) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	st, err := readState(dir)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Node\tAddress\tDatacenter\tRack\tPID\tProcess\tCQL")
	asked := -1
	for i, n := range st.Nodes {
		pid, process := "-", "stopped"
		if n.Removed {
			process = "removed"
		}
		if b, err := vfs.ReadFile(vfs.Default, filepath.Join(dir, n.Name, "pid")); err == nil {
			pid = strings.TrimSpace(string(b))
			p, _ := strconv.Atoi(pid)
			switch alive, ours := nodeProcess(p, filepath.Join(dir, n.Name, "data")); {
			case alive && ours:
				process = "running"
			default:
				process = "stopped (stale pid file)"
			}
		}
		cql := "unreachable"
		if cqlAnswers(st.CQLAddress(i), time.Second) == nil {
			cql = "reachable"
			if asked < 0 {
				asked = i
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s %s\n", n.Name, n.Address, n.DataCenter, n.Rack, pid, process, st.CQLAddress(i), cql)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if asked < 0 {
		fmt.Fprintln(out, "\nno node serves CQL")
		return nil
	}
	if admin == nil {
		return nil
	}
	// The ring as one node sees it; a node that serves CQL but not (yet)
	// admin requests is worth a warning, not a failure.
	addr := st.InternodeAddress(asked)
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	ring, err := admin.Ring(ctx, addr)
	if err != nil {
		fmt.Fprintf(errOut, "wcdb: warning: admin status from %s: %v\n", addr, err)
		return nil
	}
	fmt.Fprintf(out, "\nas %s sees the cluster (wcdb admin status --host %s):\n\n", st.Nodes[asked].Name, addr)
	_, err = io.WriteString(out, ring)
	return err
}
