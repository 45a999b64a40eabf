package cql

import (
	"sync"
	"testing"

	"github.com/gocql/gocql"

	"wcdb/query"
	"wcdb/replication"
)

// BenchmarkPipelined sends small QUERY requests on one connection, 64 in
// flight at a time, and reads the Void results: the per-request cost of
// the protocol layer (decode, dispatch, encode, batched writes).
func BenchmarkPipelined(b *testing.B) {
	_, addr := startServer(b, testConfig(), newFakeExec())
	c := dial(b, addr)
	c.startup("")
	body := queryBody("INSERT INTO ks.t (k, v) VALUES (1, 'a')", query.Options{Consistency: replication.One}, false)
	const window = 64
	var batch []byte
	for i := range window {
		hdr := make([]byte, headerSize)
		putHeader(hdr, header{version: protoVersion, stream: int16(i), op: opQuery, length: uint32(len(body))})
		batch = append(append(batch, hdr...), body...)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += window {
		c.write(batch)
		for range window {
			if f := c.recv(); f.op != opResult {
				b.Fatal(describe(f))
			}
		}
	}
}

// BenchmarkRoundTrip runs 8 clients, each on its own connection with one
// request in flight, as a synchronous driver's threads are: the per-request
// cost including the hand-offs between reading, executing and writing.
func BenchmarkRoundTrip(b *testing.B) {
	_, addr := startServer(b, testConfig(), newFakeExec())
	body := queryBody("INSERT INTO ks.t (k, v) VALUES (1, 'a')", query.Options{Consistency: replication.One}, false)
	frame := make([]byte, headerSize)
	putHeader(frame, header{version: protoVersion, stream: 1, op: opQuery, length: uint32(len(body))})
	frame = append(frame, body...)
	const clients = 8
	conns := make([]*rawClient, clients)
	for i := range conns {
		conns[i] = dial(b, addr)
		conns[i].startup("")
	}
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := conns[i]
			for n := i; n < b.N; n += clients {
				c.write(frame)
				if f := c.recv(); f.op != opResult {
					b.Error(describe(f))
					return
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkExecute is one synchronous client EXECUTEing a prepared
// statement with two bound values: the protocol layer's cost of the
// steady-state prepared request, which runs on the connection's reader.
// Of its allocations, the fake executor's result and the client's
// response buffer are the benchmark's own.
func BenchmarkExecute(b *testing.B) {
	srv, addr := startServer(b, testConfig(), newFakeExec())
	c := dial(b, addr)
	c.startup("")
	id, _, _, _, _ := prepare(b, c, 1, "INSERT INTO ks.t (k, v) VALUES (?, ?)")
	body := executeBody(id, query.Options{Consistency: replication.One, Values: [][]byte{{0, 0, 0, 1}, []byte("x")}}, true)
	frame := make([]byte, headerSize)
	putHeader(frame, header{version: protoVersion, stream: 2, op: opExecute, length: uint32(len(body))})
	frame = append(frame, body...)
	b.ReportAllocs()
	for b.Loop() {
		c.write(frame)
		if f := c.recv(); f.op != opResult {
			b.Fatal(describe(f))
		}
	}
	if st := srv.Stats(); st.Requests < uint64(b.N) {
		b.Fatalf("%d requests counted, want %d", st.Requests, b.N)
	}
}

// BenchmarkGocqlMultiplexed runs 8 goroutines through gocql on 2
// connections, as `wcdb bench ycsb` does: each connection carries 4
// overlapping requests, so this measures the path of multiplexed
// requests (client included).
func BenchmarkGocqlMultiplexed(b *testing.B) {
	_, addr := startServer(b, testConfig(), newFakeExec())
	s, err := gocqlSession(b, addr, func(c *gocql.ClusterConfig) { c.NumConns = 2 })
	if err != nil {
		b.Fatal(err)
	}
	const clients = 8
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := i; n < b.N; n += clients {
				if err := s.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", n, "a").Exec(); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
