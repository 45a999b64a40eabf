package localcluster

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"wcdb/internal/vfs"
)

// resolveBinary returns the absolute path of the binary the nodes run:
// flagValue, or else this program.
func resolveBinary(flagValue string) (string, error) {
	if flagValue == "" {
		exe, err := os.Executable()
		if err != nil {
			return "", fmt.Errorf("cannot find this program's path (--binary names it): %w", err)
		}
		return exe, nil
	}
	path := flagValue
	if !strings.ContainsRune(path, filepath.Separator) {
		p, err := exec.LookPath(path)
		if err != nil {
			return "", fmt.Errorf("--binary %s: %w", flagValue, err)
		}
		path = p
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	fi, err := vfs.Default.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("--binary: %w", err)
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("--binary %s is not an executable file", flagValue)
	}
	return abs, nil
}

// runningNodes returns the nodes of dir whose pid file names a process
// still running, by name.
func runningNodes(dir string) (map[string]int, error) {
	pids, err := pidFiles(dir)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, p := range pids {
		if alive, ours := nodeProcess(p.pid, p.dataDir); alive && ours {
			out[p.name] = p.pid
		}
	}
	return out, nil
}

// checkFree fails if a port the node needs on addr is taken, or addr is not
// an address of this machine, and says what to do.
func checkFree(addr string, ports []int) error {
	for _, p := range ports {
		hp := net.JoinHostPort(addr, strconv.Itoa(p))
		l, err := net.Listen("tcp", hp)
		if err == nil {
			l.Close()
			continue
		}
		switch {
		case errors.Is(err, syscall.EADDRNOTAVAIL):
			return fmt.Errorf("%s is not an address of this machine (on macOS: sudo ifconfig lo0 alias %s up)", addr, addr)
		case errors.Is(err, syscall.EADDRINUSE):
			return fmt.Errorf("%s is in use by another program (a wcdb server outside this cluster?)", hp)
		}
		return err
	}
	return nil
}

// nodeEnv is the environment of a node of an n-node local cluster: the
// nodes split the machine's cores, as containers with CPU limits would
// (the Go runtime sizes GOMAXPROCS by a container's limit). Each with all
// the cores would run n schedulers that spin for work on the same cores:
// on 2 cores, 3 nodes at RF 1 served 13-15% more with 1 each than with 2.
func nodeEnv(env []string, n, cpus int) []string {
	for _, e := range env {
		if strings.HasPrefix(e, "GOMAXPROCS=") {
			return env
		}
	}
	procs := max(1, (cpus+n-1)/n)
	return append(slices.Clone(env), "GOMAXPROCS="+strconv.Itoa(procs))
}

// pidFile is a node's pid file found in a cluster directory.
type pidFile struct {
	name, path, dataDir string
	pid                 int // 0 if the file does not hold a pid
}

// pidFiles returns the pid files under dir, in node order.
func pidFiles(dir string) ([]pidFile, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "node*", "pid"))
	if err != nil {
		return nil, err
	}
	var out []pidFile
	for _, p := range paths {
		nodeDir := filepath.Dir(p)
		pf := pidFile{name: filepath.Base(nodeDir), path: p, dataDir: filepath.Join(nodeDir, "data")}
		b, err := vfs.ReadFile(vfs.Default, p)
		if err != nil {
			return nil, err
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
			pf.pid = pid
		}
		out = append(out, pf)
	}
	slices.SortFunc(out, func(a, b pidFile) int { return compareNodeNames(a.name, b.name) })
	return out, nil
}

// compareNodeNames orders node2 before node10.
func compareNodeNames(a, b string) int {
	na, errA := strconv.Atoi(strings.TrimPrefix(a, "node"))
	nb, errB := strconv.Atoi(strings.TrimPrefix(b, "node"))
	if errA == nil && errB == nil && na != nb {
		return na - nb
	}
	return strings.Compare(a, b)
}

// nodeProcess reports whether pid is a live process and whether it is
// the node whose data directory is dataDir: a pid file left behind by a
// crash may name a process that reused the pid, which must not be
// signalled. Where /proc is missing, a live pid is taken to be the node.
func nodeProcess(pid int, dataDir string) (alive, ours bool) {
	if pid <= 0 {
		return false, false
	}
	if _, err := vfs.Default.Stat("/proc/self/stat"); err != nil {
		err := syscall.Kill(pid, 0)
		alive = err == nil || errors.Is(err, syscall.EPERM)
		return alive, alive
	}
	stat, err := vfs.ReadFile(vfs.Default, fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false, false
	}
	// The state follows the command name, which is in parentheses and
	// may itself hold spaces and parentheses. A zombie has exited; only
	// its parent's wait is missing.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) && (stat[i+2] == 'Z' || stat[i+2] == 'X') {
		return false, false
	}
	cmdline, err := vfs.ReadFile(vfs.Default, fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return true, false
	}
	args := strings.Split(string(cmdline), "\x00")
	for i := 0; i+1 < len(args); i++ {
		if (args[i] == "--data-dir" || args[i] == "-data-dir") && args[i+1] == dataDir {
			return true, true
		}
	}
	return true, false
}
