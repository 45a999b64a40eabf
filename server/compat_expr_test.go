package server

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"
	"gopkg.in/inf.v0"
)

// TestCompatGocqlExpressions: gocql decodes what CAST, arithmetic and
// GROUP BY return (types and column names from the result metadata),
// binds values into arithmetic, writes ISO 8601 durations and now() into a
// uuid, pages a GROUP BY by whole groups, and gets Cassandra's errors: a
// FunctionFailure for a division by zero, an Invalid for a re-added
// column of another type.
func TestCompatGocqlExpressions(t *testing.T) {
	n := compatNode(t)
	s := compatSession(t, n, nil)
	mustExec(t, s,
		"CREATE KEYSPACE ex WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE ex.t (k int, c int, v int, f float, d decimal, ts timestamp, du duration, u uuid, PRIMARY KEY (k, c))")
	for c := range 10 {
		if err := s.Query("INSERT INTO ex.t (k, c, v, f, d, ts, du, u) VALUES (?, ?, ?, 1.5, 8.5, '2016-09-27 16:15:00+0000', P1DT2H, now())",
			c%3, c, c*10).Exec(); err != nil {
			t.Fatal(err)
		}
	}

	// Arithmetic and CAST: values and result metadata.
	iter := s.Query("SELECT v + 1, c * f, d / 2, CAST(v AS text), CAST(f AS int), ts + 1h, -v, (v - c) % 7 FROM ex.t WHERE k = 1 AND c = 4").Iter()
	var wantNames = []string{"v + 1", "c * f", "d / 2", "cast(v as text)", "cast(f as int)", "ts + 1h", "-v", "(v - c) % 7"}
	for i, col := range iter.Columns() {
		if col.Name != wantNames[i] {
			t.Errorf("column %d named %q, want %q", i, col.Name, wantNames[i])
		}
	}
	var (
		vp1   int
		cf    float32
		dd    *inf.Dec
		vtext string
		fint  int
		ts    time.Time
		neg   int
		mod   int
	)
	if !iter.Scan(&vp1, &cf, &dd, &vtext, &fint, &ts, &neg, &mod) {
		t.Fatal(iter.Close())
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	if vp1 != 41 || cf != 6 || dd.String() != "4.25" || vtext != "40" || fint != 1 ||
		!ts.Equal(time.Date(2016, 9, 27, 17, 15, 0, 0, time.UTC)) || neg != -40 || mod != 1 {
		t.Errorf("got %d %v %s %q %d %v %d %d", vp1, cf, dd, vtext, fint, ts, neg, mod)
	}

	// Bound values in arithmetic (typed by a hint), and a duration literal.
	var got int
	if err := s.Query("SELECT v FROM ex.t WHERE k = ? AND c = (int) ? - 1", 2, 6).Scan(&got); err != nil || got != 50 {
		t.Errorf("bound arithmetic: %d, %v; want 50", got, err)
	}
	var du gocql.Duration
	var u gocql.UUID
	if err := s.Query("SELECT du, u FROM ex.t WHERE k = 0 AND c = 0").Scan(&du, &u); err != nil {
		t.Fatal(err)
	}
	if du.Days != 1 || du.Nanoseconds != int64(2*time.Hour) || u.Version() != 1 {
		t.Errorf("duration %+v, uuid %v (version %d); want 1 day 2 h and a version 1 uuid", du, u, u.Version())
	}
	mustExec(t, s, "UPDATE ex.t SET du = P0001-02-03T04:05:06 WHERE k = 0 AND c = 0")
	if err := s.Query("SELECT du FROM ex.t WHERE k = 0 AND c = 0").Scan(&du); err != nil || du.Months != 14 || du.Days != 3 {
		t.Errorf("alternative ISO duration: %+v, %v", du, err)
	}

	// GROUP BY, paged two groups at a time: every group whole, once.
	iter = s.Query("SELECT k, c, count(*), sum(v), max(v) FROM ex.t WHERE k IN (0, 1, 2) GROUP BY k").PageSize(2).Iter()
	if name := iter.Columns()[2].Name; name != "count" {
		t.Errorf("count(*) column %q", name)
	}
	var k, c int
	var cnt int64
	var sum, mx int
	groups := map[int][3]int64{}
	for iter.Scan(&k, &c, &cnt, &sum, &mx) {
		if _, dup := groups[k]; dup {
			t.Errorf("group %d returned twice", k)
		}
		groups[k] = [3]int64{cnt, int64(sum), int64(mx)}
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	want := map[int][3]int64{0: {4, 180, 90}, 1: {3, 120, 70}, 2: {3, 150, 80}}
	for g, w := range want {
		if groups[g] != w {
			t.Errorf("group %d: %v, want %v", g, groups[g], w)
		}
	}
	iter = s.Query("SELECT k, c, count(*) FROM ex.t WHERE k = 0 GROUP BY k, c").PageSize(3).Iter()
	rows := 0
	for iter.Scan(&k, &c, &cnt) {
		rows++
	}
	if err := iter.Close(); err != nil || rows != 4 {
		t.Errorf("GROUP BY k, c: %d groups, %v; want 4", rows, err)
	}

	// Time buckets: GROUP BY a function of the last clustering column.
	mustExec(t, s, "CREATE TABLE ex.ev (k int, ts timestamp, v int, PRIMARY KEY (k, ts))")
	for i := range 6 {
		if err := s.Query("INSERT INTO ex.ev (k, ts, v) VALUES (1, ?, ?)",
			time.Date(2024, 1, 1, 10, i*25, 0, 0, time.UTC), i).Exec(); err != nil {
			t.Fatal(err)
		}
	}
	iter = s.Query("SELECT floor(ts, 1h), count(*), sum(v) FROM ex.ev WHERE k = 1 GROUP BY k, floor(ts, 1h)").PageSize(1).Iter()
	var bucket time.Time
	var buckets []string
	for iter.Scan(&bucket, &cnt, &sum) {
		buckets = append(buckets, fmt.Sprintf("%s:%d:%d", bucket.UTC().Format("15:04"), cnt, sum))
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(buckets, " "); got != "10:00:3:3 11:00:2:7 12:00:1:5" {
		t.Errorf("hourly buckets: %s", got)
	}

	// Cassandra's errors.
	err := s.Query("SELECT v / 0 FROM ex.t WHERE k = 1").Exec()
	var fe *gocql.RequestErrFunctionFailure
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "the operation 'int / int' failed: / by zero") {
		t.Errorf("division by zero: %T %v; want a FunctionFailure", err, err)
	}
	mustExec(t, s, "ALTER TABLE ex.t DROP f")
	err = s.Query("ALTER TABLE ex.t ADD f text").Exec()
	if err == nil || !strings.Contains(err.Error(), "Cannot re-add previously dropped column 'f' of type text, incompatible with previous type float") {
		t.Errorf("re-added column: %v", err)
	}
	mustExec(t, s, "ALTER TABLE ex.t ADD f blob")
	if err := s.Query("SELECT v FROM ex.t GROUP BY c").Exec(); err == nil ||
		!strings.Contains(err.Error(), "Group by currently only support groups of columns following their declared order in the PRIMARY KEY") {
		t.Errorf("bad GROUP BY: %v", err)
	}
	var vi *big.Int
	if err := s.Query("SELECT CAST(v AS varint) FROM ex.t WHERE k = 1 AND c = 1").Scan(&vi); err != nil || vi.Int64() != 10 {
		t.Errorf("CAST to varint: %v, %v", vi, err)
	}
}
