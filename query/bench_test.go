package query

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"wcdb/mutation"
	"wcdb/replication"
)

// ycsbTable makes YCSB's usertable (y_id text key, field0..field9 text)
// and returns the prepared INSERT and a record's field values.
func ycsbTable(b *testing.B, h *qh) (*Prepared, [][]byte) {
	cols := make([]string, 10)
	for i := range cols {
		cols[i] = fmt.Sprintf("field%d", i)
	}
	if err := h.createTable("CREATE TABLE usertable (y_id text PRIMARY KEY, " + strings.Join(cols, " text, ") + " text)"); err != nil {
		b.Fatal(err)
	}
	ins, err := h.x.Prepare(h.s, "INSERT INTO usertable (y_id, "+strings.Join(cols, ", ")+") VALUES (?"+strings.Repeat(", ?", 10)+")")
	if err != nil {
		b.Fatal(err)
	}
	fields := make([][]byte, 10)
	for i := range fields {
		fields[i] = []byte(strings.Repeat(string(rune('a'+i)), 100))
	}
	return ins, fields
}

func ycsbKey(i int) []byte { return fmt.Appendf(nil, "user%019d", uint64(i)*0x9e3779b97f4a7c15>>1) }

// BenchmarkYCSBInsert is the engine benchmark's load through the query
// layer: a prepared INSERT of a 10 x 100-byte record.
func BenchmarkYCSBInsert(b *testing.B) {
	h := newQH(b)
	ins, fields := ycsbTable(b, h)
	ctx := context.Background()
	vals := make([][]byte, 11)
	copy(vals[1:], fields)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		vals[0] = ycsbKey(i)
		o := Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp, Values: vals}
		if _, err := h.x.Execute(ctx, h.s, ins, &o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkYCSBRead is the engine benchmark's point read through the
// query layer: a prepared SELECT * of one record, from SSTables.
func BenchmarkYCSBRead(b *testing.B) {
	h := newQH(b)
	ins, fields := ycsbTable(b, h)
	ctx := context.Background()
	const records = 20000
	vals := make([][]byte, 11)
	copy(vals[1:], fields)
	for i := range records {
		vals[0] = ycsbKey(i)
		if _, err := h.x.Execute(ctx, h.s, ins, &Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp, Values: vals}); err != nil {
			b.Fatal(err)
		}
	}
	if err := h.e.FlushAll(); err != nil {
		b.Fatal(err)
	}
	sel, err := h.x.Prepare(h.s, "SELECT * FROM usertable WHERE y_id = ?")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		o := Options{Consistency: replication.One, Values: [][]byte{ycsbKey(i % records)}}
		res, err := h.x.Execute(ctx, h.s, sel, &o)
		if err != nil || len(res.Rows) != 1 || len(res.Rows[0]) != 11 {
			b.Fatalf("got %v, %v", res, err)
		}
	}
}

// BenchmarkTimelineRead is the timeline benchmark's read through the query
// layer: a prepared SELECT of the newest 50 rows of a 2,000-row partition
// (timeuuid clustering, descending) spread over 3 SSTables and a memtable.
func BenchmarkTimelineRead(b *testing.B) {
	h := newQH(b)
	if err := h.createTable("CREATE TABLE timeline (user_id text, post_id timeuuid, author text, body text, " +
		"PRIMARY KEY (user_id, post_id)) WITH CLUSTERING ORDER BY (post_id DESC)"); err != nil {
		b.Fatal(err)
	}
	ins, err := h.x.Prepare(h.s, "INSERT INTO timeline (user_id, post_id, author, body) VALUES (?, ?, ?, ?)")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	body := []byte(strings.Repeat("b", 140))
	const users, posts = 4, 2000
	for i := range posts {
		// A version 1 UUID whose time grows with i.
		id := []byte{0, 0, byte(i >> 8), byte(i), 0, 0, 0x10, 0, 0x80, 0, 0, 0, 0, 0, 0, 1}
		for u := range users {
			vals := [][]byte{fmt.Appendf(nil, "user%d", u), id, []byte("author"), body}
			if _, err := h.x.Execute(ctx, h.s, ins, &Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp, Values: vals}); err != nil {
				b.Fatal(err)
			}
		}
		if i%(posts/4) == posts/4-1 && i < posts-1 {
			if err := h.e.FlushAll(); err != nil {
				b.Fatal(err)
			}
		}
	}
	sel, err := h.x.Prepare(h.s, "SELECT post_id, author, body FROM timeline WHERE user_id = ? LIMIT 50")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		o := Options{Consistency: replication.One, Values: [][]byte{fmt.Appendf(nil, "user%d", i%users)}}
		res, err := h.x.Execute(ctx, h.s, sel, &o)
		if err != nil || len(res.Rows) != 50 || res.Rows[0][0][3] != byte((posts-1)%256) {
			b.Fatalf("got %v, %v", res, err)
		}
	}
}
