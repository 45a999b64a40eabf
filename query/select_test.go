package query

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"wcdb/query/term"

	"github.com/cockroachdb/datadriven"

	"wcdb/internal/localnode"
	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/query/catalog"
	"wcdb/query/parser"
	"wcdb/query/plan"
	"wcdb/replication"
	"wcdb/schema"
	"wcdb/storage"
)

// qh is a test harness: an executor over a real storage engine on an
// in-memory file system, with a clock the test moves, and keyspace "ks".
type qh struct {
	t       testing.TB
	x       *Executor
	e       *storage.Engine
	s       *Session
	now     time.Time
	tableNo byte
}

func newQH(t testing.TB) *qh {
	h := &qh{t: t, now: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
	o := storage.DefaultOptions("/db")
	o.FS = vfs.NewMem()
	o.Now = func() time.Time { return h.now }
	o.DisableAutoCompaction = true
	e, err := storage.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	h.e = e
	h.x = &Executor{cfg: Config{
		Coordinator: replication.NewLocal(localnode.Replica{E: e, Counters: localnode.NewCounters([16]byte{1})}, "datacenter1"),
		Backend:     localnode.Backend{E: e},
		Now:         func() int64 { return h.now.UnixMicro() },
	}, catalog: catalog.New()}
	h.x.catalog.SetKeyspace(&schema.Keyspace{Name: "ks", DurableWrites: true,
		Replication: map[string]string{"class": schema.SimpleStrategy, "replication_factor": "1"}})
	h.s = &Session{Keyspace: "ks"}
	return h
}

// createTable creates a table from a CREATE TABLE statement (only the
// default_time_to_live option is read), without the DDL code.
func (h *qh) createTable(stmt string) error {
	st, err := parser.Parse(stmt)
	if err != nil {
		return err
	}
	ct, ok := st.(*ast.CreateTableStmt)
	if !ok {
		return fmt.Errorf("not a CREATE TABLE: %s", stmt)
	}
	h.tableNo++
	def := schema.TableDef{Keyspace: "ks", Name: ct.Table.Name, ID: mutation.TableID{0xab, h.tableNo},
		PartitionKey: ct.PartitionKey, Clustering: ct.Clustering, Options: schema.DefaultTableOptions()}
	if ct.Table.Keyspace != "" {
		def.Keyspace = ct.Table.Keyspace
	}
	for _, c := range ct.Columns {
		typ, err := term.TypeOf(c.Type)
		if err != nil {
			return err
		}
		def.Columns = append(def.Columns, schema.ColumnDef{Name: c.Name, Type: typ, Static: c.Static})
	}
	for _, o := range ct.ClusteringOrder {
		def.ClusteringOrder = append(def.ClusteringOrder, schema.ClusteringOrder{Name: o.Column, Desc: o.Desc})
	}
	for _, p := range ct.Properties {
		if p.Name == "default_time_to_live" {
			n, err := strconv.Atoi(p.Value.(*ast.Constant).Text)
			if err != nil {
				return err
			}
			def.Options.DefaultTTL = int32(n)
		}
	}
	t, err := schema.NewTable(def)
	if err != nil {
		return err
	}
	if err := (localnode.Backend{E: h.e}).CreateTable(t); err != nil {
		return err
	}
	h.x.catalog.SetTable(t)
	return nil
}

// opts returns execution options with values parsed from CQL literals
// against the bind specs ("unset" for Unset).
func (h *qh) opts(specs []ColumnSpec, lits []string) (*Options, error) {
	o := &Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp}
	if len(lits) != len(specs) {
		return nil, fmt.Errorf("%d values for %d markers", len(lits), len(specs))
	}
	for i, l := range lits {
		if strings.TrimSpace(l) == "unset" {
			o.Values = append(o.Values, Unset)
			continue
		}
		v, err := h.literal(specs[i].Type, l)
		if err != nil {
			return nil, err
		}
		o.Values = append(o.Values, v)
	}
	return o, nil
}

// literal converts a CQL literal to a value of type t.
func (h *qh) literal(t schema.Type, lit string) ([]byte, error) {
	st, err := parser.Parse("INSERT INTO x (a) VALUES (" + lit + ")")
	if err != nil {
		return nil, err
	}
	a := term.NewAnalyzer(h.x.clock(), "ks", "x", nil)
	tm, err := a.Term(st.(*ast.InsertStmt).Values[0], plan.Receiver{Name: "a", Type: t})
	if err != nil {
		return nil, err
	}
	return tm.Eval(&plan.Binder{Clock: h.x.clock()})
}

// splitValues splits "1, 'a', [1, 2]" at top-level commas.
func splitValues(s string) []string {
	var out []string
	depth, start := 0, 0
	inStr := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			inStr = !inStr
		case inStr:
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
		case c == ',' && depth == 0:
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	if t := strings.TrimSpace(s[start:]); t != "" {
		out = append(out, t)
	}
	return out
}

func codeName(c ErrorKind) string {
	switch c {
	case KindInvalid:
		return "Invalid"
	case KindSyntax:
		return "Syntax"
	case KindProtocol:
		return "Protocol"
	case KindUnavailable:
		return "Unavailable"
	case KindConfig:
		return "Config"
	case KindServerError:
		return "Server"
	case KindFunctionFailure:
		return "FunctionFailure"
	}
	return fmt.Sprintf("0x%04x", uint16(c))
}

func errString(err error) string {
	code, ok := ErrorKindOf(err)
	if !ok {
		return "error (server): " + err.Error()
	}
	msg := err.Error()
	var qe *Error
	if errors.As(err, &qe) {
		msg = qe.Msg
	}
	return fmt.Sprintf("error (%s): %s", codeName(code), msg)
}

func formatRows(cols []ColumnSpec, rows [][][]byte) string {
	var b strings.Builder
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	b.WriteString(strings.Join(names, " | "))
	b.WriteByte('\n')
	for _, r := range rows {
		vals := make([]string, len(r))
		for i, v := range r {
			if v == nil {
				vals[i] = "null"
			} else {
				vals[i] = schema.Format(cols[i].Type, v)
			}
		}
		b.WriteString(strings.Join(vals, " | "))
		b.WriteByte('\n')
	}
	return b.String()
}

// queryAll runs a statement, fetching every page when pageSize > 0, and
// returns the result with all rows and the number of pages.
func (h *qh) queryAll(p *Prepared, o *Options, pageSize int) (*Result, int, error) {
	ctx := context.Background()
	o.PageSize = pageSize
	var all *Result
	pages := 0
	for {
		res, err := h.x.Execute(ctx, h.s, p, o)
		if err != nil {
			return nil, pages, err
		}
		pages++
		if pageSize > 0 && len(res.Rows) > pageSize {
			return nil, pages, fmt.Errorf("page of %d rows for page size %d", len(res.Rows), pageSize)
		}
		if all == nil {
			all = res
		} else {
			all.Rows = append(all.Rows, res.Rows...)
		}
		if res.PagingState == nil {
			return all, pages, nil
		}
		if pages > 10000 {
			return nil, pages, fmt.Errorf("too many pages")
		}
		o2 := *o
		o2.PagingState = res.PagingState
		o = &o2
	}
}

// runDataDriven runs the data-driven files of a directory. Commands:
//
//	table                a CREATE TABLE statement
//	exec                 statements, one per line → ok, or each error
//	query [page=N] [values=...]
//	                     one statement (prepared, bound to values) → its
//	                     rows; with page=N fetched N rows at a time, the
//	                     pages checked against an unpaged run
//	prepare              one statement → its bind and result metadata
//	time  set=RFC3339 | advance=duration
//	                     moves the executor's and the engine's clock
//	flush                flushes every table's memtable
func runDataDriven(t *testing.T, dir string) {
	datadriven.Walk(t, dir, func(t *testing.T, path string) {
		h := newQH(t)
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			return h.command(t, d)
		})
	})
}

func (h *qh) command(t *testing.T, d *datadriven.TestData) string {
	ctx := context.Background()
	switch d.Cmd {
	case "table":
		if err := h.createTable(d.Input); err != nil {
			return errString(err) + "\n"
		}
		return "ok\n"
	case "exec":
		var out strings.Builder
		for _, line := range strings.Split(d.Input, "\n") {
			if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "--") {
				continue
			}
			if _, err := h.x.Query(ctx, h.s, line, &Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp}); err != nil {
				fmt.Fprintf(&out, "%s\n%s\n", line, errString(err))
			}
		}
		if out.Len() == 0 {
			return "ok\n"
		}
		return out.String()
	case "query":
		p, err := h.x.Prepare(h.s, d.Input)
		if err != nil {
			return errString(err) + "\n"
		}
		var lits []string
		page := 0
		for _, a := range d.CmdArgs {
			switch a.Key {
			case "values":
				lits = splitValues(strings.Join(a.Vals, ","))
			case "page":
				page, _ = strconv.Atoi(a.Vals[0])
			}
		}
		o, err := h.opts(p.Bind, lits)
		if err != nil {
			t.Fatalf("%s: %v", d.Pos, err)
		}
		res, pages, err := h.queryAll(p, o, page)
		if err != nil {
			return errString(err) + "\n"
		}
		if res.Kind != ResultRows {
			return "ok\n"
		}
		out := formatRows(res.Columns, res.Rows)
		if page > 0 {
			o2, _ := h.opts(p.Bind, lits)
			full, _, err := h.queryAll(p, o2, 0)
			if err != nil {
				t.Fatalf("%s: unpaged: %v", d.Pos, err)
			}
			if want := formatRows(full.Columns, full.Rows); want != out {
				t.Errorf("%s: paged result differs from unpaged:\n%s\nwant\n%s", d.Pos, out, want)
			}
			out += fmt.Sprintf("(%d pages)\n", pages)
		}
		return out
	case "prepare":
		p, err := h.x.Prepare(h.s, d.Input)
		if err != nil {
			return errString(err) + "\n"
		}
		var b strings.Builder
		for i, s := range p.Bind {
			fmt.Fprintf(&b, "bind %d: %s.%s %s %s\n", i, s.Keyspace, s.Table, s.Name, s.Type)
		}
		fmt.Fprintf(&b, "pk indexes: %v\n", p.PKIndexes)
		for _, c := range p.Columns {
			fmt.Fprintf(&b, "column: %s.%s %s %s\n", c.Keyspace, c.Table, c.Name, c.Type)
		}
		return b.String()
	case "time":
		for _, a := range d.CmdArgs {
			switch a.Key {
			case "set":
				tm, err := time.Parse(time.RFC3339, a.Vals[0])
				if err != nil {
					t.Fatal(err)
				}
				h.now = tm
			case "advance":
				dur, err := time.ParseDuration(a.Vals[0])
				if err != nil {
					t.Fatal(err)
				}
				h.now = h.now.Add(dur)
			}
		}
		return "ok\n"
	case "flush":
		if err := h.e.FlushAll(); err != nil {
			t.Fatal(err)
		}
		return "ok\n"
	}
	t.Fatalf("%s: unknown command %s", d.Pos, d.Cmd)
	return ""
}

func TestSelect(t *testing.T) { runDataDriven(t, "testdata/select") }

// rowsOf runs a query and returns its rows formatted.
func (h *qh) rowsOf(q string, pageSize int) (string, int) {
	h.t.Helper()
	p, err := h.x.Prepare(h.s, q)
	if err != nil {
		h.t.Fatalf("%s: %v", q, err)
	}
	res, pages, err := h.queryAll(p, &Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp}, pageSize)
	if err != nil {
		h.t.Fatalf("%s: %v", q, err)
	}
	return formatRows(res.Columns, res.Rows), pages
}

func (h *qh) mustExec(q string) {
	h.t.Helper()
	if _, err := h.x.Query(context.Background(), h.s, q, nil); err != nil {
		h.t.Fatalf("%s: %v", q, err)
	}
}

// TestPaging compares paged reads, at several page sizes, with unpaged
// ones, over partitions of various sizes, static rows, tombstones, and
// each kind of query: single partition, IN, reversed, merged IN with
// ORDER BY, LIMIT, PER PARTITION LIMIT, token ranges, DISTINCT, scans with
// filtering.
func TestPaging(t *testing.T) {
	h := newQH(t)
	if err := h.createTable("CREATE TABLE t (k int, c1 int, c2 text, s int STATIC, v int, PRIMARY KEY (k, c1, c2)) WITH CLUSTERING ORDER BY (c1 DESC, c2 ASC)"); err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 12; k++ {
		for c := 0; c < k*3; c++ {
			h.mustExec(fmt.Sprintf("INSERT INTO t (k, c1, c2, v) VALUES (%d, %d, '%c', %d)", k, c/2, 'a'+rune(c%2), k*100+c))
		}
		if k%3 == 0 {
			h.mustExec(fmt.Sprintf("UPDATE t SET s = %d WHERE k = %d", k, k))
		}
	}
	h.mustExec("DELETE FROM t WHERE k = 5 AND c1 = 3")
	h.mustExec("DELETE FROM t WHERE k = 7 AND c1 > 2 AND c1 <= 6")
	h.mustExec("DELETE v FROM t WHERE k = 8 AND c1 = 1 AND c2 = 'a'")
	queries := []string{
		"SELECT * FROM t WHERE k = 11",
		"SELECT * FROM t WHERE k = 11 ORDER BY c1 ASC, c2 DESC",
		"SELECT * FROM t WHERE k = 11 AND c1 > 3 AND c1 <= 12",
		"SELECT * FROM t WHERE k = 11 AND c1 IN (1, 5, 9) ORDER BY c1 ASC",
		"SELECT * FROM t WHERE k = 11 AND (c1, c2) > (4, 'a') AND (c1) < (14)",
		"SELECT * FROM t WHERE k IN (3, 0, 9, 5, 7, 8)",
		"SELECT * FROM t WHERE k IN (3, 0, 9, 5, 7, 8) ORDER BY c1 ASC",
		"SELECT * FROM t WHERE k IN (3, 0, 9, 5, 7, 8) ORDER BY c1 DESC",
		"SELECT * FROM t WHERE k IN (3, 0, 9, 5, 7, 8) LIMIT 17",
		"SELECT * FROM t WHERE k IN (3, 0, 9, 5, 7, 8) PER PARTITION LIMIT 4",
		"SELECT * FROM t",
		"SELECT * FROM t LIMIT 23",
		"SELECT * FROM t PER PARTITION LIMIT 2",
		"SELECT * FROM t PER PARTITION LIMIT 3 LIMIT 20",
		"SELECT k, s FROM t WHERE token(k) > -3000000000000000000 AND token(k) <= 6000000000000000000",
		"SELECT DISTINCT k, s FROM t",
		"SELECT * FROM t WHERE v > 300 ALLOW FILTERING",
		"SELECT * FROM t WHERE c1 = 2 ALLOW FILTERING",
		"SELECT * FROM t WHERE c1 IN (1, 3) ALLOW FILTERING",
		"SELECT k, c1, c2 FROM t WHERE c2 = 'b' ALLOW FILTERING",
		"SELECT * FROM t WHERE s = 3 ALLOW FILTERING",
	}
	for _, q := range queries {
		want, _ := h.rowsOf(q, 0)
		for _, ps := range []int{1, 2, 3, 5, 8, 13, 1000} {
			got, pages := h.rowsOf(q, ps)
			if got != want {
				t.Errorf("%s with page size %d (%d pages):\n%s\nwant\n%s", q, ps, pages, got, want)
			}
		}
	}
	// A large partition, read in several chunks.
	for c := 0; c < 2500; c++ {
		h.mustExec(fmt.Sprintf("INSERT INTO t (k, c1, c2, v) VALUES (100, %d, 'x', %d)", c, c))
	}
	for _, q := range []string{
		"SELECT count(*), sum(v) FROM t WHERE k = 100",
		"SELECT * FROM t WHERE k = 100 AND c1 > 10",
		"SELECT * FROM t WHERE k = 100 ORDER BY c1 ASC",
		"SELECT * FROM t WHERE k = 100 AND v > 2000 ALLOW FILTERING",
		"SELECT * FROM t WHERE k IN (100, 11) ORDER BY c1 DESC",
		"SELECT * FROM t WHERE v > 2400 ALLOW FILTERING",
	} {
		want, _ := h.rowsOf(q, 0)
		if strings.Count(want, "\n") < 2 {
			t.Errorf("%s: got\n%s", q, want)
		}
		for _, ps := range []int{700, 1500} {
			if got, _ := h.rowsOf(q, ps); got != want {
				t.Errorf("%s with page size %d: got %d lines, want %d", q, ps, strings.Count(got, "\n"), strings.Count(want, "\n"))
			}
		}
	}
	if got, _ := h.rowsOf("SELECT count(*), sum(v) FROM t WHERE k = 100", 0); got != "count | system.sum(v)\n2500 | 3123750\n" {
		t.Errorf("got %s", got)
	}

	// The same after a flush: reads merge SSTables and memtables.
	for _, name := range []string{"t"} {
		if err := h.e.Table(h.x.catalog.Table("ks", name).ID).Flush(); err != nil {
			t.Fatal(err)
		}
	}
	h.mustExec("INSERT INTO t (k, c1, c2, v) VALUES (11, 100, 'z', 1)")
	for _, q := range queries[:6] {
		want, _ := h.rowsOf(q, 0)
		got, _ := h.rowsOf(q, 3)
		if got != want {
			t.Errorf("after flush: %s:\n%s\nwant\n%s", q, got, want)
		}
	}
}

// TestPagingStateErrors checks that a damaged or foreign paging state is
// refused with a protocol error, and never panics.
func TestPagingStateErrors(t *testing.T) {
	h := newQH(t)
	for _, s := range []string{"CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c))", "CREATE TABLE t2 (k int PRIMARY KEY, v int)"} {
		if err := h.createTable(s); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 20; i++ {
		h.mustExec(fmt.Sprintf("INSERT INTO t (k, c, v) VALUES (%d, %d, 0)", i%3, i))
	}
	p, err := h.x.Prepare(h.s, "SELECT * FROM t")
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.x.Execute(context.Background(), h.s, p, &Options{Consistency: replication.One, PageSize: 4})
	if err != nil || res.PagingState == nil {
		t.Fatalf("got %v, %v", res, err)
	}
	good := res.PagingState
	p2, err := h.x.Prepare(h.s, "SELECT * FROM t2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.x.Execute(context.Background(), h.s, p2, &Options{Consistency: replication.One, PageSize: 4, PagingState: good}); err == nil {
		t.Errorf("state of t accepted for t2")
	} else if c, _ := ErrorKindOf(err); c != KindProtocol {
		t.Errorf("got %v, want a protocol error", err)
	}
	for i := 0; i < len(good); i++ {
		for _, bit := range []byte{1, 0x80} {
			bad := slices.Clone(good)
			bad[i] ^= bit
			_, err := h.x.Execute(context.Background(), h.s, p, &Options{Consistency: replication.One, PageSize: 4, PagingState: bad})
			if err == nil {
				t.Errorf("damaged state (byte %d) accepted", i)
			} else if c, _ := ErrorKindOf(err); c != KindProtocol {
				t.Errorf("byte %d: got %v, want a protocol error", i, err)
			}
		}
	}
	for n := 1; n < len(good); n++ {
		if _, err := h.x.Execute(context.Background(), h.s, p, &Options{Consistency: replication.One, PageSize: 4, PagingState: good[:n]}); err == nil {
			t.Errorf("truncated state (%d bytes) accepted", n)
		}
	}
}

// FuzzStatement prepares and runs arbitrary statements, with values cut
// from arbitrary bytes, on a small schema: analysis and execution must
// answer with an error, never panic.
func FuzzStatement(f *testing.F) {
	for _, dir := range []string{"testdata/select", "testdata/dml"} {
		files, err := filepath.Glob(filepath.Join(dir, "*"))
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			// The statements of query, exec and prepare commands.
			inInput := false
			for _, line := range strings.Split(string(b), "\n") {
				switch {
				case strings.HasPrefix(line, "query") || strings.HasPrefix(line, "exec") || strings.HasPrefix(line, "prepare"):
					inInput = true
				case line == "----":
					inInput = false
				case inInput && line != "":
					f.Add(line, []byte{0, 0, 0, 1, 0, 0, 0, 2})
				}
			}
		}
	}
	h := newQH(f)
	for _, s := range []string{
		"CREATE TABLE t (k int, a int, b text, c int, s int STATIC, v text, l list<int>, st set<text>, m map<text, int>, f frozen<list<int>>, PRIMARY KEY (k, a, b)) WITH CLUSTERING ORDER BY (a ASC, b DESC)",
		"CREATE TABLE t2 (k text PRIMARY KEY, v int)",
		"CREATE TABLE t3 (k1 int, k2 text, c int, v int, PRIMARY KEY ((k1, k2), c))",
	} {
		if err := h.createTable(s); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, q string, raw []byte) {
		p, err := h.x.Prepare(h.s, q)
		if err != nil {
			return
		}
		o := &Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp, PageSize: int(len(raw) % 5)}
		for range p.Bind {
			n := 0
			if len(raw) > 0 {
				n = int(raw[0]) % 10
				raw = raw[1:]
			}
			switch {
			case n == 9:
				o.Values = append(o.Values, nil)
			case n == 8:
				o.Values = append(o.Values, Unset)
			default:
				n = min(n, len(raw))
				o.Values = append(o.Values, raw[:n])
				raw = raw[n:]
			}
		}
		if len(raw) > 3 {
			o.PagingState = raw
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		h.x.Execute(ctx, h.s, p, o)
	})
}

// TestPlainSelection checks rows built in one pass over their cells (every
// selector a single-cell column) in any selection order, with missing,
// null, deleted and collection neighbours, against the same columns read
// one by one (a selection with token() is not plain).
func TestPlainSelection(t *testing.T) {
	h := newQH(t)
	if err := h.createTable("CREATE TABLE p (k int, c int, e int, a int, m map<int,int>, d text, b int, s int STATIC, PRIMARY KEY (k, c))"); err != nil {
		t.Fatal(err)
	}
	h.mustExec("INSERT INTO p (k, c, a, b, d, e, m, s) VALUES (1, 1, 10, 20, 'x', 40, {1: 2}, 7)")
	h.mustExec("INSERT INTO p (k, c, a, e) VALUES (1, 2, 11, null)")
	h.mustExec("INSERT INTO p (k, c, b, d) VALUES (1, 3, 23, 'z')")
	h.mustExec("DELETE d FROM p WHERE k = 1 AND c = 1")
	for _, order := range [][]string{
		{"a", "b", "d", "e"}, {"e", "d", "b", "a"}, {"b", "k", "a", "s", "c"}, {"d", "d", "a", "a"}, {"s", "e"},
	} {
		sel := strings.Join(order, ", ")
		got, _ := h.rowsOf("SELECT "+sel+" FROM p WHERE k = 1", 0)
		// The reference: each column alone, through the general path.
		perCol := make([][]string, len(order))
		for i, c := range order {
			out, _ := h.rowsOf("SELECT "+c+", token(k) FROM p WHERE k = 1", 0)
			for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
				perCol[i] = append(perCol[i], strings.TrimSpace(strings.Split(line, "|")[0]))
			}
		}
		var gotVals [][]string
		for _, line := range strings.Split(strings.TrimSpace(got), "\n")[1:] {
			var vals []string
			for _, f := range strings.Split(line, "|") {
				vals = append(vals, strings.TrimSpace(f))
			}
			gotVals = append(gotVals, vals)
		}
		if len(gotVals) != 3 {
			t.Fatalf("SELECT %s: %d rows, want 3:\n%s", sel, len(gotVals), got)
		}
		for r := range gotVals {
			for i := range order {
				if gotVals[r][i] != perCol[i][r] {
					t.Errorf("SELECT %s: row %d column %s = %q, want %q\n%s", sel, r, order[i], gotVals[r][i], perCol[i][r], got)
				}
			}
		}
	}
}
