package query

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"wcdb/internal/localnode"
	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/query/catalog"
	"wcdb/query/funcs"
	"wcdb/query/parser"
	"wcdb/replication"
	"wcdb/schema"
	"wcdb/storage"
)

// ddlTopology is a Topology for tests; peers can change.
type ddlTopology struct {
	mu    sync.Mutex
	local Node
	peers []Node
}

func (t *ddlTopology) ClusterName() string { return "Test Cluster" }

func (t *ddlTopology) Local() Node {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.local
}

func (t *ddlTopology) Peers() []Node {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.peers)
}

func (t *ddlTopology) setPeers(ps []Node) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.peers = ps
}

// ddlEnv is an executor on a real engine over an in-memory file system,
// which restart closes and reopens.
type ddlEnv struct {
	t       testing.TB
	fs      *vfs.MemFS
	engine  *storage.Engine
	x       *Executor
	topo    *ddlTopology
	clock   int64
	session Session
	access  *AccessConfig
}

func newDDLEnv(t testing.TB) *ddlEnv {
	e := &ddlEnv{t: t, fs: vfs.NewMem(), clock: 1_700_000_000_000_000, topo: &ddlTopology{local: Node{
		HostID:     [16]byte{0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x43, 0x33, 0x84, 0x44, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55},
		Address:    net.IPv4(127, 0, 0, 1).To4(),
		RPCAddress: net.IPv4(127, 0, 0, 1).To4(),
		RPCPort:    9042,
		DataCenter: "datacenter1",
		Rack:       "rack1",
		Tokens:     []string{"-9000000000000000000", "3074457345618258602"},
	}}}
	e.open()
	t.Cleanup(func() {
		if e.engine != nil {
			e.engine.Close()
		}
	})
	return e
}

func (e *ddlEnv) now() int64 {
	e.clock++
	return e.clock
}

func (e *ddlEnv) open() {
	e.t.Helper()
	o := storage.DefaultOptions("/db")
	o.FS = e.fs
	// The engine's clock is the statements' era (fixed: background work
	// reads it), so that tombstones are as old to it as to them (raw reads
	// leave out those past gc_grace).
	base := time.UnixMicro(e.clock)
	o.Now = func() time.Time { return base }
	o.BlockCacheSize = 1 << 20
	o.CommitLogSegmentSize = 1 << 20
	eng, err := storage.Open(o)
	if err != nil {
		e.t.Fatal(err)
	}
	e.engine = eng
	x, err := New(context.Background(), Config{
		Coordinator: replication.NewLocal(localnode.Replica{E: eng, Counters: localnode.NewCounters([16]byte{1})}, "datacenter1"),
		Backend:     localnode.Backend{E: eng},
		Topology:    e.topo,
		Now:         e.now,
		Access:      e.access,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.x = x
}

func (e *ddlEnv) restart() {
	e.t.Helper()
	if err := e.engine.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.engine = nil
	e.open()
}

// exec runs one statement in the env's session, through the executor's
// full path (schema statements, and the SELECTs that read them).
func (e *ddlEnv) exec(stmt string, opts *Options) (*Result, error) {
	if opts == nil {
		opts = &Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp}
	}
	return e.x.Query(context.Background(), &e.session, stmt, opts)
}

// execStmt runs a parsed statement through the executor's full path.
func (e *ddlEnv) execStmt(st ast.Statement, opts *Options) (*Result, error) {
	return e.exec(st.String(), opts)
}

func (e *ddlEnv) mustExec(stmt string) *Result {
	e.t.Helper()
	r, err := e.exec(stmt, nil)
	if err != nil {
		e.t.Fatalf("%s: %v", stmt, err)
	}
	return r
}

var errorCodeNames = map[ErrorKind]string{
	KindServerError: "ServerError", KindSyntax: "Syntax", KindUnauthorized: "Unauthorized",
	KindInvalid: "Invalid", KindConfig: "Config", KindAlreadyExists: "AlreadyExists",
}

func formatDDLError(err error) string {
	code, ok := ErrorKindOf(err)
	if !ok {
		return "server error: " + err.Error()
	}
	s := fmt.Sprintf("error %s: %s", errorCodeNames[code], err.Error())
	var qe *Error
	if code == KindAlreadyExists && asQueryError(err, &qe) {
		s += fmt.Sprintf(" [keyspace=%s table=%s]", qe.Keyspace, qe.Table)
	}
	return s
}

func asQueryError(err error, qe **Error) bool {
	e, ok := err.(*Error)
	if ok {
		*qe = e
	}
	return ok
}

func formatDDLResult(r *Result) string {
	var b strings.Builder
	switch r.Kind {
	case ResultVoid:
		b.WriteString("ok\n")
	case ResultSetKeyspace:
		fmt.Fprintf(&b, "keyspace %s\n", r.Keyspace)
	case ResultSchemaChange:
		c := r.Change
		name := c.Keyspace
		if c.Name != "" {
			name += "." + c.Name
		}
		fmt.Fprintf(&b, "%s %s %s\n", c.Change, c.Target, name)
	case ResultRows:
		var names []string
		for _, c := range r.Columns {
			names = append(names, c.Name)
		}
		fmt.Fprintf(&b, "[%s]\n", strings.Join(names, " | "))
		for _, row := range r.Rows {
			var vals []string
			for i, v := range row {
				if r.Columns[i].Name == "create_statement" {
					continue
				}
				if v == nil {
					vals = append(vals, "null")
				} else {
					vals = append(vals, schema.Display(r.Columns[i].Type, v))
				}
			}
			b.WriteString(strings.Join(vals, " | "))
			b.WriteByte('\n')
			if len(row) == 4 && r.Columns[3].Name == "create_statement" {
				b.WriteString(string(row[3]))
				b.WriteString("\n\n")
			}
		}
		if r.PagingState != nil {
			b.WriteString("(more pages)\n")
		}
	}
	return b.String()
}

// formatCatalog prints the user keyspaces and their tables: columns with
// their kinds and ids, and the options.
func formatCatalog(c *catalog.Catalog, only string) string {
	var b strings.Builder
	for _, ks := range c.Keyspaces() {
		if catalog.IsSystemKeyspace(ks) || only != "" && ks != only {
			continue
		}
		k := c.Keyspace(ks)
		fmt.Fprintf(&b, "keyspace %s durable_writes=%v replication=%s\n", ks, k.DurableWrites, catalog.MapLiteral(k.Replication, true))
		for _, t := range c.Tables(ks) {
			fmt.Fprintf(&b, "  table %s next_column_id=%d\n", t.Name, t.NextColumnID)
			for _, col := range t.Columns {
				extra := ""
				if col.Desc {
					extra = " desc"
				}
				fmt.Fprintf(&b, "    %s %s %s pos=%d id=%d%s\n", col.Name, col.Type, col.Kind, col.Position, col.ID, extra)
			}
			p := c.TableParams(ks, t.Name)
			fmt.Fprintf(&b, "    ttl=%d gc=%d bloom=%s comment=%q\n", t.DefaultTTL, t.GCGrace, funcs.JavaDouble(t.BloomFilterFPChance, 64), t.Comment)
			fmt.Fprintf(&b, "    compaction=%s\n    compression=%s\n", catalog.MapLiteral(t.Compaction, true), catalog.MapLiteral(t.Compression, true))
			fmt.Fprintf(&b, "    caching=%s speculative_retry=%s read_repair=%s\n", catalog.MapLiteral(p.Caching, true), p.SpeculativeRetry, p.ReadRepair)
			for _, d := range p.Dropped {
				fmt.Fprintf(&b, "    dropped %s %s %s at %d\n", d.Name, d.Type, d.Kind, d.Time)
			}
		}
	}
	return b.String()
}

// formatSysRows prints rows read back from a system table, sorted, with
// the columns in the table's order.
func formatSysRows(t *schema.Table, rows []catalog.Row, keyspace string) string {
	var lines []string
	for _, r := range rows {
		if keyspace != "" && r.Text("keyspace_name") != keyspace {
			continue
		}
		var parts []string
		for _, c := range t.Columns {
			v, ok := r[c.Name]
			if !ok {
				continue
			}
			ser, err := schema.Encode(c.Type, v)
			s := fmt.Sprint(v)
			if err == nil {
				s = schema.Format(c.Type, ser)
			}
			parts = append(parts, c.Name+"="+s)
		}
		lines = append(lines, strings.Join(parts, " "))
	}
	if len(lines) == 0 {
		return "(no rows)\n"
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

func TestDDLDataDriven(t *testing.T) { datadriven.Walk(t, "testdata/ddl", runDDLFile) }

func TestSystemDataDriven(t *testing.T) { datadriven.Walk(t, "testdata/system", runDDLFile) }

// runDDLFile runs a data-driven file of schema statements. Commands:
//
//	exec: run the statements of the input, print results or errors
//	page size=N [change]: run a statement page by page
//	catalog [keyspace=ks]: print the user schema
//	restart: close the engine, reopen it, build a new executor
//	flush: flush every table
//	plan: how a SELECT uses secondary indexes
//	session: print the session's keyspace
//	sysread table=ks.t [keyspace=k]: print a system table's rows
//	peers: set the topology's peers, one per line:
//	    address dc rack host-id schema-version token...
//	refresh: RefreshTopology
//	version: print the schema version
//	authorizer: restart with permissions checked (CassandraAuthorizer)
//	setup: create the default superuser (SetupRoles)
//	login [user=R] [password=P]: act as role R (checking P if given);
//	    no user: as the node itself
func runDDLFile(t *testing.T, path string) {
	e := newDDLEnv(t)
	datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
		switch d.Cmd {
		case "authorizer":
			e.access = &AccessConfig{Authorize: true}
			e.restart()
			return "ok\n"
		case "setup":
			def, err := e.x.SetupRoles(context.Background(), map[string]string{"cassandra": "cassandra"})
			if err != nil {
				return formatDDLError(err) + "\n"
			}
			return fmt.Sprintf("default password in use: %v\n", def)
		case "login":
			var user, pw string
			if d.HasArg("user") {
				d.ScanArgs(t, "user", &user)
			}
			if d.HasArg("password") {
				d.ScanArgs(t, "password", &pw)
				role, err := e.x.Authenticate(context.Background(), user, pw)
				if err != nil {
					return "login refused: " + err.Error() + "\n"
				}
				user = role
			}
			e.session.User = user
			return "ok\n"

		case "peers":
			var ps []Node
			for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
				f := strings.Fields(line)
				if len(f) < 5 {
					continue
				}
				hid, err := schema.ParseUUID(f[3])
				if err != nil {
					t.Fatal(err)
				}
				var sv schema.UUID
				if f[4] != "-" {
					if sv, err = schema.ParseUUID(f[4]); err != nil {
						t.Fatal(err)
					}
				}
				ip := net.ParseIP(f[0])
				if ip4 := ip.To4(); ip4 != nil {
					ip = ip4
				}
				ps = append(ps, Node{HostID: hid, Address: ip, RPCAddress: ip, DataCenter: f[1], Rack: f[2],
					SchemaVersion: sv, Tokens: f[5:]})
			}
			e.topo.setPeers(ps)
			return "ok\n"
		case "refresh":
			if err := e.x.RefreshTopology(context.Background()); err != nil {
				return formatDDLError(err) + "\n"
			}
			return "ok\n"
		case "flush":
			if err := e.engine.FlushAll(); err != nil {
				t.Fatal(err)
			}
			return "ok\n"
		case "plan":
			// How a SELECT uses secondary indexes (query/plan/indexplan).
			p, err := e.x.Prepare(&e.session, d.Input)
			if err != nil {
				return formatDDLError(err) + "\n"
			}
			ss := p.plan.(*preparedStmt).cur.Load().run.(*selectStmt)
			switch {
			case ss.ix != nil:
				return "scan through " + ss.ix.String() + "\n"
			case ss.p.KeysMode:
				return "partition read, filtered\n"
			}
			return "scan, no index\n"
		case "exec":
			sts, err := parser.ParseAll(d.Input)
			if err != nil {
				return formatDDLError(err) + "\n"
			}
			var b strings.Builder
			for _, st := range sts {
				r, err := e.execStmt(st, nil)
				if err != nil {
					b.WriteString(formatDDLError(err) + "\n")
					continue
				}
				b.WriteString(formatDDLResult(r))
			}
			return b.String()
		case "page":
			// page size=N: a statement run page by page.
			var size int
			d.ScanArgs(t, "size", &size)
			st, err := parser.Parse(d.Input)
			if err != nil {
				return formatDDLError(err) + "\n"
			}
			var b strings.Builder
			opts := &Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp, PageSize: size}
			for i := 0; ; i++ {
				r, err := e.execStmt(st, opts)
				if err != nil {
					return b.String() + formatDDLError(err) + "\n"
				}
				fmt.Fprintf(&b, "page %d: %d rows\n", i, len(r.Rows))
				if r.PagingState == nil {
					return b.String()
				}
				opts.PagingState = r.PagingState
				if d.HasArg("change") && i == 0 {
					e.mustExec("CREATE KEYSPACE IF NOT EXISTS paging_change WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
				}
			}
		case "catalog":
			only := ""
			if d.HasArg("keyspace") {
				d.ScanArgs(t, "keyspace", &only)
			}
			return formatCatalog(e.x.catalog, only)
		case "restart":
			e.restart()
			return "ok\n"
		case "session":
			return fmt.Sprintf("keyspace=%q\n", e.session.Keyspace)
		case "sysread":
			var name, ks string
			d.ScanArgs(t, "table", &name)
			if d.HasArg("keyspace") {
				d.ScanArgs(t, "keyspace", &ks)
			}
			ksName, tName, _ := strings.Cut(name, ".")
			tab := e.x.catalog.Table(ksName, tName)
			if tab == nil {
				t.Fatalf("no table %s", name)
			}
			rows, _, err := catalog.ReadTable(context.Background(), e.x.cfg.Coordinator, e.x.catalog.Keyspace(ksName), tab)
			if err != nil {
				t.Fatal(err)
			}
			return formatSysRows(tab, rows, ks)
		case "version":
			v := e.x.catalog.Version()
			return fmt.Sprintf("%s\n", schema.UUID(v))
		}
		t.Fatalf("unknown command %s", d.Cmd)
		return ""
	})
}

// TestDDLSurvivesPowerLoss: a schema change is durable once acknowledged,
// even in periodic commit-log mode with its next sync seconds away: the file
// system a power loss leaves (only what was synced) still has it.
func TestDDLSurvivesPowerLoss(t *testing.T) {
	e := newDDLEnv(t)
	for _, stmt := range []string{
		"CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE ks.t (k int PRIMARY KEY, v text)",
		"ALTER TABLE ks.t ADD w int",
	} {
		if _, err := e.exec(stmt, nil); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	lost := e.fs.Crash() // what a reboot would find; the engine stays open on the old one
	e.engine.Close()
	e.fs = lost
	e.open()
	tb := e.x.Catalog().Table("ks", "t")
	if tb == nil {
		t.Fatal("ks.t is gone after a power loss")
	}
	if tb.Column("w") == nil {
		t.Fatal("the column ALTER TABLE added is gone after a power loss")
	}
}
