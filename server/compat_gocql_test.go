package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gocql/gocql"
	"gopkg.in/inf.v0"
)

// These tests drive a real node with gocql as applications use it: the
// driver's own policies, schema agreement, prepared statements, paging,
// batches and typed errors.

// countingPolicy is a host selection policy that counts the queries it is
// asked to route: under a token-aware policy it is the fallback, consulted
// only when the token ring cannot name a replica.
type countingPolicy struct {
	gocql.HostSelectionPolicy
	picks atomic.Int64
}

func (p *countingPolicy) Pick(q gocql.ExecutableQuery) gocql.NextHost {
	p.picks.Add(1)
	return p.HostSelectionPolicy.Pick(q)
}

// hostObserver records the host each query ran on.
type hostObserver struct {
	host atomic.Pointer[gocql.HostInfo]
}

func (o *hostObserver) ObserveQuery(_ context.Context, q gocql.ObservedQuery) {
	o.host.Store(q.Host)
}

func TestCompatGocqlPolicies(t *testing.T) {
	n := compatNode(t)
	for _, tc := range []struct {
		name       string
		tokenAware bool
		dc         string // data center of a DC-aware fallback, or "" for round robin
	}{
		{"default", false, ""},
		{"token-aware", true, ""},
		{"token-aware dc-aware", true, "datacenter1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fallback := &countingPolicy{HostSelectionPolicy: gocql.RoundRobinHostPolicy()}
			if tc.dc != "" {
				fallback.HostSelectionPolicy = gocql.DCAwareRoundRobinPolicy(tc.dc)
			}
			logger := &testLogger{}
			s := compatSession(t, n, func(c *gocql.ClusterConfig) {
				c.Logger = logger
				if tc.tokenAware {
					c.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(fallback)
				}
			})
			ks := "pol_" + strings.NewReplacer("-", "_", " ", "_").Replace(tc.name)
			mustExec(t, s,
				"CREATE KEYSPACE "+ks+" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
				"CREATE TABLE "+ks+".kv (a text, b int, c int, v text, PRIMARY KEY ((a, b), c))",
			)
			obs := &hostObserver{}
			ins := fmt.Sprintf("INSERT INTO %s.kv (a, b, c, v) VALUES (?, ?, ?, ?)", ks)
			before := fallback.picks.Load()
			for i := range 20 {
				q := s.Query(ins, "key", i, i, fmt.Sprint("v", i)).Observer(obs)
				if err := q.Exec(); err != nil {
					t.Fatal(err)
				}
				rk, err := q.GetRoutingKey()
				if err != nil || len(rk) == 0 {
					t.Fatalf("routing key: got %x, %v; want the composite partition key", rk, err)
				}
			}
			if tc.tokenAware {
				// The ring names the one replica: the fallback is never asked.
				if got := fallback.picks.Load() - before; got != 0 {
					t.Errorf("token-aware routing fell back for %d of 20 queries, want 0 (gocql log: %q)", got, logger.all())
				}
			}
			h := obs.host.Load()
			if h == nil {
				t.Fatal("no query observed")
			}
			if got := h.Partitioner(); got != "org.apache.cassandra.dht.Murmur3Partitioner" {
				t.Errorf("partitioner: got %q, want org.apache.cassandra.dht.Murmur3Partitioner", got)
			}
			if len(h.Tokens()) == 0 {
				t.Errorf("host %v has no tokens", h)
			}
			if h.HostID() == "" || h.DataCenter() == "" || h.Rack() == "" {
				t.Errorf("host info incomplete: id %q, dc %q, rack %q", h.HostID(), h.DataCenter(), h.Rack())
			}
			var v string
			if err := s.Query(fmt.Sprintf("SELECT v FROM %s.kv WHERE a = ? AND b = ? AND c = ?", ks), "key", 7, 7).Scan(&v); err != nil || v != "v7" {
				t.Errorf("select: got %q, %v; want v7", v, err)
			}
			for _, l := range logger.all() {
				if strings.Contains(l, "token ring") || strings.Contains(l, "unable") || strings.Contains(l, "error") {
					t.Errorf("gocql logged %q", l)
				}
			}
			km, err := s.KeyspaceMetadata(ks)
			if err != nil {
				t.Fatal(err)
			}
			if km.StrategyClass != "org.apache.cassandra.locator.SimpleStrategy" || fmt.Sprint(km.StrategyOptions["replication_factor"]) != "1" {
				t.Errorf("keyspace metadata: got %s %v, want SimpleStrategy with replication_factor 1", km.StrategyClass, km.StrategyOptions)
			}
			tm := km.Tables["kv"]
			if tm == nil {
				t.Fatalf("table kv missing from metadata: %v", km.Tables)
			}
			var kinds []string
			for _, name := range []string{"a", "b", "c", "v"} {
				c := tm.Columns[name]
				if c == nil {
					t.Fatalf("column %s missing from metadata", name)
				}
				kinds = append(kinds, fmt.Sprintf("%s %s %s %d", name, c.Kind, c.Type.Type(), c.ComponentIndex))
			}
			// Regular columns have position -1 in system_schema.columns.
			want := []string{"a partition_key text 0", "b partition_key int 1", "c clustering_key int 0", "v regular text -1"}
			if !slices.Equal(kinds, want) {
				t.Errorf("columns: got %q, want %q", kinds, want)
			}
		})
	}
}

// TestCompatGocqlSchemaAgreement times DDL: gocql waits for schema
// agreement after each schema change, which must not stall.
func TestCompatGocqlSchemaAgreement(t *testing.T) {
	n := compatNode(t)
	s := compatSession(t, n, nil)
	const limit = 500 * time.Millisecond
	for _, stmt := range []string{
		"CREATE KEYSPACE agree WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE agree.t (k int PRIMARY KEY, v text)",
		"ALTER TABLE agree.t ADD w int",
		"CREATE TABLE agree.u (k int, c int, s int static, v text, PRIMARY KEY (k, c))",
		"ALTER TABLE agree.t DROP w",
		"ALTER TABLE agree.t WITH comment = 'timed'",
		"DROP TABLE agree.u",
		"ALTER KEYSPACE agree WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"TRUNCATE agree.t",
		"DROP TABLE agree.t",
		"DROP KEYSPACE agree",
	} {
		start := time.Now()
		if err := s.Query(stmt).Exec(); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
		if d := time.Since(start); d > limit {
			t.Errorf("%s took %v, want under %v", stmt, d, limit)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.AwaitSchemaAgreement(ctx); err != nil {
		t.Errorf("schema agreement: %v", err)
	}
}

// typeCase is one column of the all-types table with two values to write
// (an insert, then an update) and read back. A tuple is a []any of its
// elements: gocql scans a tuple column as one value per element, and
// cannot bind one (it counts a bind value per element but marshals one per
// column), so tuples are written as the literals in tupleLiterals.
type typeCase struct {
	col, typ string
	v1, v2   any
}

// tupleLiterals holds, by column, the CQL literals of v1 and v2.
var tupleLiterals = map[string][2]string{
	"c_tuple":  {"(1, 'one', true)", "(-2, '', false)"},
	"c_ftuple": {"(5, ['p', 'q'])", "(-5, ['r'])"},
}

func typeCases() []typeCase {
	huge, _ := new(big.Int).SetString("-123456789012345678901234567890", 10)
	return []typeCase{
		{"c_ascii", "ascii", "plain ascii", "zwei"},
		{"c_text", "text", "héllo, wörld ✓", "second"},
		{"c_varchar", "varchar", "varchar value", "v2"},
		{"c_int", "int", int32(-123456), int32(math.MaxInt32)},
		{"c_bigint", "bigint", int64(math.MinInt64), int64(1) << 40},
		{"c_smallint", "smallint", int16(math.MinInt16), int16(12)},
		{"c_tinyint", "tinyint", int8(math.MinInt8), int8(127)},
		{"c_varint", "varint", huge, big.NewInt(255)},
		{"c_decimal", "decimal", inf.NewDec(-12345, 3), inf.NewDec(7, -10)},
		{"c_float", "float", float32(3.5), float32(-1e-10)},
		{"c_double", "double", math.Pi, -0.5e300},
		{"c_boolean", "boolean", true, false},
		{"c_blob", "blob", []byte{0, 1, 2, 0xff}, []byte{}},
		{"c_timestamp", "timestamp", time.UnixMilli(1700000000123).UTC(), time.UnixMilli(-1000).UTC()},
		{"c_date", "date", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(1969, 7, 20, 0, 0, 0, 0, time.UTC)},
		{"c_time", "time", 13*time.Hour + 14*time.Minute + 5*time.Second + 123456789, time.Duration(0)},
		{"c_uuid", "uuid", gocql.MustRandomUUID(), gocql.MustRandomUUID()},
		{"c_timeuuid", "timeuuid", gocql.TimeUUID(), gocql.TimeUUID()},
		{"c_inet", "inet", net.ParseIP("192.168.1.10"), net.ParseIP("2001:db8::1")},
		{"c_duration", "duration", gocql.Duration{Months: 1, Days: 2, Nanoseconds: 3}, gocql.Duration{Months: -1, Days: -2, Nanoseconds: -3000}},
		{"c_list", "list<int>", []int{3, 1, 2, 3}, []int{9}},
		{"c_set", "set<text>", []string{"a", "b", "c"}, []string{"z"}},
		{"c_map", "map<text, int>", map[string]int{"a": 1, "b": 2}, map[string]int{"z": 26}},
		{"c_flist", "frozen<list<text>>", []string{"x", "y", "x"}, []string{"only"}},
		{"c_fset", "frozen<set<int>>", []int{-1, 2, 3}, []int{0}},
		{"c_fmap", "frozen<map<int, text>>", map[int]string{1: "one", 2: "two"}, map[int]string{-5: "neg"}},
		{"c_nested", "list<frozen<map<text, int>>>", []map[string]int{{"a": 1}, {"b": 2, "c": 3}}, []map[string]int{{}}},
		{"c_tuple", "tuple<int, text, boolean>", []any{int32(1), "one", true}, []any{int32(-2), "", false}},
		{"c_ftuple", "frozen<tuple<bigint, list<text>>>", []any{int64(5), []string{"p", "q"}}, []any{int64(-5), []string{"r"}}},
	}
}

// equalValue compares what was written with what gocql read back.
func equalValue(want, got any) bool {
	switch w := want.(type) {
	case *big.Int:
		g, ok := got.(*big.Int)
		return ok && g != nil && w.Cmp(g) == 0
	case *inf.Dec:
		g, ok := got.(*inf.Dec)
		return ok && g != nil && w.Cmp(g) == 0
	case time.Time:
		g, ok := got.(time.Time)
		return ok && w.Equal(g)
	case net.IP:
		g, ok := got.(net.IP)
		return ok && w.Equal(g)
	case []byte:
		g, ok := got.([]byte)
		return ok && bytes.Equal(w, g)
	}
	return reflect.DeepEqual(want, got)
}

// scanTarget returns the destinations to scan a value like v into and a
// func giving what was scanned, or nil for null. Scalars scan into a **T,
// which tells null from an empty value; a tuple ([]any) scans into one *T
// per element.
func scanTarget(v any) (dest []any, value func() any) {
	if elems, ok := v.([]any); ok {
		ptrs := make([]any, len(elems))
		for i, e := range elems {
			ptrs[i] = reflect.New(reflect.TypeOf(e)).Interface()
		}
		return ptrs, func() any {
			out := make([]any, len(ptrs))
			for i, p := range ptrs {
				out[i] = reflect.ValueOf(p).Elem().Interface()
			}
			return out
		}
	}
	pp := reflect.New(reflect.PointerTo(reflect.TypeOf(v)))
	return []any{pp.Interface()}, func() any {
		if pp.Elem().IsNil() {
			return nil
		}
		return pp.Elem().Elem().Interface()
	}
}

// marker returns the term that writes value i (0: v1, 1: v2) of c: a bind
// marker, or a tuple's literal.
func marker(c typeCase, i int) (term string, args []any) {
	if lit, ok := tupleLiterals[c.col]; ok {
		return lit[i], nil
	}
	return "?", []any{[]any{c.v1, c.v2}[i]}
}

func TestCompatGocqlTypes(t *testing.T) {
	n := compatNode(t)
	s := compatSession(t, n, nil)
	cases := typeCases()
	cols := []string{"k int PRIMARY KEY"}
	for _, c := range cases {
		cols = append(cols, c.col+" "+c.typ)
	}
	mustExec(t, s,
		"CREATE KEYSPACE types WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE types.t ("+strings.Join(cols, ", ")+")",
	)
	read := func(t *testing.T, k int, c typeCase, want any) {
		t.Helper()
		dest, value := scanTarget(want)
		if err := s.Query("SELECT "+c.col+" FROM types.t WHERE k = ?", k).Scan(dest...); err != nil {
			t.Fatalf("select %s: %v", c.col, err)
		}
		if got := value(); !equalValue(want, got) {
			t.Errorf("%s: got %#v, want %#v", c.typ, got, want)
		}
	}
	for i, c := range cases {
		t.Run(c.typ, func(t *testing.T) {
			k := i + 1
			term, args := marker(c, 0)
			if err := s.Query("INSERT INTO types.t (k, "+c.col+") VALUES (?, "+term+")", append([]any{k}, args...)...).Exec(); err != nil {
				t.Fatalf("insert: %v", err)
			}
			read(t, k, c, c.v1)
			term, args = marker(c, 1)
			if err := s.Query("UPDATE types.t SET "+c.col+" = "+term+" WHERE k = ?", append(args, k)...).Exec(); err != nil {
				t.Fatalf("update: %v", err)
			}
			read(t, k, c, c.v2)
			// Deleted, the column reads as null: a nil **T.
			if err := s.Query("DELETE "+c.col+" FROM types.t WHERE k = ?", k).Exec(); err != nil {
				t.Fatalf("delete column: %v", err)
			}
			if _, isTuple := c.v1.([]any); !isTuple {
				pp := reflect.New(reflect.PointerTo(reflect.TypeOf(c.v1)))
				if err := s.Query("SELECT "+c.col+" FROM types.t WHERE k = ?", k).Scan(pp.Interface()); err != nil {
					t.Fatalf("select after delete: %v", err)
				}
				if !pp.Elem().IsNil() {
					t.Errorf("after DELETE %s: got %v, want null", c.col, pp.Elem().Elem().Interface())
				}
			}
			if err := s.Query("DELETE FROM types.t WHERE k = ?", k).Exec(); err != nil {
				t.Fatalf("delete row: %v", err)
			}
			var got int
			if err := s.Query("SELECT k FROM types.t WHERE k = ?", k).Scan(&got); !errors.Is(err, gocql.ErrNotFound) {
				t.Errorf("after DELETE of the row: got %d, %v; want gocql.ErrNotFound", got, err)
			}
		})
	}
	t.Run("all columns", func(t *testing.T) {
		names := []string{"k"}
		marks := []string{"?"}
		args := []any{1000}
		for _, c := range cases {
			names = append(names, c.col)
			term, a := marker(c, 0)
			marks = append(marks, term)
			args = append(args, a...)
		}
		if err := s.Query("INSERT INTO types.t ("+strings.Join(names, ", ")+") VALUES ("+strings.Join(marks, ", ")+")", args...).Exec(); err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if err := s.Query("SELECT * FROM types.t WHERE k = ?", 1000).MapScan(m); err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			name := c.col
			if _, isTuple := c.v1.([]any); isTuple {
				name += "[0]" // gocql names each tuple element
			}
			if _, ok := m[name]; !ok {
				t.Errorf("SELECT *: column %s missing from %v", name, m)
			}
		}
		if got := m["c_text"]; got != cases[1].v1 {
			t.Errorf("SELECT * c_text: got %v, want %v", got, cases[1].v1)
		}
	})
	t.Run("schema metadata", func(t *testing.T) {
		// The types gocql parses from system_schema.columns are those of
		// the result metadata.
		km, err := s.KeyspaceMetadata("types")
		if err != nil {
			t.Fatal(err)
		}
		iter := s.Query("SELECT * FROM types.t LIMIT 1").Iter()
		cols := iter.Columns()
		if err := iter.Close(); err != nil {
			t.Fatal(err)
		}
		if len(cols) != len(cases)+1 {
			t.Errorf("result metadata: got %d columns, want %d", len(cols), len(cases)+1)
		}
		for _, col := range cols {
			cm := km.Tables["t"].Columns[col.Name]
			if cm == nil {
				t.Errorf("column %s missing from the schema metadata", col.Name)
				continue
			}
			// The protocol has one id for text and varchar; gocql calls it varchar.
			want := strings.ReplaceAll(fmt.Sprint(col.TypeInfo), "varchar", "text")
			if got := fmt.Sprint(cm.Type); got != want || cm.Type.Type() == gocql.TypeCustom {
				t.Errorf("column %s: schema type %s (%s), result type %s", col.Name, got, cm.Validator, want)
			}
		}
	})
}

func TestCompatGocqlCollectionUpdates(t *testing.T) {
	n := compatNode(t)
	s := compatSession(t, n, nil)
	mustExec(t, s,
		"CREATE KEYSPACE coll WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE coll.t (k int PRIMARY KEY, l list<text>, s set<int>, m map<text, int>)",
	)
	exec := func(stmt string, args ...any) {
		t.Helper()
		if err := s.Query(stmt, args...).Exec(); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	check := func(wantL []string, wantS []int, wantM map[string]int) {
		t.Helper()
		var l []string
		var set []int
		var m map[string]int
		if err := s.Query("SELECT l, s, m FROM coll.t WHERE k = 1").Scan(&l, &set, &m); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(l, wantL) || !slices.Equal(set, wantS) || !reflect.DeepEqual(m, wantM) {
			t.Errorf("got l=%v s=%v m=%v, want l=%v s=%v m=%v", l, set, m, wantL, wantS, wantM)
		}
	}
	exec("INSERT INTO coll.t (k, l, s, m) VALUES (1, ?, ?, ?)", []string{"b"}, []int{1, 2, 3}, map[string]int{"a": 1})
	exec("UPDATE coll.t SET l = l + ? WHERE k = 1", []string{"c", "d"})
	exec("UPDATE coll.t SET l = ? + l WHERE k = 1", []string{"a"})
	exec("UPDATE coll.t SET s = s - ? WHERE k = 1", []int{2})
	exec("UPDATE coll.t SET s = s + ? WHERE k = 1", []int{7})
	exec("UPDATE coll.t SET m[?] = ? WHERE k = 1", "b", 2)
	exec("UPDATE coll.t SET m = m + ? WHERE k = 1", map[string]int{"c": 3, "a": 10})
	check([]string{"a", "b", "c", "d"}, []int{1, 3, 7}, map[string]int{"a": 10, "b": 2, "c": 3})

	exec("UPDATE coll.t SET l[?] = ? WHERE k = 1", 1, "B")
	exec("UPDATE coll.t SET l = l - ? WHERE k = 1", []string{"c"})
	exec("DELETE l[?] FROM coll.t WHERE k = 1", 0)
	exec("DELETE m[?] FROM coll.t WHERE k = 1", "a")
	exec("UPDATE coll.t SET m = m - ? WHERE k = 1", []string{"c"})
	check([]string{"B", "d"}, []int{1, 3, 7}, map[string]int{"b": 2})

	exec("UPDATE coll.t SET s = s - ? WHERE k = 1", []int{1, 3, 7})
	exec("UPDATE coll.t SET l = ? WHERE k = 1", []string{"new"})
	check([]string{"new"}, nil, map[string]int{"b": 2})
}

// TestCompatGocqlPaging pages through 10,000 rows, 100 at a time, both in
// one partition (clustering order) and across partitions (token order).
func TestCompatGocqlPaging(t *testing.T) {
	n := compatNode(t)
	s := compatSession(t, n, nil)
	mustExec(t, s,
		"CREATE KEYSPACE paging WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE paging.wide (p int, c int, v text, PRIMARY KEY (p, c)) WITH CLUSTERING ORDER BY (c DESC)",
		"CREATE TABLE paging.tall (p int, c int, v text, PRIMARY KEY (p, c))",
	)
	const rows, pageSize = 10000, 100
	for start := 0; start < rows; start += 250 {
		wide := s.NewBatch(gocql.UnloggedBatch)
		tall := s.NewBatch(gocql.UnloggedBatch)
		for i := start; i < start+250; i++ {
			wide.Query("INSERT INTO paging.wide (p, c, v) VALUES (?, ?, ?)", 1, i, fmt.Sprint("v", i))
			tall.Query("INSERT INTO paging.tall (p, c, v) VALUES (?, ?, ?)", i/10, i%10, fmt.Sprint("v", i))
		}
		if err := s.ExecuteBatch(wide); err != nil {
			t.Fatal(err)
		}
		if err := s.ExecuteBatch(tall); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("one partition by page state", func(t *testing.T) {
		var state []byte
		pages, count, want := 0, 0, rows-1
		for {
			iter := s.Query("SELECT c, v FROM paging.wide WHERE p = ?", 1).PageSize(pageSize).PageState(state).Iter()
			pages++
			inPage := 0
			var c int
			var v string
			for iter.Scan(&c, &v) {
				if c != want || v != fmt.Sprint("v", c) {
					t.Fatalf("row %d: got (%d, %q), want (%d, %q)", count, c, v, want, fmt.Sprint("v", want))
				}
				want--
				count++
				inPage++
			}
			state = iter.PageState()
			if err := iter.Close(); err != nil {
				t.Fatal(err)
			}
			if inPage > pageSize {
				t.Fatalf("page %d: got %d rows, want at most %d", pages, inPage, pageSize)
			}
			if len(state) == 0 || pages > rows/pageSize+1 {
				break
			}
		}
		if count != rows {
			t.Errorf("got %d rows, want %d", count, rows)
		}
		// The last page may be the empty one that says there is no more.
		if pages != rows/pageSize && pages != rows/pageSize+1 {
			t.Errorf("got %d pages, want %d", pages, rows/pageSize)
		}
	})

	t.Run("whole table by iterator", func(t *testing.T) {
		iter := s.Query("SELECT token(p), p, c, v FROM paging.tall").PageSize(pageSize).Iter()
		var tok int64
		var p, c int
		var v string
		count, pages := 0, 1
		lastTok, lastC := int64(math.MinInt64), -1
		seen := make(map[int]bool)
		for {
			if !iter.Scan(&tok, &p, &c, &v) {
				break
			}
			if tok < lastTok || (tok == lastTok && c <= lastC) {
				t.Fatalf("row %d: (token %d, c %d) after (token %d, c %d): out of order", count, tok, c, lastTok, lastC)
			}
			if v != fmt.Sprint("v", p*10+c) {
				t.Fatalf("row %d: got v %q for (%d, %d)", count, v, p, c)
			}
			lastTok, lastC = tok, c
			seen[p*10+c] = true
			count++
			if iter.WillSwitchPage() {
				pages++
			}
		}
		if err := iter.Close(); err != nil {
			t.Fatal(err)
		}
		if count != rows || len(seen) != rows {
			t.Errorf("got %d rows (%d distinct), want %d", count, len(seen), rows)
		}
		if pages < rows/pageSize {
			t.Errorf("got %d pages, want at least %d", pages, rows/pageSize)
		}
	})
}

func TestCompatGocqlBatch(t *testing.T) {
	n := compatNode(t)
	s := compatSession(t, n, nil)
	mustExec(t, s,
		"CREATE KEYSPACE batches WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE batches.t (p int, c int, v text, PRIMARY KEY (p, c))",
	)
	for _, typ := range []gocql.BatchType{gocql.LoggedBatch, gocql.UnloggedBatch} {
		b := s.NewBatch(typ)
		p := int(typ) + 10
		for c := range 10 {
			b.Query("INSERT INTO batches.t (p, c, v) VALUES (?, ?, ?)", p, c, fmt.Sprint("v", c))
		}
		b.Query("INSERT INTO batches.t (p, c, v) VALUES (99, ?, 'other partition')", p)
		// One timestamp for the whole batch: on the tie the greater value wins.
		b.Query("UPDATE batches.t SET v = ? WHERE p = ? AND c = ?", "v3 updated", p, 3)
		b.Query("DELETE FROM batches.t WHERE p = ? AND c = ?", p, 9)
		if err := s.ExecuteBatch(b); err != nil {
			t.Fatalf("batch type %d: %v", typ, err)
		}
		var got []string
		iter := s.Query("SELECT c, v FROM batches.t WHERE p = ?", p).Iter()
		var c int
		var v string
		for iter.Scan(&c, &v) {
			got = append(got, fmt.Sprint(c, "=", v))
		}
		if err := iter.Close(); err != nil {
			t.Fatal(err)
		}
		want := []string{"0=v0", "1=v1", "2=v2", "3=v3 updated", "4=v4", "5=v5", "6=v6", "7=v7", "8=v8"}
		if !slices.Equal(got, want) {
			t.Errorf("batch type %d: got %v, want %v", typ, got, want)
		}
		if err := s.Query("SELECT v FROM batches.t WHERE p = 99 AND c = ?", p).Scan(&v); err != nil || v != "other partition" {
			t.Errorf("batch type %d, second partition: got %q, %v", typ, v, err)
		}
	}
}

func TestCompatGocqlConsistency(t *testing.T) {
	n := compatNode(t)
	s := compatSession(t, n, nil)
	mustExec(t, s,
		"CREATE KEYSPACE cons WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE cons.t (k int PRIMARY KEY, v int)",
	)
	for i, cl := range []gocql.Consistency{gocql.One, gocql.Quorum, gocql.All, gocql.LocalOne, gocql.LocalQuorum} {
		if err := s.Query("INSERT INTO cons.t (k, v) VALUES (?, ?)", i, i).Consistency(cl).Exec(); err != nil {
			t.Errorf("write at %v: %v", cl, err)
			continue
		}
		var v int
		if err := s.Query("SELECT v FROM cons.t WHERE k = ?", i).Consistency(cl).Scan(&v); err != nil || v != i {
			t.Errorf("read at %v: got %d, %v; want %d", cl, v, err, i)
		}
		b := s.NewBatch(gocql.LoggedBatch)
		b.Query("UPDATE cons.t SET v = ? WHERE k = ?", i+100, i)
		b.SetConsistency(cl)
		if err := s.ExecuteBatch(b); err != nil {
			t.Errorf("batch at %v: %v", cl, err)
		}
	}
	// One replica cannot satisfy TWO: the driver gets Unavailable with its fields.
	err := s.Query("INSERT INTO cons.t (k, v) VALUES (1, 1)").Consistency(gocql.Two).Exec()
	var un *gocql.RequestErrUnavailable
	if !errors.As(err, &un) || un.Required != 2 || un.Alive != 1 {
		t.Errorf("write at TWO: got %#v, want Unavailable (required 2, alive 1)", err)
	}
	// Nor QUORUM of a keyspace with three replicas wanted; ONE it can.
	mustExec(t, s,
		"CREATE KEYSPACE cons3 WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 3}",
		"CREATE TABLE cons3.t (k int PRIMARY KEY, v int)",
	)
	err = s.Query("INSERT INTO cons3.t (k, v) VALUES (1, 1)").Consistency(gocql.Quorum).Exec()
	if !errors.As(err, &un) || un.Required != 2 || un.Alive != 1 || un.Consistency != gocql.Quorum {
		t.Errorf("write at QUORUM, RF 3: got %#v, want Unavailable (QUORUM, required 2, alive 1)", err)
	}
	if err := s.Query("INSERT INTO cons3.t (k, v) VALUES (1, 1)").Consistency(gocql.One).Exec(); err != nil {
		t.Errorf("write at ONE, RF 3: %v", err)
	}
	// ANY is for writes only.
	if err := s.Query("INSERT INTO cons.t (k, v) VALUES (1, 1)").Consistency(gocql.Any).Exec(); err != nil {
		t.Errorf("write at ANY: %v", err)
	}
	var v int
	var re gocql.RequestError
	if err := s.Query("SELECT v FROM cons.t WHERE k = 1").Consistency(gocql.Any).Scan(&v); !errors.As(err, &re) || re.Code() != gocql.ErrCodeInvalid {
		t.Errorf("read at ANY: got %v, want an Invalid error", err)
	}
}

func TestCompatGocqlErrors(t *testing.T) {
	n := compatNode(t)
	s := compatSession(t, n, nil)
	mustExec(t, s,
		"CREATE KEYSPACE errs WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE errs.t (k int PRIMARY KEY, v text)",
	)
	err := s.Query("CREATE TABLE errs.t (k int PRIMARY KEY, v text)").Exec()
	var ae *gocql.RequestErrAlreadyExists
	if !errors.As(err, &ae) || ae.Keyspace != "errs" || ae.Table != "t" {
		t.Errorf("CREATE TABLE that exists: got %#v, want *gocql.RequestErrAlreadyExists for errs.t", err)
	}
	err = s.Query("CREATE KEYSPACE errs WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").Exec()
	if !errors.As(err, &ae) || ae.Keyspace != "errs" || ae.Table != "" {
		t.Errorf("CREATE KEYSPACE that exists: got %#v, want *gocql.RequestErrAlreadyExists for errs", err)
	}
	if err := s.Query("CREATE TABLE IF NOT EXISTS errs.t (k int PRIMARY KEY, v text)").Exec(); err != nil {
		t.Errorf("CREATE TABLE IF NOT EXISTS: %v", err)
	}
	for _, tc := range []struct {
		stmt string
		args []any
		code int
	}{
		{"SELEC * FROM errs.t", nil, gocql.ErrCodeSyntax},
		{"SELECT * FROM errs.t WHERE", nil, gocql.ErrCodeSyntax},
		{"SELECT * FROM errs.nope", nil, gocql.ErrCodeInvalid},
		{"SELECT nope FROM errs.t", nil, gocql.ErrCodeInvalid},
		{"INSERT INTO errs.t (k, v) VALUES (1, 2)", nil, gocql.ErrCodeInvalid},  // int literal for text
		{"SELECT * FROM errs.t WHERE v = ?", []any{"x"}, gocql.ErrCodeInvalid},  // needs ALLOW FILTERING
		{"INSERT INTO errs.t (v) VALUES (?)", []any{"x"}, gocql.ErrCodeInvalid}, // no primary key
	} {
		err := s.Query(tc.stmt, tc.args...).Exec()
		var re gocql.RequestError
		if !errors.As(err, &re) || re.Code() != tc.code {
			t.Errorf("%s: got %v (%T), want a RequestError with code %#x", tc.stmt, err, err, tc.code)
		}
	}

	t.Run("re-prepare after a schema change", func(t *testing.T) {
		if err := s.Query("INSERT INTO errs.t (k, v) VALUES (?, ?)", 1, "one").Exec(); err != nil {
			t.Fatal(err)
		}
		sel := "SELECT * FROM errs.t WHERE k = ?"
		m := map[string]any{}
		if err := s.Query(sel, 1).MapScan(m); err != nil {
			t.Fatal(err)
		}
		// The server drops statements prepared against a changed keyspace;
		// gocql re-prepares on Unprepared and sees the new column.
		mustExec(t, s, "ALTER TABLE errs.t ADD w int")
		if err := s.Query("UPDATE errs.t SET w = ? WHERE k = ?", 5, 1).Exec(); err != nil {
			t.Fatal(err)
		}
		m = map[string]any{}
		if err := s.Query(sel, 1).MapScan(m); err != nil {
			t.Fatal(err)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if !slices.Equal(keys, []string{"k", "v", "w"}) || m["w"] != 5 {
			t.Errorf("after ALTER: got %v, want columns k, v, w with w = 5", m)
		}
	})
}

// TestCompatGocqlBinding covers the ways gocql binds values beyond
// positional markers: unset and null values, named values, IN ?, LIMIT ?,
// client-side timestamps, large values.
func TestCompatGocqlBinding(t *testing.T) {
	n := compatNode(t)
	s := compatSession(t, n, nil)
	mustExec(t, s,
		"CREATE KEYSPACE bind WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE bind.t (k int, c int, a text, b text, data blob, PRIMARY KEY (k, c))",
	)
	exec := func(stmt string, args ...any) {
		t.Helper()
		if err := s.Query(stmt, args...).Exec(); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	row := func(k, c int) (a, b *string) {
		t.Helper()
		if err := s.Query("SELECT a, b FROM bind.t WHERE k = ? AND c = ?", k, c).Scan(&a, &b); err != nil {
			t.Fatalf("select (%d, %d): %v", k, c, err)
		}
		return a, b
	}
	str := func(p *string) string {
		if p == nil {
			return "null"
		}
		return *p
	}

	exec("INSERT INTO bind.t (k, c, a, b) VALUES (?, ?, ?, ?)", 1, 1, "a1", "b1")
	exec("INSERT INTO bind.t (k, c, a, b) VALUES (?, ?, ?, ?)", 1, 1, gocql.UnsetValue, "b2")
	if a, b := row(1, 1); str(a) != "a1" || str(b) != "b2" {
		t.Errorf("unset value: got (%s, %s), want (a1, b2)", str(a), str(b))
	}
	exec("INSERT INTO bind.t (k, c, a, b) VALUES (?, ?, ?, ?)", 1, 1, nil, "b3")
	if a, b := row(1, 1); a != nil || str(b) != "b3" {
		t.Errorf("null value: got (%s, %s), want (null, b3)", str(a), str(b))
	}
	exec("UPDATE bind.t SET a = :a, b = :b WHERE k = :k AND c = :c",
		// gocql marshals by position, so the names come in marker order.
		gocql.NamedValue("a", "na"), gocql.NamedValue("b", "nb"), gocql.NamedValue("k", 1), gocql.NamedValue("c", 1))
	if a, b := row(1, 1); str(a) != "na" || str(b) != "nb" {
		t.Errorf("named values: got (%s, %s), want (na, nb)", str(a), str(b))
	}

	for c := range 10 {
		exec("INSERT INTO bind.t (k, c, a) VALUES (2, ?, ?)", c, fmt.Sprint("a", c))
	}
	var got []int
	iter := s.Query("SELECT c FROM bind.t WHERE k = ? AND c IN ? LIMIT ?", 2, []int{7, 1, 3, 42}, 2).Iter()
	var c int
	for iter.Scan(&c) {
		got = append(got, c)
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []int{1, 3}) {
		t.Errorf("IN ? LIMIT ?: got %v, want [1 3]", got)
	}

	const ts = int64(1600000000000000)
	if err := s.Query("INSERT INTO bind.t (k, c, a) VALUES (3, 0, 'old')").WithTimestamp(ts).Exec(); err != nil {
		t.Fatal(err)
	}
	// A write with an older client timestamp loses.
	if err := s.Query("INSERT INTO bind.t (k, c, a) VALUES (3, 0, 'older')").WithTimestamp(ts - 1).Exec(); err != nil {
		t.Fatal(err)
	}
	var a string
	var wt int64
	if err := s.Query("SELECT a, WRITETIME(a) FROM bind.t WHERE k = 3 AND c = 0").Scan(&a, &wt); err != nil || a != "old" || wt != ts {
		t.Errorf("client timestamp: got (%q, %d), %v; want (old, %d)", a, wt, err, ts)
	}
	exec("INSERT INTO bind.t (k, c, a) VALUES (?, ?, ?) USING TTL ? AND TIMESTAMP ?", 3, 1, "ttl", 1000, ts)
	var ttl int
	if err := s.Query("SELECT TTL(a), WRITETIME(a) FROM bind.t WHERE k = 3 AND c = 1").Scan(&ttl, &wt); err != nil || ttl <= 990 || ttl > 1000 || wt != ts {
		t.Errorf("USING TTL ? AND TIMESTAMP ?: got ttl %d, writetime %d, %v; want about 1000, %d", ttl, wt, err, ts)
	}

	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	exec("INSERT INTO bind.t (k, c, data) VALUES (4, 0, ?)", big)
	var data []byte
	if err := s.Query("SELECT data FROM bind.t WHERE k = 4 AND c = 0").Scan(&data); err != nil || !bytes.Equal(data, big) {
		t.Errorf("1 MiB blob: got %d bytes, %v; want %d equal bytes", len(data), err, len(big))
	}

	for _, tc := range []struct {
		stmt string
		args []any
	}{
		{"INSERT INTO bind.t (k, c, a) VALUES (?, ?, 'x')", []any{nil, 1}},              // null partition key
		{"INSERT INTO bind.t (k, c, a) VALUES (?, ?, 'x')", []any{1, nil}},              // null clustering key
		{"SELECT a FROM bind.t WHERE k = ? AND c = ?", []any{1, nil}},                   // null in WHERE
		{"INSERT INTO bind.t (k, c, a) VALUES (?, ?, 'x')", []any{gocql.UnsetValue, 1}}, // unset key
	} {
		err := s.Query(tc.stmt, tc.args...).Exec()
		var re gocql.RequestError
		if !errors.As(err, &re) || re.Code() != gocql.ErrCodeInvalid {
			t.Errorf("%s %v: got %v, want an Invalid error", tc.stmt, tc.args, err)
		}
	}
}

// TestCompatGocqlSchemaEvents checks that gocql's cached metadata follows
// schema changes (the node pushes SCHEMA_CHANGE events to the control
// connection) and that token-aware routing knows a NetworkTopologyStrategy
// keyspace.
func TestCompatGocqlSchemaEvents(t *testing.T) {
	n := compatNode(t)
	fallback := &countingPolicy{HostSelectionPolicy: gocql.RoundRobinHostPolicy()}
	s := compatSession(t, n, func(c *gocql.ClusterConfig) {
		c.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(fallback)
	})
	mustExec(t, s,
		"CREATE KEYSPACE ev WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 1}",
		"CREATE TABLE ev.a (k int PRIMARY KEY)",
	)
	km, err := s.KeyspaceMetadata("ev")
	if err != nil {
		t.Fatal(err)
	}
	if km.StrategyClass != "org.apache.cassandra.locator.NetworkTopologyStrategy" || fmt.Sprint(km.StrategyOptions["datacenter1"]) != "1" {
		t.Errorf("keyspace metadata: got %s %v, want NetworkTopologyStrategy with datacenter1: 1", km.StrategyClass, km.StrategyOptions)
	}
	mustExec(t, s, "CREATE TABLE ev.b (k int PRIMARY KEY, v text)")
	deadline := time.Now().Add(5 * time.Second)
	for {
		km, err = s.KeyspaceMetadata("ev")
		if err != nil {
			t.Fatal(err)
		}
		if km.Tables["b"] != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("table b created but missing from gocql's metadata after 5s: %v", km.Tables)
		}
		time.Sleep(10 * time.Millisecond)
	}
	before := fallback.picks.Load()
	for i := range 10 {
		if err := s.Query("INSERT INTO ev.b (k, v) VALUES (?, ?)", i, "x").Exec(); err != nil {
			t.Fatal(err)
		}
	}
	if got := fallback.picks.Load() - before; got != 0 {
		t.Errorf("token-aware routing fell back for %d of 10 queries, want 0", got)
	}
}

// TestCompatGocqlConcurrency sends many more concurrent requests over one
// connection than the node executes at once per connection: the node must
// hold the extra ones back, not fail them.
func TestCompatGocqlConcurrency(t *testing.T) {
	n := compatNode(t)
	s := compatSession(t, n, func(c *gocql.ClusterConfig) { c.NumConns = 1 })
	mustExec(t, s,
		"CREATE KEYSPACE conc WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE conc.t (k int PRIMARY KEY, v text)",
	)
	const workers, each = 256, 10
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				k := w*each + i
				if err := s.Query("INSERT INTO conc.t (k, v) VALUES (?, ?)", k, fmt.Sprint("v", k)).Exec(); err != nil {
					errs <- fmt.Errorf("insert %d: %w", k, err)
					return
				}
				var v string
				if err := s.Query("SELECT v FROM conc.t WHERE k = ?", k).Scan(&v); err != nil || v != fmt.Sprint("v", k) {
					errs <- fmt.Errorf("select %d: got %q, %v", k, v, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var count int
	if err := s.Query("SELECT count(*) FROM conc.t").Scan(&count); err != nil || count != workers*each {
		t.Errorf("count: got %d, %v; want %d", count, err, workers*each)
	}
}
