package localcluster

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"wcdb/internal/vfs"
)

// UpOptions are what Up starts; DefaultUpOptions documents the defaults.
type UpOptions struct {
	// Nodes is how many nodes (1-9); node I listens on 127.0.0.I.
	Nodes int
	// DCs is the number of datacenters: 1 (all nodes in datacenter1) or
	// 2 (odd nodes in dc1, even nodes in dc2).
	DCs int
	// Dir is the cluster's directory as the user named it (messages
	// quote it as given).
	Dir string
	// NumTokens is the vnode tokens per node (1-256).
	NumTokens int
	// Binary is the wcdb binary the nodes run; "" is this program.
	Binary string
	// Wait is how long each node may take to serve CQL (counted from its
	// last bootstrap progress).
	Wait time.Duration
	// The ports every node listens on, on its own address.
	CQLPort, GossipPort, InternodePort int
	// FirstAddress is node 1's address; the others follow it.
	FirstAddress string
	// TLS: client TLS, internode mutual TLS and gossip encryption, with
	// certificates and a key made in Dir/tls.
	TLS bool
}

// DefaultUpOptions are the options of wcdb cluster up without flags (no
// nodes: Nodes must be set).
func DefaultUpOptions() UpOptions {
	return UpOptions{DCs: 1, Dir: DefaultDir, NumTokens: 16, Wait: DefaultStartTimeout,
		CQLPort: 9042, GossipPort: 7946, InternodePort: 7000, FirstAddress: "127.0.0.1"}
}

// Up starts the cluster o describes, node 1 first, each once the one
// before serves CQL, and reports on out. Nodes already running are left
// as they are: Up on a cluster with a stopped (or killed) node restarts
// it, and Up with more nodes than a running cluster has grows it, each
// new node fetching the data of the ranges it takes (admin shows the
// streams' progress; nil: none shown).
func Up(o UpOptions, admin Admin, out io.Writer) error {
	if o.Nodes == 0 {
		return usageErr("cluster up needs --nodes N (1-%d)", MaxNodes)
	}
	first, err := netip.ParseAddr(o.FirstAddress)
	if err != nil {
		return usageErr("--first-address: %v", err)
	}
	plan, err := Plan(o.Nodes, o.DCs, first)
	if err != nil {
		return usageErr("%v", err)
	}
	if o.NumTokens < 1 || o.NumTokens > 256 {
		return usageErr("--num-tokens %d: want 1-256", o.NumTokens)
	}
	ports := []int{o.CQLPort, o.GossipPort, o.InternodePort}
	for _, p := range ports {
		if p < 1 || p > 65535 {
			return usageErr("port %d is not a port number (1-65535)", p)
		}
	}
	if o.CQLPort == o.GossipPort || o.CQLPort == o.InternodePort || o.GossipPort == o.InternodePort {
		return usageErr("the CQL, gossip and internode ports must differ")
	}
	if o.Wait <= 0 {
		return usageErr("--wait must be positive")
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return err
	}
	bin, err := resolveBinary(o.Binary)
	if err != nil {
		return err
	}
	st := &State{Version: StateVersion, Binary: bin, NumTokens: o.NumTokens,
		CQLPort: o.CQLPort, GossipPort: o.GossipPort, InternodePort: o.InternodePort, Nodes: plan, TLS: o.TLS}

	// Check all that can be checked before starting anything, so that a
	// failure leaves nothing behind. Nodes still running are left as they
	// are: up on a cluster with a stopped (or killed) node restarts it.
	running, err := runningNodes(dir)
	if err != nil {
		return err
	}
	if len(running) > 0 {
		old, err := readState(dir)
		switch {
		case err != nil:
		case len(old.Nodes) > len(st.Nodes):
			return fmt.Errorf("the cluster in %s has %d nodes, some running; to shrink it, "+
				"wcdb cluster remove --node I decommissions node I (wcdb cluster down --dir %s stops them all)",
				o.Dir, len(old.Nodes), o.Dir)
		default:
			// Growing a running cluster: the nodes it has keep their
			// places and ports, and the new ones join it one at a time,
			// each fetching the data of the ranges it takes.
			st.NumTokens, st.CQLPort, st.GossipPort, st.InternodePort = old.NumTokens, old.CQLPort, old.GossipPort, old.InternodePort
			st.TLS = old.TLS
			ports = []int{st.CQLPort, st.GossipPort, st.InternodePort}
			copy(st.Nodes, old.Nodes)
		}
	}
	for i := range st.Nodes {
		if _, ok := running[st.Nodes[i].Name]; ok {
			continue
		}
		if err := checkFree(st.Nodes[i].Address, ports); err != nil {
			return err
		}
	}
	for _, n := range st.Nodes {
		if err := vfs.Default.MkdirAll(filepath.Join(dir, n.Name, "data"), 0o755); err != nil {
			return err
		}
	}
	if err := writeState(dir, st); err != nil {
		return err
	}
	if st.TLS {
		err := setupTLS(dir, st)
		if err == nil {
			err = useTLS(dir)
		}
		if err != nil {
			return fmt.Errorf("--tls: %w", err)
		}
	}

	for i, n := range st.Nodes {
		if pid, ok := running[n.Name]; ok {
			fmt.Fprintf(out, "wcdb: %s on %s is running (pid %d)\n", n.Name, n.Address, pid)
			continue
		}
		fmt.Fprintf(out, "wcdb: starting %s on %s (%s, %s)... ", n.Name, n.Address, n.DataCenter, n.Rack)
		began := time.Now()
		pid, err := startNode(st, dir, i, o.Wait, admin, out)
		if err != nil {
			fmt.Fprintln(out, "failed")
			err = fmt.Errorf("%s: %w", n.Name, err)
			if i > 0 {
				err = errors.Join(err, fmt.Errorf("node1 to node%d are running; wcdb cluster down --dir %s stops them", i, o.Dir))
			}
			return err
		}
		fmt.Fprintf(out, "serving CQL on %s (pid %d, %.1fs)\n", st.CQLAddress(i), pid, time.Since(began).Seconds())
		if st.Nodes[i].Removed {
			st.Nodes[i].Removed = false
			if err := writeState(dir, st); err != nil {
				return err
			}
		}
	}
	connect := st.Nodes[0].Address
	if st.CQLPort != 9042 {
		connect = st.CQLAddress(0)
	}
	dirArg := ""
	if o.Dir != DefaultDir {
		dirArg = " --dir " + o.Dir
	}
	fmt.Fprintf(out, "wcdb: %d nodes up; data and logs in %s/nodeI\n", len(st.Nodes), dir)
	if st.TLS {
		connect += " --ssl --cqlshrc " + filepath.Join(tlsDir(dir), "cqlshrc")
	}
	fmt.Fprintf(out, "  connect: cqlsh-lite %s\n", connect)
	fmt.Fprintf(out, "  status:  wcdb cluster status%s\n", dirArg)
	fmt.Fprintf(out, "  stop:    wcdb cluster down%s (--wipe deletes the data too)\n", dirArg)
	return nil
}

// startNode starts node i, writes its pid file, and waits until it
// accepts connections on its CQL port. A node that exits or does not serve
// within wait is stopped, and the error quotes the end of its log. While
// the node fetches its ranges' data (a node joining a cluster that holds
// data), progress (from admin, unless nil) goes to out, and wait counts
// from the last progress.
func startNode(st *State, dir string, i int, wait time.Duration, admin Admin, out io.Writer) (int, error) {
	n := st.Nodes[i]
	nodeDir := filepath.Join(dir, n.Name)
	logPath := filepath.Join(nodeDir, "wcdb.log")
	pidPath := filepath.Join(nodeDir, "pid")
	args := st.serverArgs(dir, i)
	// An *os.File opened for appending, not a vfs file: the node writes
	// to it directly, after this process has gone.
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "--- %s wcdb cluster up: %s %s\n", time.Now().Format(time.RFC3339), st.Binary, strings.Join(args, " "))
	logStart, err := logf.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(st.Binary, args...)
	cmd.Dir = nodeDir
	cmd.Env = nodeEnv(os.Environ(), len(st.Nodes), runtime.NumCPU())
	cmd.Stdout, cmd.Stderr = logf, logf
	// A session of its own: the node outlives this command and ignores
	// the terminal's Ctrl-C.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	pid := cmd.Process.Pid
	// Reap the node if it exits while this process lives (a test, or a
	// failed start), so that it does not linger as a zombie that looks
	// alive.
	var waitErr error
	exited := make(chan struct{})
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	fail := func(err error) (int, error) {
		select {
		case <-exited:
			if waitErr != nil {
				err = fmt.Errorf("%w (%v)", err, waitErr)
			}
		default:
			cmd.Process.Kill()
			<-exited
		}
		vfs.Default.Remove(pidPath)
		return 0, fmt.Errorf("%w; the end of %s:\n%s", err, logPath, logTail(logPath, logStart, 20))
	}
	if err := vfs.WriteFileAtomic(vfs.Default, pidPath, []byte(strconv.Itoa(pid)+"\n")); err != nil {
		return fail(err)
	}
	bar := &bootstrapBar{addr: st.InternodeAddress(i), admin: admin, out: out}
	if err := waitServing(st.CQLAddress(i), exited, wait, bar.poll); err != nil {
		bar.end()
		return fail(err)
	}
	bar.end()
	return pid, nil
}

// waitServing waits until a CQL server answers at addr, the process
// exits, or wait passes without progress (progress reports whether the
// node moved on since its last call; nil: never).
func waitServing(addr string, exited <-chan struct{}, wait time.Duration, progress func() bool) error {
	deadline := time.Now().Add(wait)
	for {
		err := cqlAnswers(addr, time.Second)
		if err == nil {
			return nil
		}
		if progress != nil && progress() {
			deadline = time.Now().Add(wait)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not serving CQL on %s after %s (%v)", addr, wait, err)
		}
		select {
		case <-exited:
			return errors.New("exited before serving CQL")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// cqlTLS, when set, is the TLS cqlAnswers speaks (a TLS cluster: useTLS).
var cqlTLS *tls.Config

// cqlAnswers checks that a CQL server answers at addr: it sends the native
// protocol's OPTIONS request and waits for SUPPORTED. A connection alone
// proves little: a node binds its CQL port before it joins the ring, and
// serves only once it owns its tokens.
func cqlAnswers(addr string, timeout time.Duration) error {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	if cqlTLS != nil {
		c = tls.Client(c, cqlTLS)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	// A v4 request header: version, flags, stream (2 bytes), opcode
	// (OPTIONS 0x05), body length (4 bytes, 0).
	if _, err := c.Write([]byte{0x04, 0, 0, 0, 0x05, 0, 0, 0, 0}); err != nil {
		return err
	}
	var h [9]byte
	if _, err := io.ReadFull(c, h[:]); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return errors.New("no answer to OPTIONS yet")
		}
		return err
	}
	// A v4 response (0x84) with opcode SUPPORTED (0x06).
	if h[0] != 0x84 || h[4] != 0x06 {
		return fmt.Errorf("answered OPTIONS with version %#x opcode %#x, not a v4 SUPPORTED", h[0], h[4])
	}
	return nil
}

// logTail returns the last lines of the log written since offset.
func logTail(path string, offset int64, lines int) string {
	f, err := vfs.Default.Open(path)
	if err != nil {
		return "  (" + err.Error() + ")"
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return "  (" + err.Error() + ")"
	}
	var tail []string
	sc := bufio.NewScanner(io.NewSectionReader(f, offset, max(0, size-offset)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		tail = append(tail, "  "+sc.Text())
		if len(tail) > lines {
			tail = tail[1:]
		}
	}
	if len(tail) == 0 {
		return "  (empty)"
	}
	return strings.Join(tail, "\n")
}
