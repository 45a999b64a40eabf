package server

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"wcdb/internal/vfs"
)

// BenchmarkPreparedPointRead is YCSB's read (workload C) through the
// whole node: a synchronous client EXECUTEs a prepared SELECT of one
// record (10 text fields of 100 bytes) from SSTables, over loopback, and
// the node decodes it (cql), binds and plans it (query), reads it
// (storage) and answers. The client reuses its buffers, so allocs/op are
// the node's own; cpu-µs/op counts both ends.
func BenchmarkPreparedPointRead(b *testing.B) {
	n := startBenchNode(b)
	host, port, _ := net.SplitHostPort(n.Addr().String())
	const records = 1000
	func() {
		c := gocql.NewCluster(host)
		c.Port, _ = strconv.Atoi(port)
		c.Timeout = 10 * time.Second
		s, err := c.CreateSession()
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		for _, stmt := range []string{
			"CREATE KEYSPACE ycsb WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
			"CREATE TABLE ycsb.usertable (y_id text PRIMARY KEY, field0 text, field1 text, field2 text, field3 text, field4 text, field5 text, field6 text, field7 text, field8 text, field9 text)",
		} {
			if err := s.Query(stmt).Exec(); err != nil {
				b.Fatal(err)
			}
		}
		field := string(make([]byte, 100))
		for i := range records {
			if err := s.Query("INSERT INTO ycsb.usertable (y_id, field0, field1, field2, field3, field4, field5, field6, field7, field8, field9) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
				fmt.Sprintf("user%d", i), field, field, field, field, field, field, field, field, field, field).Exec(); err != nil {
				b.Fatal(err)
			}
		}
	}()
	if err := n.engine.FlushAll(); err != nil {
		b.Fatal(err)
	}

	c := dialRaw(b, n.Addr().String())
	c.send(0, 0x01, stringMap(map[string]string{"CQL_VERSION": "3.0.0"})) // STARTUP
	if op, _ := c.recv(); op != 0x02 {                                    // READY
		b.Fatalf("STARTUP answered with opcode %#x", op)
	}
	q := "SELECT * FROM ycsb.usertable WHERE y_id = ?"
	c.send(1, 0x09, binary.BigEndian.AppendUint32(nil, uint32(len(q))), []byte(q)) // PREPARE
	op, body := c.recv()
	if op != 0x08 || binary.BigEndian.Uint32(body) != 4 { // RESULT Prepared
		b.Fatalf("PREPARE answered with opcode %#x: %q", op, body)
	}
	id := body[6 : 6+int(binary.BigEndian.Uint16(body[4:]))]
	// EXECUTE: <id><consistency ONE><flags: values, skip metadata><1 value>
	reqs := make([][]byte, 100)
	for i := range reqs {
		key := fmt.Sprintf("user%d", i*records/len(reqs))
		r := binary.BigEndian.AppendUint16(nil, uint16(len(id)))
		r = append(r, id...)
		r = append(r, 0, 1, 0x01|0x02, 0, 1)
		r = binary.BigEndian.AppendUint32(r, uint32(len(key)))
		reqs[i] = append(r, key...)
	}
	cpu0, r0, w0 := cpuTime(), syscalls("syscr"), syscalls("syscw")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c.send(2, 0x0A, reqs[i%len(reqs)])
		op, body := c.recv()
		// RESULT Rows, no metadata: <kind><flags><columns><rows>...
		if op != 0x08 || binary.BigEndian.Uint32(body) != 2 || binary.BigEndian.Uint32(body[12:]) != 1 {
			b.Fatalf("EXECUTE answered with opcode %#x: %q", op, body)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	// Both ends: the client's write and read are one each.
	b.ReportMetric(float64(syscalls("syscr")-r0)/float64(b.N), "reads/op")
	b.ReportMetric(float64(syscalls("syscw")-w0)/float64(b.N), "writes/op")
}

// syscalls returns a counter of /proc/self/io (syscr: read system calls,
// syscw: write system calls), or 0.
func syscalls(name string) int64 {
	f, err := vfs.Default.Open("/proc/self/io")
	if err != nil {
		return 0
	}
	defer f.Close()
	data, _ := io.ReadAll(f)
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, name+": "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

// cpuTime returns the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rawConn is a CQL v4 client that reuses its buffers (no allocation per
// request).
type rawConn struct {
	tb   testing.TB
	nc   net.Conn
	br   *bufio.Reader
	out  []byte
	hdr  [9]byte
	body []byte
}

func dialRaw(tb testing.TB, addr string) *rawConn {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { nc.Close() })
	return &rawConn{tb: tb, nc: nc, br: bufio.NewReader(nc)}
}

func (c *rawConn) send(stream int16, op byte, parts ...[]byte) {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	c.out = append(c.out[:0], 0x04, 0, byte(stream>>8), byte(stream), op)
	c.out = binary.BigEndian.AppendUint32(c.out, uint32(n))
	for _, p := range parts {
		c.out = append(c.out, p...)
	}
	if _, err := c.nc.Write(c.out); err != nil {
		c.tb.Fatal(err)
	}
}

func (c *rawConn) recv() (op byte, body []byte) {
	if _, err := io.ReadFull(c.br, c.hdr[:]); err != nil {
		c.tb.Fatal(err)
	}
	n := int(binary.BigEndian.Uint32(c.hdr[5:]))
	if cap(c.body) < n {
		c.body = make([]byte, n)
	}
	c.body = c.body[:n]
	if _, err := io.ReadFull(c.br, c.body); err != nil {
		c.tb.Fatal(err)
	}
	return c.hdr[4], c.body
}

// stringMap encodes a protocol [string map].
func stringMap(m map[string]string) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(len(m)))
	for k, v := range m {
		b = binary.BigEndian.AppendUint16(b, uint16(len(k)))
		b = append(b, k...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
		b = append(b, v...)
	}
	return b
}

// BenchmarkPreparedFanoutBatch is the timeline workload's post through the
// whole node: an UNLOGGED BATCH of 21 prepared INSERTs into 21 partitions
// (the post, and a timeline row for each of 20 followers), from a
// synchronous client that reuses its buffers, as in
// BenchmarkPreparedPointRead.
func BenchmarkPreparedFanoutBatch(b *testing.B) {
	n := startBenchNode(b)
	c := dialRaw(b, n.Addr().String())
	c.send(0, 0x01, stringMap(map[string]string{"CQL_VERSION": "3.0.0"})) // STARTUP
	if op, _ := c.recv(); op != 0x02 {                                    // READY
		b.Fatalf("STARTUP answered with opcode %#x", op)
	}
	query := func(q string) {
		r := binary.BigEndian.AppendUint32(nil, uint32(len(q)))
		r = append(append(r, q...), 0, 1, 0) // consistency ONE, no flags
		c.send(1, 0x07, r)
		if op, body := c.recv(); op != 0x08 {
			b.Fatalf("%s answered with opcode %#x: %q", q, op, body)
		}
	}
	query("CREATE KEYSPACE tl WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	query("CREATE TABLE tl.posts (author text, post_id timeuuid, body text, PRIMARY KEY (author, post_id)) WITH CLUSTERING ORDER BY (post_id DESC)")
	query("CREATE TABLE tl.timeline (user_id text, post_id timeuuid, author text, body text, PRIMARY KEY (user_id, post_id)) WITH CLUSTERING ORDER BY (post_id DESC)")
	prepare := func(q string) []byte {
		c.send(1, 0x09, binary.BigEndian.AppendUint32(nil, uint32(len(q))), []byte(q))
		op, body := c.recv()
		if op != 0x08 || binary.BigEndian.Uint32(body) != 4 { // RESULT Prepared
			b.Fatalf("PREPARE answered with opcode %#x: %q", op, body)
		}
		return append([]byte(nil), body[6:6+int(binary.BigEndian.Uint16(body[4:]))]...)
	}
	insPost := prepare("INSERT INTO tl.posts (author, post_id, body) VALUES (?, ?, ?)")
	insTimeline := prepare("INSERT INTO tl.timeline (user_id, post_id, author, body) VALUES (?, ?, ?, ?)")

	const users, followers = 10000, 20
	body := strings.Repeat("b", 100) // under the batch size warning (5 KiB)
	value := func(r, v []byte) []byte {
		r = binary.BigEndian.AppendUint32(r, uint32(len(v)))
		return append(r, v...)
	}
	entry := func(r, id []byte, vals ...[]byte) []byte {
		r = append(r, 1) // kind: prepared
		r = binary.BigEndian.AppendUint16(r, uint16(len(id)))
		r = append(r, id...)
		r = binary.BigEndian.AppendUint16(r, uint16(len(vals)))
		for _, v := range vals {
			r = value(r, v)
		}
		return r
	}
	var req []byte
	postID := make([]byte, 16)
	postID[6], postID[8] = 0x11, 0x80 // version 1 (time), RFC 4122 variant
	cpu0 := cpuTime()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		binary.BigEndian.PutUint32(postID, uint32(i))
		author := fmt.Appendf(nil, "user%d", i%users)
		// BATCH: <type UNLOGGED><n>(<entry>)*<consistency ONE><flags>
		req = append(req[:0], 1, 0, 1+followers)
		req = entry(req, insPost, author, postID, []byte(body))
		for f := range followers {
			req = entry(req, insTimeline, fmt.Appendf(nil, "user%d", (i*followers+f*7919)%users), postID, author, []byte(body))
		}
		req = append(req, 0, 1, 0)
		c.send(2, 0x0D, req)
		if op, body := c.recv(); op != 0x08 || binary.BigEndian.Uint32(body) != 1 { // RESULT Void
			b.Fatalf("BATCH answered with opcode %#x: %q", op, body)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// startBenchNode starts a node of defaults on ephemeral ports, stopped at
// the benchmark's end.
func startBenchNode(b *testing.B) *Node {
	cfg := DefaultConfig()
	cfg.DataDir = b.TempDir()
	cfg.CQLPort, cfg.GossipPort, cfg.InternodePort, cfg.Metrics.Port = 0, 0, 0, 0
	n, err := Start(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { n.Close() })
	return n
}
