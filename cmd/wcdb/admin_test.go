package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"

	"wcdb/internal/units"
	"wcdb/messaging"
	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/server"
)

// noReplica is a replica that holds nothing: the admin tests' nodes answer
// only Admin calls.
type noReplica struct{}

var errNoData = errors.New("admin test node holds no data")

func (noReplica) Apply(context.Context, *mutation.Mutation) error { return errNoData }
func (noReplica) Read(context.Context, replication.ReadCommand) (*mutation.Partition, error) {
	return nil, errNoData
}
func (noReplica) Digest(context.Context, replication.ReadCommand) ([]byte, error) {
	return nil, errNoData
}
func (noReplica) ReadRange(context.Context, replication.RangeCommand) (replication.RangeResult, error) {
	return replication.RangeResult{}, errNoData
}

// adminNode is a messaging server answering Admin calls with answer; it
// records the requests.
type adminNode struct {
	addr   string
	mu     sync.Mutex
	reqs   [][]string
	answer func(args []string) ([]byte, error)
}

func (n *adminNode) requests() [][]string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.reqs)
}

func startAdminNode(t *testing.T, answer func(args []string) ([]byte, error)) *adminNode {
	t.Helper()
	n := &adminNode{answer: answer}
	s, err := messaging.NewServer(noReplica{}, messaging.ServerOptions{
		Admin: func(_ context.Context, args []string) ([]byte, error) {
			n.mu.Lock()
			n.reqs = append(n.reqs, slices.Clone(args))
			n.mu.Unlock()
			return n.answer(args)
		}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n.addr = l.Addr().String()
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return n
}

// testStatus is a two-datacenter cluster with a node down (load unknown)
// and one joining, given out of order.
var testStatus = server.AdminStatus{
	ClusterName: "wcdb",
	Nodes: []server.AdminNode{
		{HostID: "33333333-0000-0000-0000-000000000003", Address: "127.0.0.3", DataCenter: "dc1", Rack: "rack1",
			Up: false, State: "NORMAL", LoadBytes: -1, Tokens: 16, Ownership: 0.25},
		{HostID: "22222222-0000-0000-0000-000000000002", Address: "127.0.0.2", DataCenter: "dc2", Rack: "rack1",
			Up: true, State: "JOINING", LoadBytes: 5 << 20, Tokens: 16, Ownership: 0},
		{HostID: "11111111-0000-0000-0000-000000000001", Address: "127.0.0.1", DataCenter: "dc1", Rack: "rack2",
			Up: true, State: "NORMAL", LoadBytes: 1536, Tokens: 16, Ownership: 0.75},
	},
}

const wantStatus = `Datacenter: dc1
===============
Status=Up/Down
|/ State=Normal/Leaving/Joining/Moving
--  Address    Load      Tokens  Owns   Host ID                               Rack
UN  127.0.0.1  1.50 KiB  16      75.0%  11111111-0000-0000-0000-000000000001  rack2
DN  127.0.0.3  ?         16      25.0%  33333333-0000-0000-0000-000000000003  rack1

Datacenter: dc2
===============
Status=Up/Down
|/ State=Normal/Leaving/Joining/Moving
--  Address    Load      Tokens  Owns  Host ID                               Rack
UJ  127.0.0.2  5.00 MiB  16      0.0%  22222222-0000-0000-0000-000000000002  rack1
`

// testNodeAnswers answers as a node of testStatus would: status with or
// without keyspace ks, getendpoints of ks, errors naming other keyspaces.
func testNodeAnswers(args []string) ([]byte, error) {
	switch {
	case len(args) == 1 && args[0] == "status":
		return json.Marshal(testStatus)
	case len(args) == 2 && args[0] == "status" && args[1] == "ks":
		st := testStatus
		st.Keyspace = "ks"
		return json.Marshal(st)
	case len(args) >= 2 && args[0] != "" && args[1] != "ks":
		return nil, fmt.Errorf("keyspace %q does not exist", args[1])
	case len(args) == 4 && args[0] == "getendpoints":
		return json.Marshal(server.AdminEndpoints{Keyspace: args[1], Table: args[2], Key: args[3], Token: 42,
			Endpoints: []string{"127.0.0.2", "127.0.0.1"}, HostIDs: []string{"b", "a"}})
	}
	return nil, fmt.Errorf("bad request %q", args)
}

func runCmd(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestAdminStatus(t *testing.T) {
	n := startAdminNode(t, testNodeAnswers)
	code, out, errOut := runCmd("admin", "status", "--host", n.addr)
	if code != 0 || out != wantStatus {
		t.Errorf("admin status: exit %d, stderr %q, got\n%s\nwant\n%s", code, errOut, out, wantStatus)
	}

	code, out, errOut = runCmd("admin", "status", "--host", n.addr, "--keyspace", "ks")
	if code != 0 || !strings.Contains(out, "Tokens  Owns (effective)  Host ID") || !strings.Contains(out, "75.0%") {
		t.Errorf("admin status --keyspace ks: exit %d, stderr %q, got\n%s", code, errOut, out)
	}

	code, out, errOut = runCmd("admin", "status", "--host", n.addr, "--json")
	want, _ := json.Marshal(testStatus)
	if code != 0 || out != string(want)+"\n" {
		t.Errorf("admin status --json: exit %d, stderr %q, got %q, want %q", code, errOut, out, want)
	}

	// The node's refusal is the operator's error: exit 1, its message.
	code, out, errOut = runCmd("admin", "status", "--host", n.addr, "--keyspace", "nope")
	if code != 1 || out != "" || errOut != "wcdb: keyspace \"nope\" does not exist\n" {
		t.Errorf("admin status --keyspace nope: exit %d, stdout %q, stderr %q; want 1 and the node's error", code, out, errOut)
	}

	wantReqs := [][]string{{"status"}, {"status", "ks"}, {"status"}, {"status", "nope"}}
	if got := n.requests(); !slices.EqualFunc(got, wantReqs, slices.Equal) {
		t.Errorf("requests: got %q, want %q", got, wantReqs)
	}
}

func TestAdminGetEndpoints(t *testing.T) {
	n := startAdminNode(t, testNodeAnswers)
	code, out, errOut := runCmd("admin", "getendpoints", "--host", n.addr, "ks", "t", "k1:2")
	if code != 0 || out != "127.0.0.2\n127.0.0.1\n" {
		t.Errorf("getendpoints: exit %d, stderr %q, got %q, want the two endpoints in order", code, errOut, out)
	}
	code, out, _ = runCmd("admin", "getendpoints", "--host", n.addr, "--json", "ks", "t", "k1:2")
	var ep server.AdminEndpoints
	if code != 0 || json.Unmarshal([]byte(out), &ep) != nil || ep.Token != 42 || ep.Key != "k1:2" {
		t.Errorf("getendpoints --json: exit %d, got %q", code, out)
	}
	code, out, errOut = runCmd("admin", "getendpoints", "--host", n.addr, "nope", "t", "k")
	if code != 1 || out != "" || !strings.HasPrefix(errOut, "wcdb: keyspace \"nope\" does not exist") {
		t.Errorf("getendpoints nope: exit %d, stdout %q, stderr %q; want 1 and the node's error", code, out, errOut)
	}
	// A key that starts with '-' follows --.
	code, out, errOut = runCmd("admin", "getendpoints", "--host", n.addr, "--", "ks", "t", "-5")
	if code != 0 || out != "127.0.0.2\n127.0.0.1\n" {
		t.Errorf("getendpoints -- ks t -5: exit %d, stderr %q, got %q", code, errOut, out)
	}
	wantReqs := [][]string{{"getendpoints", "ks", "t", "k1:2"}, {"getendpoints", "ks", "t", "k1:2"},
		{"getendpoints", "nope", "t", "k"}, {"getendpoints", "ks", "t", "-5"}}
	if got := n.requests(); !slices.EqualFunc(got, wantReqs, slices.Equal) {
		t.Errorf("requests: got %q, want %q", got, wantReqs)
	}
}

func TestAdminErrors(t *testing.T) {
	// A port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	n := startAdminNode(t, func([]string) ([]byte, error) { return []byte("not json"), nil })

	for _, tc := range []struct {
		args     []string
		code     int
		inStderr string
	}{
		{[]string{"admin"}, 2, "usage: wcdb admin status"},
		{[]string{"admin", "frobnicate"}, 2, `unknown admin command "frobnicate"`},
		{[]string{"admin", "status", "extra"}, 2, "unexpected arguments"},
		{[]string{"admin", "status", "--host", "127.0.0.1:http"}, 2, "not a port number"},
		{[]string{"admin", "status", "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"admin", "getendpoints", "ks", "t"}, 2, "wants KEYSPACE TABLE KEY, got 2"},
		{[]string{"admin", "status", "--host", closed}, 1, "cannot reach a node at " + closed},
		{[]string{"admin", "getendpoints", "--host", closed, "ks", "t", "k"}, 1, "cannot reach a node at " + closed},
		{[]string{"admin", "status", "--host", n.addr}, 1, "answered something other than a status"},
		{[]string{"admin", "getendpoints", "--host", n.addr, "ks", "t", "k"}, 1, "answered something other than endpoints"},
	} {
		code, out, errOut := runCmd(tc.args...)
		if code != tc.code || out != "" || !strings.Contains(errOut, tc.inStderr) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit %d and %q on stderr", tc.args, code, out, errOut, tc.code, tc.inStderr)
		}
	}
}

func TestAdminInternodeAddress(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"127.0.0.1", "127.0.0.1:7000"},
		{"127.0.0.1:7001", "127.0.0.1:7001"},
		{"localhost", "localhost:7000"},
		{"::1", "[::1]:7000"},
		{"[::1]", "[::1]:7000"},
		{"[::1]:7002", "[::1]:7002"},
	} {
		if got, err := internodeAddress(tc.in); err != nil || got != tc.want {
			t.Errorf("internodeAddress(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", ":7000", "127.0.0.1:0", "127.0.0.1:70000", "a:b:c"} {
		if got, err := internodeAddress(bad); err == nil {
			t.Errorf("internodeAddress(%q) = %q, want an error", bad, got)
		}
	}
}

func TestAdminFormatting(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{-1, "?"}, {0, "0 bytes"}, {1023, "1023 bytes"}, {1024, "1.00 KiB"}, {1536, "1.50 KiB"},
		{5 << 20, "5.00 MiB"}, {3 << 30, "3.00 GiB"}, {2 << 40, "2.00 TiB"}, {2048 << 40, "2048.00 TiB"},
	} {
		if got := units.Bytes(tc.n); got != tc.want {
			t.Errorf("units.Bytes(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
	for _, tc := range []struct {
		up    bool
		state string
		want  string
	}{
		{true, "NORMAL", "UN"}, {false, "NORMAL", "DN"}, {true, "JOINING", "UJ"}, {true, "LEAVING", "UL"},
		{false, "MOVING", "DM"}, {false, "LEFT", "D?"}, {true, "", "U?"},
	} {
		if got := statusCode(tc.up, tc.state); got != tc.want {
			t.Errorf("statusCode(%v, %q) = %q, want %q", tc.up, tc.state, got, tc.want)
		}
	}
	for _, tc := range []struct {
		f    float64
		want string
	}{{0, "0.0%"}, {1, "100.0%"}, {1.0 / 3, "33.3%"}, {-0.5, "?"}, {2, "?"}} {
		if got := percent(tc.f); got != tc.want {
			t.Errorf("percent(%v) = %q, want %q", tc.f, got, tc.want)
		}
	}
	var b bytes.Buffer
	if err := writeStatus(&b, &server.AdminStatus{}); err != nil || b.String() != "no nodes known\n" {
		t.Errorf("writeStatus(no nodes) = %q, %v", b.String(), err)
	}
}
