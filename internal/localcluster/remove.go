package localcluster

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"wcdb/internal/units"
	"wcdb/internal/vfs"
)

// Admin is how the cluster commands reach a running node's admin service
// (wcdb admin) at its internode address. cmd/wcdb implements it with its
// admin client; for a TLS cluster that client finds the cluster's admin
// certificate in WCDB_ADMIN_KEYSTORE and WCDB_ADMIN_TRUSTSTORE, which this
// package sets once it reads the cluster's state. Calls come from one
// goroutine at a time.
type Admin interface {
	// Ring returns the ring as the node sees it, printed as wcdb admin
	// status prints it.
	Ring(ctx context.Context, addr string) (string, error)
	// Receiving sums up the streams the node receives (wcdb admin
	// netstats), for a starting node's progress.
	Receiving(ctx context.Context, addr string) (Streams, error)
	// Decommission has the node leave the cluster, handing its ranges
	// over, with progress on out as wcdb admin decommission prints it;
	// force decommissions even if fewer live nodes than a keyspace's
	// replication factor remain.
	Decommission(addr string, force bool, out io.Writer) error
}

// Streams is the state of a node and the totals of the streams it
// receives.
type Streams struct {
	// Mode is the node's operation mode (JOINING, NORMAL, ...).
	Mode string
	// Sessions counts stream sessions of either direction.
	Sessions int
	// Running counts the receiving sessions still running; Rate is
	// their bytes per second together.
	Running int
	Rate    float64
	// Over the receiving sessions: files and bytes to receive, received,
	// and bytes streamed so far (which grows while anything moves).
	Files, FilesDone int64
	Bytes, BytesDone int64
	BytesStreamed    int64
}

// bootstrapBar shows a starting node's bootstrap: the streams it receives,
// as a progress line refreshed every couple of seconds.
type bootstrapBar struct {
	addr  string // the node's internode address
	admin Admin  // nil: no progress shown
	out   io.Writer
	last  time.Time
	bytes int64
	shown bool
	mode  string
}

// poll refreshes the line at most every 2 s, and reports whether the node
// received data since the last refresh.
func (b *bootstrapBar) poll() bool {
	if b.out == nil || b.admin == nil || time.Since(b.last) < 2*time.Second {
		return false
	}
	b.last = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s, err := b.admin.Receiving(ctx, b.addr)
	if err != nil {
		return false
	}
	moved := s.BytesStreamed > b.bytes || s.Mode != b.mode
	b.bytes, b.mode = s.BytesStreamed, s.Mode
	if s.Sessions == 0 {
		return moved
	}
	pct := 100.0
	if s.Bytes > 0 {
		pct = 100 * float64(s.BytesDone) / float64(s.Bytes)
	}
	const width = 30
	fill := min(width, int(pct/100*width))
	fmt.Fprintf(b.out, "\n  bootstrap [%s%s] %3.0f%%  %s of %s, %d/%d files, %d streams running, %s/s",
		strings.Repeat("#", fill), strings.Repeat(".", width-fill), pct, units.Bytes(s.BytesDone), units.Bytes(s.Bytes),
		s.FilesDone, s.Files, s.Running, units.Bytes(int64(s.Rate)))
	b.shown = true
	return moved
}

// end finishes the progress output so that what follows starts a line.
func (b *bootstrapBar) end() {
	if b.shown {
		fmt.Fprint(b.out, "\n  ")
	}
}

// RemoveOptions are what Remove decommissions.
type RemoveOptions struct {
	// Dir is the cluster's directory as the user named it.
	Dir string
	// Node is I of nodeI, the node to decommission.
	Node int
	// Force decommissions even if fewer live nodes than a keyspace's
	// replication factor remain.
	Force bool
	// Wait is how long the node's process may take to exit once it has
	// left; then it is killed.
	Wait time.Duration
}

// Remove decommissions node o.Node of a local cluster through admin: it
// hands its ranges over and leaves, its process exits, and its data is
// deleted; Up starts it again as a new node. Progress goes to out. An
// error from admin.Decommission is returned as it is.
func Remove(o RemoveOptions, admin Admin, out, errOut io.Writer) error {
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return err
	}
	st, err := readState(dir)
	if err != nil {
		return err
	}
	switch {
	case o.Node < 1 || o.Node > len(st.Nodes):
		return usageErr("--node %d: the cluster has nodes 1-%d", o.Node, len(st.Nodes))
	case o.Node == 1:
		return usageErr("node1 is every node's seed in a local cluster: it cannot be removed (remove another, or wcdb cluster down)")
	case st.Nodes[o.Node-1].Removed:
		return fmt.Errorf("node%d was removed already", o.Node)
	}
	i := o.Node - 1
	n := st.Nodes[i]
	running, err := runningNodes(dir)
	if err != nil {
		return err
	}
	pid, ok := running[n.Name]
	if !ok {
		return fmt.Errorf("%s is not running: only a running node can hand its data over (start it with wcdb cluster up)", n.Name)
	}
	if err := admin.Decommission(st.InternodeAddress(i), o.Force, out); err != nil {
		return err
	}
	dataDir := filepath.Join(dir, n.Name, "data")
	deadline := time.Now().Add(o.Wait)
	for {
		if alive, ours := nodeProcess(pid, dataDir); !alive || !ours {
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(errOut, "wcdb: %s (pid %d) left the cluster but still runs after %s; killing it\n", n.Name, pid, o.Wait)
			syscall.Kill(pid, syscall.SIGKILL)
			time.Sleep(time.Second)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	vfs.Default.Remove(filepath.Join(dir, n.Name, "pid"))
	// A decommissioned node will not start with its old data: it goes, so
	// that Up can start the node afresh.
	if err := vfs.Default.RemoveAll(dataDir); err != nil {
		return err
	}
	st.Nodes[i].Removed = true
	if err := writeState(dir, st); err != nil {
		return err
	}
	fmt.Fprintf(out, "wcdb: %s removed: its data is deleted; wcdb cluster up --nodes %s starts it again as a new node\n",
		n.Name, strconv.Itoa(len(st.Nodes)))
	return nil
}
