package faulttest

// A small network of namespaces for partition tests:
//
//	root namespace (the test, its clients)      wcft<pid>-sw
//	  wcft<pid>h 10.213.S.254/24 ── veth ── host ─┐
//	                                              br0 (bridge)
//	  wcft<pid>-n1: eth0 10.213.S.1/24 ── veth ── n1 ─┤
//	  wcft<pid>-n2: eth0 10.213.S.2/24 ── veth ── n2 ─┤
//	  wcft<pid>-n3: eth0 10.213.S.3/24 ── veth ── n3 ─┘
//
// The bridge lives in a namespace of its own rather than in the root
// namespace: where br_netfilter is loaded (Docker loads it) bridged frames
// go through the namespace's iptables FORWARD chain, which Docker sets to
// DROP, and the nodes could not talk to each other. The only thing in the
// root namespace is the test's veth; S is chosen per process among
// subnets no interface uses. Everything is named after the test
// process's pid and removed when the test ends; namespaces left by a test
// process that was killed are removed by the next run.

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// netlab is the namespaces of one test.
type netlab struct {
	t      *testing.T
	prefix string // wcft<pid>
	subnet string // "10.213.S."
	sw     string // the bridge's namespace
	nodes  []string
	hostIf string
}

// newNetlab makes the network for n nodes, or skips the test saying why
// it cannot.
func newNetlab(t *testing.T, n int) *netlab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root")
	}
	for _, tool := range []string{"ip", "iptables"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s command: %v", tool, err)
		}
	}
	sweepNetlabs(t)
	pid := os.Getpid()
	lab := &netlab{t: t, prefix: fmt.Sprintf("wcft%d", pid)}
	lab.sw = lab.prefix + "-sw"
	lab.hostIf = lab.prefix + "h"
	used, err := exec.Command("ip", "-o", "-4", "addr", "show").Output()
	if err != nil {
		t.Skipf("ip addr show: %v", err)
	}
	for i := range 100 {
		s := fmt.Sprintf("10.213.%d.", 100+(pid+i)%100)
		if !strings.Contains(string(used), " "+s) {
			lab.subnet = s
			break
		}
	}
	if lab.subnet == "" {
		t.Skip("no free 10.213.x.0/24 subnet")
	}
	t.Cleanup(lab.destroy)
	// Set up: the switch, then one namespace per node, then the host's leg.
	steps := [][]string{
		{"netns", "add", lab.sw},
		{"-n", lab.sw, "link", "set", "lo", "up"},
		{"-n", lab.sw, "link", "add", "br0", "type", "bridge"},
		{"-n", lab.sw, "link", "set", "br0", "up"},
	}
	for i := 1; i <= n; i++ {
		ns := fmt.Sprintf("%s-n%d", lab.prefix, i)
		lab.nodes = append(lab.nodes, ns)
		leg := fmt.Sprintf("n%d", i)
		steps = append(steps,
			[]string{"netns", "add", ns},
			[]string{"-n", ns, "link", "set", "lo", "up"},
			[]string{"link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", leg, "netns", lab.sw},
			[]string{"-n", ns, "addr", "add", lab.addr(i) + "/24", "dev", "eth0"},
			[]string{"-n", ns, "link", "set", "eth0", "up"},
			[]string{"-n", lab.sw, "link", "set", leg, "master", "br0", "up"},
		)
	}
	steps = append(steps,
		[]string{"link", "add", lab.hostIf, "type", "veth", "peer", "name", "host", "netns", lab.sw},
		[]string{"-n", lab.sw, "link", "set", "host", "master", "br0", "up"},
		[]string{"addr", "add", lab.subnet + "254/24", "dev", lab.hostIf},
		[]string{"link", "set", lab.hostIf, "up"},
	)
	for _, args := range steps {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Skipf("network namespaces cannot be set up here: ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	// iptables must work in a node's namespace for the partition.
	if out, err := exec.Command("ip", "netns", "exec", lab.nodes[0], "iptables", "-S").CombinedOutput(); err != nil {
		t.Skipf("iptables does not work in a network namespace here: %v: %s", err, out)
	}
	return lab
}

// addr is node i's address (1-based).
func (lab *netlab) addr(i int) string { return lab.subnet + strconv.Itoa(i) }

// specs places node i in namespace i.
func (lab *netlab) specs() []nodeSpec {
	out := make([]nodeSpec, len(lab.nodes))
	for i, ns := range lab.nodes {
		out[i] = nodeSpec{addr: lab.addr(i + 1), netns: ns}
	}
	return out
}

// isolate drops every packet between node i and the nodes given (both
// ways, in node i's namespace); heal removes the rules again.
func (lab *netlab) isolate(i int, from ...int) {
	lab.t.Helper()
	lab.rules("-A", i, from)
}

func (lab *netlab) heal(i int, from ...int) {
	lab.t.Helper()
	lab.rules("-D", i, from)
}

func (lab *netlab) rules(op string, i int, from []int) {
	lab.t.Helper()
	for _, j := range from {
		for _, rule := range [][]string{
			{op, "INPUT", "-s", lab.addr(j), "-j", "DROP"},
			{op, "OUTPUT", "-d", lab.addr(j), "-j", "DROP"},
		} {
			args := append([]string{"netns", "exec", lab.nodes[i-1], "iptables"}, rule...)
			if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
				lab.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
			}
		}
	}
}

// destroy removes the namespaces (their interfaces go with them) and the
// host's leg. It runs after the node processes are killed (cleanups run
// last registered first).
func (lab *netlab) destroy() {
	for _, ns := range append(lab.nodes, lab.sw) {
		if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil && !strings.Contains(string(out), "No such file") {
			lab.t.Errorf("ip netns del %s: %v: %s", ns, err, out)
		}
	}
	// Deleting the peer's namespace deletes the host's leg, but not
	// always at once.
	exec.Command("ip", "link", "del", lab.hostIf).Run()
}

var netlabName = regexp.MustCompile(`^wcft(\d+)-(sw|n\d+)\b`)

// sweepNetlabs removes the namespaces of test processes no longer running.
func sweepNetlabs(t *testing.T) {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		m := netlabName.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		pid, _ := strconv.Atoi(m[1])
		if pid == os.Getpid() || syscall.Kill(pid, 0) != syscall.ESRCH {
			continue
		}
		name := strings.Fields(line)[0]
		t.Logf("removing namespace %s of a test process that is gone", name)
		exec.Command("ip", "netns", "del", name).Run()
		exec.Command("ip", "link", "del", fmt.Sprintf("wcft%dh", pid)).Run()
	}
	// Give the kernel a moment to release the interfaces of those.
	time.Sleep(10 * time.Millisecond)
}
