package cql

import (
	"testing"

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
