package query

import (
	"cmp"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/ring"
)

func TestDML(t *testing.T) { runDataDriven(t, "testdata/dml") }

var modelSeed = flag.Int64("model-seed", 0, "seed for TestModel (0: random)")

// The model of TestModel: table t (k int, c1 int, c2 int, s int STATIC,
// v int, PRIMARY KEY (k, c1, c2)) WITH CLUSTERING ORDER BY (c1 DESC, c2
// ASC), with Cassandra's semantics for one writer (server timestamps
// increase, so the last write wins).
type modelRow struct {
	marker bool
	v      *int
}

type modelPart struct {
	static *int
	rows   map[[2]int]*modelRow
}

type model map[int]*modelPart

func (m model) part(k int) *modelPart {
	p := m[k]
	if p == nil {
		p = &modelPart{rows: map[[2]int]*modelRow{}}
		m[k] = p
	}
	return p
}

func (p *modelPart) row(c [2]int) *modelRow {
	r := p.rows[c]
	if r == nil {
		r = &modelRow{}
		p.rows[c] = r
	}
	return r
}

func ip(n int) *int { return &n }

// clusterFilter is a restriction on (c1, c2) by value.
type clusterFilter func(c [2]int) bool

func tokenOf(k int) int64 { return ring.Murmur3(binary.BigEndian.AppendUint32(nil, uint32(k))) }

// modelQuery is a SELECT the model evaluates.
type modelQuery struct {
	keys      []int // nil: scan
	filter    clusterFilter
	clustered bool // clustering restricted
	reversed  bool
	// merged: IN with ORDER BY c1: rows of all partitions merged by c1.
	merged    bool
	orderCols int
	limit     int
	ppl       int
	cql       string
}

func (m model) eval(q modelQuery) string {
	var keys []int
	if q.keys != nil {
		keys = slices.Clone(q.keys)
		slices.Sort(keys)
		keys = slices.Compact(keys)
	} else {
		for k := range m {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b int) int { return cmp.Compare(tokenOf(a), tokenOf(b)) })
	}
	var b strings.Builder
	b.WriteString("k | c1 | c2 | s | v\n")
	if q.merged {
		return m.evalMerged(q, keys)
	}
	n := 0
	str := func(p *int) string {
		if p == nil {
			return "null"
		}
		return fmt.Sprint(*p)
	}
	for _, k := range keys {
		p := m[k]
		if p == nil {
			continue
		}
		var cs [][2]int
		for c, r := range p.rows {
			if (r.marker || r.v != nil) && (q.filter == nil || q.filter(c)) {
				cs = append(cs, c)
			}
		}
		slices.SortFunc(cs, func(a, b [2]int) int {
			if a[0] != b[0] {
				return -cmp.Compare(a[0], b[0])
			}
			return cmp.Compare(a[1], b[1])
		})
		if q.reversed {
			slices.Reverse(cs)
		}
		if len(cs) == 0 && p.static != nil && !q.clustered {
			if q.limit > 0 && n >= q.limit {
				break
			}
			fmt.Fprintf(&b, "%d | null | null | %s | null\n", k, str(p.static))
			n++
			continue
		}
		for i, c := range cs {
			if q.ppl > 0 && i >= q.ppl || q.limit > 0 && n >= q.limit {
				break
			}
			fmt.Fprintf(&b, "%d | %d | %d | %s | %s\n", k, c[0], c[1], str(p.static), str(p.rows[c].v))
			n++
		}
	}
	return b.String()
}

func (m model) evalMerged(q modelQuery, keys []int) string {
	type out struct {
		k    int
		c    [2]int
		line string
	}
	var rows, statics []out
	str := func(p *int) string {
		if p == nil {
			return "null"
		}
		return fmt.Sprint(*p)
	}
	for _, k := range keys {
		p := m[k]
		if p == nil {
			continue
		}
		var cs [][2]int
		for c, r := range p.rows {
			if (r.marker || r.v != nil) && (q.filter == nil || q.filter(c)) {
				cs = append(cs, c)
			}
		}
		if len(cs) == 0 && p.static != nil && !q.clustered {
			statics = append(statics, out{k: k, line: fmt.Sprintf("%d | null | null | %s | null\n", k, str(p.static))})
			continue
		}
		slices.SortFunc(cs, func(a, b [2]int) int {
			if a[0] != b[0] {
				return -cmp.Compare(a[0], b[0])
			}
			return cmp.Compare(a[1], b[1])
		})
		if q.reversed {
			slices.Reverse(cs)
		}
		for i, c := range cs {
			if q.ppl > 0 && i >= q.ppl {
				break
			}
			rows = append(rows, out{k: k, c: c, line: fmt.Sprintf("%d | %d | %d | %s | %s\n", k, c[0], c[1], str(p.static), str(p.rows[c].v))})
		}
	}
	slices.SortStableFunc(rows, func(a, b out) int {
		// Table order is c1 DESC, c2 ASC; reversed reads the opposite.
		c := -cmp.Compare(a.c[0], b.c[0])
		if c == 0 && q.orderCols == 2 {
			c = cmp.Compare(a.c[1], b.c[1])
		}
		if q.reversed {
			c = -c
		}
		return c
	})
	all := append(statics, rows...)
	if q.reversed {
		all = append(rows, statics...)
	}
	var b strings.Builder
	b.WriteString("k | c1 | c2 | s | v\n")
	for i, o := range all {
		if q.limit > 0 && i >= q.limit {
			break
		}
		b.WriteString(o.line)
	}
	return b.String()
}

// TestModel runs random writes and reads on a real engine and on the
// model, and compares every read, paged and unpaged.
func TestModel(t *testing.T) {
	seed := *modelSeed
	if seed == 0 {
		seed = rand.Int63()
	}
	t.Logf("seed %d (rerun with -model-seed=%d)", seed, seed)
	rng := rand.New(rand.NewSource(seed))
	h := newQH(t)
	if err := h.createTable("CREATE TABLE t (k int, c1 int, c2 int, s int STATIC, v int, PRIMARY KEY (k, c1, c2)) WITH CLUSTERING ORDER BY (c1 DESC, c2 ASC)"); err != nil {
		t.Fatal(err)
	}
	m := model{}
	const nk, nc = 8, 6
	val := func() *int {
		if rng.Intn(8) == 0 {
			return nil
		}
		return ip(rng.Intn(100))
	}
	lit := func(p *int) string {
		if p == nil {
			return "null"
		}
		return fmt.Sprint(*p)
	}
	slice := func(col string) (string, func(int) bool) {
		x := rng.Intn(nc)
		switch rng.Intn(4) {
		case 0:
			return fmt.Sprintf(" AND %s > %d", col, x), func(c int) bool { return c > x }
		case 1:
			return fmt.Sprintf(" AND %s >= %d", col, x), func(c int) bool { return c >= x }
		case 2:
			return fmt.Sprintf(" AND %s < %d", col, x), func(c int) bool { return c < x }
		}
		y := x + rng.Intn(3)
		return fmt.Sprintf(" AND %s >= %d AND %s <= %d", col, x, col, y), func(c int) bool { return c >= x && c <= y }
	}
	ops := 1500
	if testing.Short() {
		ops = 300
	}
	for i := 0; i < ops; i++ {
		k, c1, c2 := rng.Intn(nk), rng.Intn(nc), rng.Intn(nc)
		var stmt string
		switch op := rng.Intn(20); {
		case op < 6:
			v := val()
			stmt = fmt.Sprintf("INSERT INTO t (k, c1, c2, v) VALUES (%d, %d, %d, %s)", k, c1, c2, lit(v))
			r := m.part(k).row([2]int{c1, c2})
			r.marker, r.v = true, v
		case op < 9:
			v := val()
			stmt = fmt.Sprintf("UPDATE t SET v = %s WHERE k = %d AND c1 = %d AND c2 = %d", lit(v), k, c1, c2)
			m.part(k).row([2]int{c1, c2}).v = v
		case op < 10:
			v := val()
			stmt = fmt.Sprintf("UPDATE t SET s = %s WHERE k = %d", lit(v), k)
			m.part(k).static = v
		case op < 11:
			stmt = fmt.Sprintf("INSERT INTO t (k, s) VALUES (%d, %d)", k, c1)
			m.part(k).static = ip(c1)
		case op < 12:
			stmt = fmt.Sprintf("DELETE FROM t WHERE k = %d AND c1 = %d AND c2 = %d", k, c1, c2)
			delete(m.part(k).rows, [2]int{c1, c2})
		case op < 13:
			stmt = fmt.Sprintf("DELETE v FROM t WHERE k = %d AND c1 = %d AND c2 = %d", k, c1, c2)
			if r := m.part(k).rows[[2]int{c1, c2}]; r != nil {
				r.v = nil
			}
		case op < 15:
			var f func(int) bool
			var where string
			if rng.Intn(2) == 0 {
				where, f = slice("c1")
				where = fmt.Sprintf("k = %d%s", k, where)
				for c := range m.part(k).rows {
					if f(c[0]) {
						delete(m.part(k).rows, c)
					}
				}
			} else {
				var g func(int) bool
				where, g = slice("c2")
				where = fmt.Sprintf("k = %d AND c1 = %d%s", k, c1, where)
				for c := range m.part(k).rows {
					if c[0] == c1 && g(c[1]) {
						delete(m.part(k).rows, c)
					}
				}
			}
			stmt = "DELETE FROM t WHERE " + where
		case op < 16:
			stmt = fmt.Sprintf("DELETE FROM t WHERE k = %d", k)
			delete(m, k)
		case op < 17:
			if err := h.e.FlushAll(); err != nil {
				t.Fatal(err)
			}
			continue
		default:
			q := modelQuery{}
			where := ""
			switch rng.Intn(3) {
			case 0:
				q.keys = []int{k}
				where = fmt.Sprintf(" WHERE k = %d", k)
			case 1:
				q.keys = []int{k, rng.Intn(nk), rng.Intn(nk)}
				where = fmt.Sprintf(" WHERE k IN (%d, %d, %d)", q.keys[0], q.keys[1], q.keys[2])
			}
			if q.keys != nil {
				switch rng.Intn(4) {
				case 1:
					s, f := slice("c1")
					where += s
					q.filter, q.clustered = func(c [2]int) bool { return f(c[0]) }, true
				case 2:
					s, f := slice("c2")
					where += fmt.Sprintf(" AND c1 = %d", c1) + s
					q.filter, q.clustered = func(c [2]int) bool { return c[0] == c1 && f(c[1]) }, true
				}
			}
			tail := ""
			if q.keys != nil && rng.Intn(3) == 0 {
				switch rng.Intn(3) {
				case 0:
					tail += " ORDER BY c1 ASC"
					q.reversed, q.orderCols = true, 1
				case 1:
					tail += " ORDER BY c1 DESC"
					q.orderCols = 1
				default:
					tail += " ORDER BY c1 ASC, c2 DESC"
					q.reversed, q.orderCols = true, 2
				}
			}
			if rng.Intn(3) == 0 {
				q.ppl = 1 + rng.Intn(3)
				tail += fmt.Sprintf(" PER PARTITION LIMIT %d", q.ppl)
			}
			if rng.Intn(3) == 0 {
				q.limit = 1 + rng.Intn(10)
				tail += fmt.Sprintf(" LIMIT %d", q.limit)
			}
			q.cql = "SELECT k, c1, c2, s, v FROM t" + where + tail
			ks := slices.Clone(q.keys)
			slices.Sort(ks)
			q.merged = q.orderCols > 0 && len(slices.Compact(ks)) > 1
			want := m.eval(q)
			got, _ := h.rowsOf(q.cql, 0)
			if got != want {
				t.Fatalf("op %d: %s:\n%s\nwant\n%s", i, q.cql, got, want)
			}
			ps := 1 + rng.Intn(4)
			if q.merged && q.ppl > 0 {
				continue // paging refused, as Cassandra
			}
			got, _ = h.rowsOf(q.cql, ps)
			if got != want {
				t.Fatalf("op %d: %s with page size %d:\n%s\nwant\n%s", i, q.cql, ps, got, want)
			}
			continue
		}
		if _, err := h.x.Query(context.Background(), h.s, stmt, &Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp}); err != nil {
			t.Fatalf("op %d: %s: %v", i, stmt, err)
		}
	}
}

// BenchmarkInsert measures a prepared single-row INSERT.
func BenchmarkInsert(b *testing.B) {
	h := newQH(b)
	if err := h.createTable("CREATE TABLE t (k int, c int, v text, PRIMARY KEY (k, c))"); err != nil {
		b.Fatal(err)
	}
	p, err := h.x.Prepare(h.s, "INSERT INTO t (k, c, v) VALUES (?, ?, ?)")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	val := []byte("a value of some thirty bytes..")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o := Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp,
			Values: [][]byte{int32Value(int32(i % 1000)), int32Value(int32(i)), val}}
		if _, err := h.x.Execute(ctx, h.s, p, &o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSelectPartition measures a prepared SELECT of a 10-row
// partition.
func BenchmarkSelectPartition(b *testing.B) {
	h := newQH(b)
	if err := h.createTable("CREATE TABLE t (k int, c int, v text, PRIMARY KEY (k, c))"); err != nil {
		b.Fatal(err)
	}
	for k := 0; k < 100; k++ {
		for c := 0; c < 10; c++ {
			h.mustExec(fmt.Sprintf("INSERT INTO t (k, c, v) VALUES (%d, %d, 'value %d')", k, c, c))
		}
	}
	p, err := h.x.Prepare(h.s, "SELECT c, v FROM t WHERE k = ?")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o := Options{Consistency: replication.One, Values: [][]byte{int32Value(int32(i % 100))}}
		res, err := h.x.Execute(ctx, h.s, p, &o)
		if err != nil || len(res.Rows) != 10 {
			b.Fatalf("got %v, %v", res, err)
		}
	}
}
