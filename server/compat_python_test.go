package server

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// pythonDriver is the interpreter Debian's python3-cassandra installs
// into; the python on PATH may be another one without the driver.
const pythonDriver = "/usr/bin/python3"

// requirePythonDriver turns a missing driver from a skip into a failure
// (CI installs it).
const requirePythonDriver = "WCDB_REQUIRE_PYTHON_DRIVER"

// driverReport is what testdata/python/driver_compat.py prints.
type driverReport struct {
	ProtocolVersion int    `json:"protocol_version"`
	Compression     string `json:"compression"`
	LZ4Available    bool   `json:"lz4_available"`
	ClusterName     string `json:"cluster_name"`
	Partitioner     string `json:"partitioner"`
	Hosts           []struct {
		Address        string `json:"address"`
		Datacenter     string `json:"datacenter"`
		Rack           string `json:"rack"`
		ReleaseVersion string `json:"release_version"`
		IsUp           bool   `json:"is_up"`
	} `json:"hosts"`
	KeyspacesAtConnect []string `json:"keyspaces_at_connect"`
	Keyspaces          []string `json:"keyspaces"`
	Replication        string   `json:"replication"`
	Tables             []string `json:"tables"`
	Columns            map[string]struct {
		Kind     string `json:"kind"`
		Type     string `json:"type"`
		Reversed bool   `json:"reversed"`
	} `json:"columns"`
	ColumnOrder       []string          `json:"column_order"`
	TableComment      string            `json:"table_comment"`
	Export            string            `json:"export"`
	ExportReplayed    bool              `json:"export_replayed"`
	PreparedPKIndexes []int             `json:"prepared_pk_indexes"`
	ReplicasForKey    []string          `json:"replicas_for_key"`
	DriverToken       int64             `json:"driver_token"`
	NodeToken         int64             `json:"node_token"`
	Roundtrip         map[string]string `json:"roundtrip"`
	Update            [][]any           `json:"update"`
	AfterDelete       []bool            `json:"after_delete"`
	PagingPartition   struct {
		Pages   int  `json:"pages"`
		Rows    int  `json:"rows"`
		Ordered bool `json:"ordered"`
	} `json:"paging_partition"`
	PagingTable struct {
		Pages    int `json:"pages"`
		Rows     int `json:"rows"`
		Distinct int `json:"distinct"`
	} `json:"paging_table"`
	IteratedRows int               `json:"iterated_rows"`
	Errors       map[string]string `json:"errors"`
	DDLSeconds   [][2]any          `json:"ddl_seconds"`
}

// checkPythonDriver skips the test when the DataStax Python driver is not
// installed, or fails it when CI demands the driver.
// runPython runs testdata/python/SCRIPT against node n (its host and
// port as arguments) within timeout, and returns what it printed; a
// failure ends the test with its stderr.
func runPython(t *testing.T, n *Node, script string, timeout time.Duration) []byte {
	t.Helper()
	host, port, _ := net.SplitHostPort(n.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	path, err := filepath.Abs(filepath.Join("testdata", "python", script))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, pythonDriver, path, host, port)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v; stderr:\n%s", script, err, stderr.String())
	}
	return stdout.Bytes()
}

func checkPythonDriver(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, pythonDriver, "-c", "import cassandra; print(cassandra.__version__)").CombinedOutput()
	if err == nil {
		t.Logf("DataStax Python driver %s", bytes.TrimSpace(out))
		return
	}
	msg := "the DataStax Python driver is not importable by " + pythonDriver +
		" (apt-get install python3-cassandra): " + err.Error() + ": " + string(bytes.TrimSpace(out))
	if os.Getenv(requirePythonDriver) == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// TestCompatPythonDriver runs testdata/python/driver_compat.py against a
// node: connection with the driver's protocol negotiation (v5 refused,
// v4 used), schema metadata, DESCRIBE-like export, prepared statements of
// many types, token-aware routing, paging and error types.
func TestCompatPythonDriver(t *testing.T) {
	checkPythonDriver(t)
	n := compatNode(t)
	host, port, _ := net.SplitHostPort(n.Addr().String())

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	script, err := filepath.Abs(filepath.Join("testdata", "python", "driver_compat.py"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, pythonDriver, script, host, port)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	t.Logf("python driver script ran in %v", time.Since(start).Round(time.Millisecond))
	if ctx.Err() != nil {
		t.Fatalf("python driver script did not finish in time; stderr:\n%s", stderr.String())
	}
	if err != nil {
		t.Fatalf("python driver script: %v; stderr:\n%s", err, stderr.String())
	}
	// The driver logs, rather than raises, what it fails to parse or
	// refresh (schema rows, topology): any error it logged is a failure.
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.HasPrefix(line, "ERROR:") || strings.HasPrefix(line, "CRITICAL:") {
			t.Errorf("driver logged: %s", line)
		}
	}
	var r driverReport
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("python driver script output: %v:\n%s", err, stdout.String())
	}

	if r.ProtocolVersion != 4 {
		t.Errorf("protocol version: got %d, want 4 (v5 refused, v4 negotiated)", r.ProtocolVersion)
	}
	t.Logf("protocol v%d, compression %s", r.ProtocolVersion, r.Compression)
	if want := map[bool]string{true: "lz4", false: "none"}[r.LZ4Available]; r.Compression != want {
		t.Errorf("compression: got %s, want %s (python lz4 module installed: %v)", r.Compression, want, r.LZ4Available)
	}
	if r.Partitioner != "org.apache.cassandra.dht.Murmur3Partitioner" {
		t.Errorf("partitioner: got %q, want Murmur3Partitioner", r.Partitioner)
	}
	cfg := DefaultConfig()
	if r.ClusterName != cfg.ClusterName {
		t.Errorf("cluster name: got %q, want %q", r.ClusterName, cfg.ClusterName)
	}
	if len(r.Hosts) != 1 || r.Hosts[0].Address != host || r.Hosts[0].Datacenter != cfg.DataCenter ||
		r.Hosts[0].Rack != cfg.Rack || r.Hosts[0].ReleaseVersion != ReleaseVersion || !r.Hosts[0].IsUp {
		t.Errorf("hosts: got %+v, want one up host %s in %s/%s", r.Hosts, host, cfg.DataCenter, cfg.Rack)
	}
	for _, ks := range []string{"system", "system_schema", "system_auth", "system_distributed", "system_traces"} {
		if !slices.Contains(r.KeyspacesAtConnect, ks) {
			t.Errorf("keyspaces at connect: got %v, want %s among them", r.KeyspacesAtConnect, ks)
		}
	}
	if !slices.Contains(r.Keyspaces, "pydriver") {
		t.Errorf("keyspaces after CREATE KEYSPACE: got %v, want pydriver among them", r.Keyspaces)
	}
	if want := "{'class': 'SimpleStrategy', 'replication_factor': '1'}"; r.Replication != want {
		t.Errorf("replication: got %s, want %s", r.Replication, want)
	}
	if !slices.Equal(r.Tables, []string{"events", "pages"}) {
		t.Errorf("tables: got %v, want [events pages]", r.Tables)
	}

	wantCols := map[string]string{
		"p": "partition_key text", "b": "partition_key int", "c": "clustering timeuuid",
		"s": "static text", "v": "regular int", "tags": "regular set<text>",
		"attrs": "regular map<text, int>", "l": "regular list<bigint>", "data": "regular blob",
		"ts": "regular timestamp", "d": "regular date", "t": "regular time", "u": "regular uuid",
		"addr": "regular inet", "dec": "regular decimal", "vi": "regular varint",
		"f": "regular float", "dbl": "regular double", "flag": "regular boolean",
		"tiny": "regular tinyint", "small": "regular smallint", "fl": "regular frozen<list<int>>",
		"tup": "regular frozen<tuple<int, text>>", "a": "regular ascii",
	}
	gotCols := map[string]string{}
	for name, c := range r.Columns {
		gotCols[name] = c.Kind + " " + c.Type
	}
	if !maps.Equal(gotCols, wantCols) {
		for _, name := range slices.Sorted(maps.Keys(wantCols)) {
			if gotCols[name] != wantCols[name] {
				t.Errorf("column %s: got %q, want %q", name, gotCols[name], wantCols[name])
			}
		}
		for name := range gotCols {
			if _, ok := wantCols[name]; !ok {
				t.Errorf("unexpected column %s: %q", name, gotCols[name])
			}
		}
	}
	if !r.Columns["c"].Reversed {
		t.Errorf("clustering column c: not reversed, want CLUSTERING ORDER BY (c DESC)")
	}
	if len(r.ColumnOrder) < 3 || !slices.Equal(r.ColumnOrder[:3], []string{"p", "b", "c"}) {
		t.Errorf("column order: got %v, want the primary key (p, b, c) first", r.ColumnOrder)
	}
	if r.TableComment != "python driver" {
		t.Errorf("table comment: got %q, want %q", r.TableComment, "python driver")
	}

	for _, want := range []string{
		"CREATE KEYSPACE pydriver WITH replication = {'class': 'SimpleStrategy', 'replication_factor': '1'}",
		"CREATE TABLE pydriver.events (",
		"    s text static,",
		"    tup frozen<tuple<int, text>>,",
		"    PRIMARY KEY ((p, b), c)",
		") WITH CLUSTERING ORDER BY (c DESC)",
		"AND comment = 'python driver'",
		"CREATE TABLE pydriver.pages (",
		"    extra text,",
	} {
		if !strings.Contains(r.Export, want) {
			t.Errorf("export_as_string lacks %q:\n%s", want, r.Export)
		}
	}
	if !r.ExportReplayed {
		t.Errorf("export_as_string replayed into another keyspace exports differently")
	}

	for _, col := range slices.Sorted(maps.Keys(r.Roundtrip)) {
		if r.Roundtrip[col] != "ok" {
			t.Errorf("prepared round trip of %s: %s", col, r.Roundtrip[col])
		}
	}
	if len(r.Roundtrip) != len(wantCols) {
		t.Errorf("prepared round trip: got %d columns, want %d", len(r.Roundtrip), len(wantCols))
	}
	if !slices.Equal(r.PreparedPKIndexes, []int{0, 1}) {
		t.Errorf("prepared INSERT partition key indexes: got %v, want [0 1]", r.PreparedPKIndexes)
	}
	if !slices.Equal(r.ReplicasForKey, []string{host}) {
		t.Errorf("token map replicas for the key: got %v, want [%s]", r.ReplicasForKey, host)
	}
	if r.DriverToken != r.NodeToken || r.NodeToken == 0 {
		t.Errorf("token of the partition key: driver %d, node %d; want equal", r.DriverToken, r.NodeToken)
	}
	wantUpdate := [][]any{{"static value", 5.0, []any{"z"}, map[string]any{"k": 9.0}}}
	if !reflect.DeepEqual(r.Update, wantUpdate) {
		t.Errorf("after prepared UPDATE: got %v, want %v", r.Update, wantUpdate)
	}
	if !slices.Equal(r.AfterDelete, []bool{true}) {
		t.Errorf("after prepared DELETE: got %v, want the other row only", r.AfterDelete)
	}

	// 500 rows by 50, 1500 by 100: the last page may be an empty one.
	if p := r.PagingPartition; p.Rows != 500 || !p.Ordered || p.Pages < 10 || p.Pages > 11 {
		t.Errorf("paging one partition: got %+v, want 500 ordered rows in 10 pages", p)
	}
	if p := r.PagingTable; p.Rows != 1500 || p.Distinct != 1500 || p.Pages < 15 || p.Pages > 16 {
		t.Errorf("paging the table: got %+v, want 1500 distinct rows in 15 pages", p)
	}
	if r.IteratedRows != 1500 {
		t.Errorf("iterating with fetch_size 7: got %d rows, want 1500", r.IteratedRows)
	}
	for _, kind := range []string{"already_exists", "syntax", "invalid"} {
		if r.Errors[kind] != "ok" {
			t.Errorf("%s error: got %q, want the driver's exception type", kind, r.Errors[kind])
		}
	}
	if len(r.DDLSeconds) != 5 {
		t.Errorf("got %d timed DDL statements, want 5", len(r.DDLSeconds))
	}
	for _, d := range r.DDLSeconds {
		if secs, _ := d[1].(float64); secs > 0.5 {
			t.Errorf("%v took %.3fs (schema agreement), want under 0.5s", d[0], secs)
		}
	}
	if t.Failed() {
		t.Logf("driver stderr:\n%s", stderr.String())
	}
}
