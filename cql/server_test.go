package cql

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"wcdb/query"
	"wcdb/query/ast"
	"wcdb/replication"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestOptionsAndStartup(t *testing.T) {
	_, addr := startServer(t, testConfig(), newFakeExec())
	c := dial(t, addr)
	f := c.do(3, opOptions, nil)
	if f.op != opSupported {
		t.Fatalf("OPTIONS: got %s", describe(f))
	}
	r := reader{b: f.body}
	got := r.stringMultimap()
	want := map[string][]string{
		"CQL_VERSION":       {"3.4.5"},
		"COMPRESSION":       {"lz4", "snappy"},
		"PROTOCOL_VERSIONS": {"4/v4"},
	}
	if r.err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("SUPPORTED: got %v (%v), want %v", got, r.err, want)
	}

	// Queries before STARTUP are refused, and the connection stays usable.
	expectError(t, c.query(1, "ECHO"), codeProtocolError, "Unexpected message QUERY, expecting STARTUP or OPTIONS")
	var w writer
	w.stringMap(map[string]string{"CQL_VERSION": "3.0.0", "COMPRESSION": "zstd"})
	expectError(t, c.do(1, opStartup, w.b), codeProtocolError, "Unknown compression algorithm: zstd")
	w = writer{}
	w.stringMap(map[string]string{"DRIVER_NAME": "x"})
	expectError(t, c.do(1, opStartup, w.b), codeProtocolError, "Missing value CQL_VERSION")
	c.startup("")
	expectError(t, c.do(2, opStartup, w.b), codeProtocolError, "already initialized")
	if m := echoRow(t, c.query(4, "ECHO")); m["consistency"] != "ONE" {
		t.Fatalf("ECHO after STARTUP: %v", m)
	}
}

func TestCompression(t *testing.T) {
	for _, name := range []string{CompressionLZ4, CompressionSnappy} {
		t.Run(name, func(t *testing.T) {
			ex := newFakeExec()
			ex.rows = 500 // a body worth compressing
			_, addr := startServer(t, testConfig(), ex)
			c := dial(t, addr)
			c.startup(strings.ToUpper(name)) // the name is case-insensitive
			c.send(7, opQuery, queryBody("SELECT k, v FROM ks.t", query.Options{Consistency: replication.One}, false))
			// recv decompresses; check the flag on the wire first.
			c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			hb, err := c.br.Peek(headerSize)
			if err != nil {
				t.Fatal(err)
			}
			if h := parseHeader(hb); h.flags&flagCompressed == 0 || h.stream != 7 {
				t.Fatalf("response header %+v: want the compressed flag on stream 7", h)
			}
			res := parseRows(t, c.recv())
			if len(res.rows) != 500 || string(res.rows[499][1]) != "v499" {
				t.Fatalf("got %d rows", len(res.rows))
			}
			// Uncompressed requests are fine too after negotiation.
			comp := c.comp
			c.comp = nil
			c.send(8, opQuery, queryBody("ECHO", query.Options{Consistency: replication.Two}, false))
			c.comp = comp
			if m := echoRow(t, c.recv()); m["consistency"] != "TWO" {
				t.Fatalf("uncompressed request: %v", m)
			}
			// A corrupt compressed body is a protocol error; the connection stays.
			c.sendRaw(protoVersion, flagCompressed, 9, opQuery, []byte{0, 0, 0, 50, 0xFF})
			expectError(t, c.recv(), codeProtocolError, "decompression failed")
			if m := echoRow(t, c.query(10, "ECHO")); m["consistency"] != "ONE" {
				t.Fatalf("after a bad frame: %v", m)
			}
		})
	}
}

func TestCompressedWithoutNegotiation(t *testing.T) {
	_, addr := startServer(t, testConfig(), newFakeExec())
	c := dial(t, addr)
	c.startup("")
	c.sendRaw(protoVersion, flagCompressed, 1, opQuery, []byte{1, 2, 3})
	expectError(t, c.recv(), codeProtocolError, "no compression was negotiated")
	echoRow(t, c.query(2, "ECHO"))
}

// TestOnRequest checks that each statement request, and only those, is
// reported to OnRequest (the node paces compaction by it).
func TestOnRequest(t *testing.T) {
	cfg := testConfig()
	var n atomic.Int64
	cfg.OnRequest = func() { n.Add(1) }
	_, addr := startServer(t, cfg, newFakeExec())
	c := dial(t, addr)
	c.startup("")
	if got := n.Load(); got != 0 {
		t.Fatalf("STARTUP counted as %d requests", got)
	}
	echoRow(t, c.query(1, "ECHO"))
	echoRow(t, c.query(2, "ECHO"))
	if got := n.Load(); got != 2 {
		t.Fatalf("2 queries counted as %d requests", got)
	}
}

func TestQueryValuesAndOptions(t *testing.T) {
	_, addr := startServer(t, testConfig(), newFakeExec())
	c := dial(t, addr)
	c.startup("")
	opts := query.Options{
		Consistency:       replication.LocalQuorum,
		SerialConsistency: replication.LocalSerial,
		Values:            [][]byte{{0xAB}, nil, query.Unset, {}},
		PageSize:          50,
		PagingState:       []byte{1, 2},
		Timestamp:         1700000000000000,
	}
	m := echoRow(t, c.do(1, opQuery, queryBody("ECHO", opts, false)))
	want := map[string]string{
		"keyspace": "", "consistency": "LOCAL_QUORUM", "serial": "LOCAL_SERIAL", "timestamp": "1700000000000000",
		"page_size": "50", "paging_state": "0102", "names": "", "values": "ab,null,unset,",
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("positional:\ngot  %v\nwant %v", m, want)
	}

	opts = query.Options{Consistency: replication.One, Values: [][]byte{{1}, {2}}, Names: []string{"a", "B"}}
	m = echoRow(t, c.do(2, opQuery, queryBody("ECHO", opts, false)))
	if m["names"] != "a,B" || m["values"] != "01,02" || m["timestamp"] != "none" || m["serial"] != "SERIAL" {
		t.Fatalf("named: %v", m)
	}

	// A custom payload is skipped; tracing opens the response with a
	// session id (trace_test.go).
	var w writer
	w.bytesMap(map[string][]byte{"k": {1}})
	c.sendRaw(protoVersion, flagCustomPayload|flagTracing, 6, opQuery,
		append(w.b, queryBody("ECHO", query.Options{Consistency: replication.Three}, false)...))
	f := c.recv()
	if f.flags != flagTracing || len(f.body) < 16 {
		t.Fatalf("with custom payload and tracing: flags %x", f.flags)
	}
	f.body = f.body[16:]
	if m := echoRow(t, f); m["consistency"] != "THREE" {
		t.Fatalf("with custom payload and tracing: %v", m)
	}

	// A bad body is answered and the connection kept.
	expectError(t, c.do(3, opQuery, []byte{0, 0, 0, 9, 'E'}), codeProtocolError, "truncated")
	expectError(t, c.do(4, opQuery, queryBody("ECHO", query.Options{Consistency: 99}, false)), codeProtocolError, "consistency")
	echoRow(t, c.query(5, "ECHO"))
}

func TestPaging(t *testing.T) {
	ex := newFakeExec()
	ex.rows = 7
	_, addr := startServer(t, testConfig(), ex)
	c := dial(t, addr)
	c.startup("")
	var got []string
	var state []byte
	pages := 0
	for {
		res := parseRows(t, c.do(1, opQuery, queryBody("SELECT k, v FROM ks.t", query.Options{
			Consistency: replication.One, PageSize: 3, PagingState: state}, false)))
		pages++
		if res.flags&mfGlobalTablesSpec == 0 || res.columns[1].Name != "v" || !res.columns[1].Type.Equal(textType) {
			t.Fatalf("metadata: flags %x columns %v", res.flags, res.columns)
		}
		for _, r := range res.rows {
			got = append(got, string(r[1]))
		}
		if (res.flags&mfHasMorePages != 0) != (res.pagingState != nil) {
			t.Fatalf("has_more_pages flag %x with paging state %x", res.flags, res.pagingState)
		}
		if res.pagingState == nil {
			break
		}
		state = res.pagingState
	}
	if want := []string{"v0", "v1", "v2", "v3", "v4", "v5", "v6"}; pages != 3 || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %d pages %v, want 3 pages %v", pages, got, want)
	}
}

func prepare(t testing.TB, c *rawClient, stream int16, q string) (id []byte, bind, result []query.ColumnSpec, pk []uint16, flags int32) {
	t.Helper()
	var w writer
	w.longString(q)
	f := c.do(stream, opPrepare, w.b)
	if f.op != opResult {
		t.Fatalf("PREPARE %q: %s", q, describe(f))
	}
	r := &reader{b: f.body}
	if kind := r.int(); kind != resultPrepared {
		t.Fatalf("result kind %d, want Prepared", kind)
	}
	id = r.shortBytes()
	flags = r.int()
	bind = make([]query.ColumnSpec, r.int())
	pk = make([]uint16, r.int())
	for i := range pk {
		pk[i] = r.short()
	}
	var ks, table string
	if flags&mfGlobalTablesSpec != 0 {
		ks, table = r.string(), r.string()
	}
	for i := range bind {
		b := &bind[i]
		b.Keyspace, b.Table = ks, table
		if flags&mfGlobalTablesSpec == 0 {
			b.Keyspace, b.Table = r.string(), r.string()
		}
		b.Name, b.Type = r.string(), r.option()
	}
	var rflags int32
	rflags, result, _ = parseMetadata(r)
	if r.err != nil || len(r.b) != 0 {
		t.Fatalf("Prepared result: err %v, %d bytes left", r.err, len(r.b))
	}
	if len(result) == 0 && rflags != mfNoMetadata {
		t.Fatalf("empty result metadata flags %x, want No_metadata", rflags)
	}
	return id, bind, result, pk, flags
}

func executeBody(id []byte, opts query.Options, skip bool) []byte {
	var w writer
	w.shortBytes(id)
	b := queryBody("", opts, skip)
	w.b = append(w.b, b[4:]...) // drop the empty query string
	return w.b
}

func TestPrepareExecute(t *testing.T) {
	ex := newFakeExec()
	ex.rows = 3
	srv, addr := startServer(t, testConfig(), ex)
	c := dial(t, addr)
	c.startup("")

	id, bind, result, pk, flags := prepare(t, c, 1, "INSERT INTO ks.t (k, v) VALUES (?, ?)")
	if len(id) != 16 || flags != mfGlobalTablesSpec || !reflect.DeepEqual(bind, rowCols) || len(result) != 0 || !reflect.DeepEqual(pk, []uint16{0}) {
		t.Fatalf("prepared INSERT: id %x flags %x bind %v result %v pk %v", id, flags, bind, result, pk)
	}
	f := c.do(2, opExecute, executeBody(id, query.Options{Consistency: replication.One, Values: [][]byte{{0, 0, 0, 1}, []byte("x")}}, false))
	if f.op != opResult || !bytes.Equal(f.body, []byte{0, 0, 0, 1}) {
		t.Fatalf("EXECUTE INSERT: %s", describe(f))
	}

	sel, _, result, _, _ := prepare(t, c, 3, "SELECT k, v FROM ks.t")
	if !reflect.DeepEqual(result, rowCols) {
		t.Fatalf("prepared SELECT result metadata: %v", result)
	}
	// skip_metadata: rows come without column specs.
	res := parseRows(t, c.do(4, opExecute, executeBody(sel, query.Options{Consistency: replication.One}, true)))
	if res.flags&mfNoMetadata == 0 || len(res.columns) != 2 || len(res.rows) != 3 || string(res.rows[2][1]) != "v2" {
		t.Fatalf("EXECUTE with skip_metadata: flags %x, %d columns, rows %q", res.flags, len(res.columns), res.rows)
	}
	res = parseRows(t, c.do(5, opExecute, executeBody(sel, query.Options{Consistency: replication.One}, false)))
	if res.flags&mfNoMetadata != 0 || !reflect.DeepEqual(res.columns, rowCols) {
		t.Fatalf("EXECUTE without skip_metadata: flags %x, columns %v", res.flags, res.columns)
	}

	// Another connection shares the cache.
	c2 := dial(t, addr)
	c2.startup("")
	if f := c2.do(1, opExecute, executeBody(sel, query.Options{Consistency: replication.One}, false)); f.op != opResult {
		t.Fatalf("EXECUTE on another connection: %s", describe(f))
	}

	// Unknown ids are Unprepared, carrying the id; re-preparing fixes it.
	srv.prepared.invalidateKeyspace("ks")
	r := expectError(t, c.do(6, opExecute, executeBody(sel, query.Options{Consistency: replication.One}, false)), codeUnprepared, "not found")
	if got := r.shortBytes(); !bytes.Equal(got, sel) {
		t.Fatalf("Unprepared id: got %x, want %x", got, sel)
	}
	prepare(t, c, 7, "SELECT k, v FROM ks.t")
	if f := c.do(8, opExecute, executeBody(sel, query.Options{Consistency: replication.One}, false)); f.op != opResult {
		t.Fatalf("EXECUTE after re-prepare: %s", describe(f))
	}
	if got := srv.Stats().PreparedStatements; got != 1 {
		t.Fatalf("prepared statements: got %d, want 1", got)
	}

	// Errors from PREPARE reach the client.
	var w writer
	w.longString("BAD STATEMENT")
	expectError(t, c.do(9, opPrepare, w.b), codeSyntax, "no viable alternative")
}

func TestBatch(t *testing.T) {
	ex := newFakeExec()
	_, addr := startServer(t, testConfig(), ex)
	c := dial(t, addr)
	c.startup("snappy")
	id, _, _, _, _ := prepare(t, c, 1, "INSERT INTO ks.t (k, v) VALUES (?, ?)")
	body := encodeBatch(ast.UnloggedBatch, []rawBatchEntry{
		{query: "INSERT INTO ks.t (k, v) VALUES (1, 'a')"},
		{id: id, values: [][]byte{{0, 0, 0, 2}, query.Unset}},
	}, replication.Quorum, qfDefaultTimestamp, 0, 99)
	if f := c.do(2, opBatch, body); f.op != opResult || !bytes.Equal(f.body, []byte{0, 0, 0, 1}) {
		t.Fatalf("BATCH: %s", describe(f))
	}
	ex.mu.Lock()
	b := ex.mu.batches[0]
	ex.mu.Unlock()
	if b.typ != ast.UnloggedBatch || b.opts.Consistency != replication.Quorum || b.opts.Timestamp != 99 ||
		b.opts.SerialConsistency != replication.Serial || len(b.entries) != 2 {
		t.Fatalf("batch seen by the executor: %+v", b)
	}
	if e := b.entries[1]; e.Prepared == nil || e.Prepared.Query != "INSERT INTO ks.t (k, v) VALUES (?, ?)" || !query.IsUnset(e.Values[1]) {
		t.Fatalf("prepared entry: %+v", e)
	}
	if e := b.entries[0]; e.Prepared != nil || e.Query != "INSERT INTO ks.t (k, v) VALUES (1, 'a')" {
		t.Fatalf("unprepared entry: %+v", e)
	}

	unknown := []byte("0123456789abcdef")
	r := expectError(t, c.do(3, opBatch, encodeBatch(ast.LoggedBatch, []rawBatchEntry{{id: unknown}}, replication.One, 0, 0, 0)),
		codeUnprepared, "not found")
	if got := r.shortBytes(); !bytes.Equal(got, unknown) {
		t.Fatalf("Unprepared id: got %x, want %x", got, unknown)
	}
	r = expectError(t, c.do(4, opBatch, encodeBatch(ast.LoggedBatch, []rawBatchEntry{{query: "FAIL write_timeout"}}, replication.One, 0, 0, 0)),
		codeWriteTimeout, "timed out")
	if cl, rec, bf, wt := r.consistency(), r.int(), r.int(), r.string(); cl != replication.One || rec != 0 || bf != 1 || wt != "SIMPLE" {
		t.Fatalf("write timeout fields: %v %d %d %q", cl, rec, bf, wt)
	}
}

func TestErrors(t *testing.T) {
	_, addr := startServer(t, testConfig(), newFakeExec())
	c := dial(t, addr)
	c.startup("lz4")

	r := expectError(t, c.query(1, "FAIL unavailable"), codeUnavailable, "Cannot achieve consistency level QUORUM")
	if cl, req, alive := r.consistency(), r.int(), r.int(); cl != replication.Quorum || req != 2 || alive != 1 {
		t.Fatalf("unavailable fields: %v %d %d", cl, req, alive)
	}
	r = expectError(t, c.query(2, "FAIL read_timeout"), codeReadTimeout, "timed out")
	if cl, rec, bf, dp := r.consistency(), r.int(), r.int(), r.byte(); cl != replication.LocalQuorum || rec != 1 || bf != 2 || dp != 1 {
		t.Fatalf("read timeout fields: %v %d %d %d", cl, rec, bf, dp)
	}
	r = expectError(t, c.query(3, "FAIL already_exists"), codeAlreadyExists, "already existing")
	if ks, tb := r.string(), r.string(); ks != "ks" || tb != "t" {
		t.Fatalf("already exists fields: %q %q", ks, tb)
	}
	expectError(t, c.query(4, "FAIL syntax"), codeSyntax, "mismatched input")
	expectError(t, c.query(5, "FAIL invalid"), codeInvalid, "does not exist")
	expectError(t, c.query(6, "FAIL other"), codeServerError, "something broke")
	// A panicking request is a server error; the connection survives.
	expectError(t, c.query(7, "PANIC"), codeServerError, "boom")
	echoRow(t, c.query(8, "ECHO"))
}

func TestRequestTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.RequestTimeout = 50 * time.Millisecond
	_, addr := startServer(t, cfg, newFakeExec())
	c := dial(t, addr)
	c.startup("")
	start := time.Now()
	expectError(t, c.query(1, "SLEEP 5000"), codeServerError, "timed out")
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("timed out after %v", d)
	}
}

func TestUseIsPerConnection(t *testing.T) {
	_, addr := startServer(t, testConfig(), newFakeExec())
	a, b := dial(t, addr), dial(t, addr)
	a.startup("")
	b.startup("")
	f := a.query(1, "USE ks1")
	if rr := (reader{b: f.body}); f.op != opResult || rr.int() != int32(query.ResultSetKeyspace) || rr.string() != "ks1" {
		t.Fatalf("USE: %s", describe(f))
	}
	if m := echoRow(t, a.query(2, "ECHO")); m["keyspace"] != "ks1" {
		t.Fatalf("keyspace after USE: %q", m["keyspace"])
	}
	if m := echoRow(t, b.query(1, "ECHO")); m["keyspace"] != "" {
		t.Fatalf("other connection's keyspace: %q", m["keyspace"])
	}
}

func TestEvents(t *testing.T) {
	srv, addr := startServer(t, testConfig(), newFakeExec())
	listener := dial(t, addr)
	listener.startup("lz4")
	var w writer
	w.stringList([]string{"SCHEMA_CHANGE", "STATUS_CHANGE"})
	if f := listener.do(1, opRegister, w.b); f.op != opReady {
		t.Fatalf("REGISTER: %s", describe(f))
	}
	w = writer{}
	w.stringList([]string{"NOPE"})
	expectError(t, listener.do(2, opRegister, w.b), codeProtocolError, "NOPE")

	other := dial(t, addr)
	other.startup("")
	f := other.query(1, "CREATE TABLE ks.events")
	if r := (reader{b: f.body}); r.int() != int32(query.ResultSchemaChange) {
		t.Fatalf("CREATE TABLE: %s", describe(f))
	}
	ev := listener.recv()
	r := reader{b: ev.body}
	if ev.op != opEvent || ev.stream != -1 || ev.version != 0x84 {
		t.Fatalf("event header %+v", ev.header)
	}
	if got := []string{r.string(), r.string(), r.string(), r.string(), r.string()}; !reflect.DeepEqual(got, []string{"SCHEMA_CHANGE", "CREATED", "TABLE", "ks", "events"}) {
		t.Fatalf("event body: %q", got)
	}

	srv.PushStatusChange(NodeDown, netip.MustParseAddrPort("10.1.2.3:9042"))
	srv.PushTopologyChange(NewNode, netip.MustParseAddrPort("10.1.2.4:9042")) // not registered: not sent
	ev = listener.recv()
	r = reader{b: ev.body}
	if typ, ch, a := r.string(), r.string(), r.inet(); typ != "STATUS_CHANGE" || ch != "DOWN" || a != netip.MustParseAddrPort("10.1.2.3:9042") {
		t.Fatalf("status event: %s %s %v", typ, ch, a)
	}
	// Nothing else is pending: the next frame is the answer to a query.
	if f := listener.query(3, "ECHO"); f.op != opResult {
		t.Fatalf("after events: %s", describe(f))
	}
	// The connection that made the change did not register: no event.
	if f := other.query(2, "ECHO"); f.op != opResult || f.stream != 2 {
		t.Fatalf("unregistered connection: %s", describe(f))
	}
}

func TestSchemaChangeInvalidatesPrepared(t *testing.T) {
	srv, addr := startServer(t, testConfig(), newFakeExec())
	c := dial(t, addr)
	c.startup("")
	prepare(t, c, 1, "SELECT k, v FROM ks.t")
	c.query(2, "CREATE TABLE ks.other")
	if n := srv.Stats().PreparedStatements; n != 1 {
		t.Fatalf("after CREATE: %d prepared, want 1", n)
	}
	c.query(3, "DROP KEYSPACE ks")
	if n := srv.Stats().PreparedStatements; n != 0 {
		t.Fatalf("after DROP KEYSPACE: %d prepared, want 0", n)
	}
}

// Responses come back as requests finish, not in the order sent.
func TestConcurrentStreamsOutOfOrder(t *testing.T) {
	cfg := testConfig()
	cfg.MaxInFlight = 256
	_, addr := startServer(t, cfg, newFakeExec())
	c := dial(t, addr)
	c.startup("lz4")
	const n = 200
	var buf []byte
	for i := range n {
		// Early streams sleep longest.
		body := queryBody("SLEEP "+strconv.Itoa((n-i)/20*10), query.Options{Consistency: replication.One}, false)
		b, _ := c.comp.compress(nil, body)
		hdr := make([]byte, headerSize)
		putHeader(hdr, header{version: protoVersion, flags: flagCompressed, stream: int16(i), op: opQuery, length: uint32(len(b))})
		buf = append(append(buf, hdr...), b...)
	}
	c.write(buf) // all requests in one write
	seen := make(map[int16]bool)
	var order []int16
	for range n {
		f := c.recv()
		if f.op != opResult || seen[f.stream] {
			t.Fatalf("stream %d: %s (seen before: %v)", f.stream, describe(f), seen[f.stream])
		}
		seen[f.stream] = true
		order = append(order, f.stream)
	}
	if order[0] < n/2 {
		t.Fatalf("the first response was for stream %d: responses did not overtake the slow early requests", order[0])
	}
}

// More requests than MaxInFlight: the reader waits, nothing is lost.
func TestInFlightLimit(t *testing.T) {
	cfg := testConfig()
	cfg.MaxInFlight = 4
	ex := newFakeExec()
	srv, addr := startServer(t, cfg, ex)
	c := dial(t, addr)
	c.startup("")
	var buf []byte
	for i := range 4 {
		b := queryBody("BLOCK", query.Options{Consistency: replication.One}, false)
		hdr := make([]byte, headerSize)
		putHeader(hdr, header{version: protoVersion, stream: int16(i), op: opQuery, length: uint32(len(b))})
		buf = append(append(buf, hdr...), b...)
	}
	b := queryBody("ECHO", query.Options{Consistency: replication.One}, false)
	hdr := make([]byte, headerSize)
	putHeader(hdr, header{version: protoVersion, stream: 4, op: opQuery, length: uint32(len(b))})
	c.write(append(append(buf, hdr...), b...))
	for range 4 {
		select {
		case <-ex.started:
		case <-time.After(5 * time.Second):
			t.Fatal("blocked requests did not start")
		}
	}
	if _, err := c.tryRecv(100 * time.Millisecond); err == nil {
		t.Fatal("got a response while all slots were taken")
	}
	waitFor(t, "4 requests active, 1 waiting for a slot", func() bool { st := srv.Stats(); return st.Active == 4 && st.Waiting == 1 })
	close(ex.release)
	got := map[int16]bool{}
	for range 5 {
		got[c.recv().stream] = true
	}
	if len(got) != 5 {
		t.Fatalf("responses for streams %v, want 0..4", got)
	}
	waitFor(t, "no request active", func() bool { st := srv.Stats(); return st.Active == 0 && st.Waiting == 0 && st.Requests == 5 })
}

func TestVersionNegotiation(t *testing.T) {
	_, addr := startServer(t, testConfig(), newFakeExec())
	for _, tc := range []struct {
		name      string
		version   byte
		respond   byte // the response version byte
		shortHead bool
	}{
		{"v5", 5, 0x84, false},
		{"v3", 3, 0x83, false},
		{"v2", 2, 0x82, true},
		{"v1", 1, 0x81, true},
		{"dse v2 (66)", 0x42, 0x84, false},
		{"v0", 0, 0x84, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, addr)
			var req []byte
			if tc.shortHead {
				req = []byte{tc.version, 0, 5, byte(opOptions), 0, 0, 0, 0}
			} else {
				req = []byte{tc.version, 0, 0, 5, byte(opOptions), 0, 0, 0, 0}
			}
			c.write(req)
			c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			hlen := headerSize
			if tc.shortHead {
				hlen = headerSizeV2
			}
			hb := make([]byte, hlen)
			if _, err := readFull(c.nc, hb); err != nil {
				t.Fatal(err)
			}
			var stream int
			var op opcode
			var length uint32
			if tc.shortHead {
				stream, op, length = int(int8(hb[2])), opcode(hb[3]), binary.BigEndian.Uint32(hb[4:])
			} else {
				h := parseHeader(hb)
				stream, op, length = int(h.stream), h.op, h.length
			}
			if hb[0] != tc.respond || stream != 5 || op != opError {
				t.Fatalf("response header % x: want version %x, stream 5, ERROR", hb, tc.respond)
			}
			body := make([]byte, length)
			if _, err := readFull(c.nc, body); err != nil {
				t.Fatal(err)
			}
			code, msg, _ := parseError(body)
			wantMsg := "Invalid or unsupported protocol version (" + strconv.Itoa(int(tc.version)) + "); the lowest supported version is 4 and the greatest is 4"
			if code != codeProtocolError || msg != wantMsg {
				t.Fatalf("got 0x%04x %q, want a protocol error %q", code, msg, wantMsg)
			}
			// The Python driver's test and gocql's regexp.
			if !strings.Contains(msg, "unsupported protocol version") || !strings.HasSuffix(msg, "the greatest is 4") {
				t.Fatalf("message %q is not what drivers look for", msg)
			}
			c.expectClosed()

			// A new connection at v4 works.
			c = dial(t, addr)
			c.startup("")
			echoRow(t, c.query(1, "ECHO"))
		})
	}
}

func TestGarbageClosesOnlyThatConnection(t *testing.T) {
	cfg := testConfig()
	cfg.MaxFrameSize = 1 << 16
	cfg.FrameTimeout = 200 * time.Millisecond
	_, addr := startServer(t, cfg, newFakeExec())
	good := dial(t, addr)
	good.startup("lz4")

	for _, tc := range []struct {
		name  string
		bytes []byte
		code  errorCode // 0: no answer expected
		msg   string
	}{
		{"bad opcode", []byte{4, 0, 0, 1, 0x04, 0, 0, 0, 0}, codeProtocolError, "opcode 0x04"},
		{"response opcode", []byte{4, 0, 0, 1, byte(opResult), 0, 0, 0, 0}, codeProtocolError, "opcode RESULT"},
		{"response direction", []byte{0x84, 0, 0, 1, byte(opOptions), 0, 0, 0, 0}, codeProtocolError, "direction"},
		{"too big", []byte{4, 0, 0, 1, byte(opQuery), 0, 1, 0, 1}, codeProtocolError, "Request is too big: length 65537 exceeds maximum allowed length 65536"},
		{"negative length", []byte{4, 0, 0, 1, byte(opQuery), 0xff, 0xff, 0xff, 0xff}, codeProtocolError, "Request is too big"},
		{"negative stream", []byte{4, 0, 0xff, 0xfe, byte(opOptions), 0, 0, 0, 0}, codeProtocolError, "negative stream"},
		{"text", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), codeProtocolError, "Invalid or unsupported protocol version (71)"},
		{"half header", []byte{4, 0, 0}, 0, ""},
		{"half body", []byte{4, 0, 0, 1, byte(opOptions), 0, 0, 0, 10, 1, 2}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, addr)
			c.startup("")
			c.write(tc.bytes)
			if tc.code != 0 {
				expectError(t, c.recv(), tc.code, tc.msg)
			}
			c.expectClosed() // half frames: closed after FrameTimeout
			echoRow(t, good.query(1, "ECHO"))
		})
	}
}

func TestMaxConnections(t *testing.T) {
	cfg := testConfig()
	cfg.MaxConnections = 2
	srv, addr := startServer(t, cfg, newFakeExec())
	a, b := dial(t, addr), dial(t, addr)
	a.startup("")
	b.startup("")
	c := dial(t, addr)
	f := c.do(3, opOptions, nil)
	expectError(t, f, codeOverloaded, "Too many connections")
	c.expectClosed()
	echoRow(t, a.query(1, "ECHO"))

	// Once one leaves, a new one gets in.
	a.nc.Close()
	deadline := time.Now().Add(5 * time.Second)
	for srv.Stats().Connections != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("connections: %d, want 1", srv.Stats().Connections)
		}
		time.Sleep(5 * time.Millisecond)
	}
	d := dial(t, addr)
	d.startup("")
	echoRow(t, d.query(1, "ECHO"))
}

func TestAuth(t *testing.T) {
	cfg := testConfig()
	cfg.Credentials = map[string]string{"alice": "s3cret"}
	_, addr := startServer(t, cfg, newFakeExec())
	c := dial(t, addr)
	var w writer
	w.stringMap(map[string]string{"CQL_VERSION": "3.0.0", "COMPRESSION": "lz4"})
	f := c.do(0, opStartup, w.b)
	if r := (reader{b: f.body}); f.op != opAuthenticate || r.string() != "org.apache.cassandra.auth.PasswordAuthenticator" {
		t.Fatalf("STARTUP with auth: %s", describe(f))
	}
	c.comp = compressors["lz4"]
	expectError(t, c.query(1, "ECHO"), codeProtocolError, "expecting AUTH_RESPONSE")
	auth := func(stream int16, token string) frame {
		var w writer
		w.bytes([]byte(token))
		return c.do(stream, opAuthResponse, w.b)
	}
	expectError(t, auth(2, "\x00alice\x00wrong"), codeAuthError, "Provided username alice and/or password are incorrect")
	expectError(t, auth(3, "\x00bob\x00s3cret"), codeAuthError, "incorrect")
	expectError(t, auth(4, "garbage"), codeAuthError, "Credential format error")
	if f := auth(5, "\x00alice\x00s3cret"); f.op != opAuthSuccess {
		t.Fatalf("good credentials: %s", describe(f))
	}
	echoRow(t, c.query(6, "ECHO"))
	expectError(t, auth(7, "\x00alice\x00s3cret"), codeProtocolError, "no authentication is in progress")
}

func TestGracefulClose(t *testing.T) {
	ex := newFakeExec()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(testConfig(), ex)
	if err != nil {
		t.Fatal(err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(context.Background(), l) }()
	c := dial(t, l.Addr().String())
	c.startup("")
	c.send(1, opQuery, queryBody("BLOCK", query.Options{Consistency: replication.One}, false))
	<-ex.started

	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	// New connections are refused while draining.
	deadline := time.Now().Add(5 * time.Second)
	for {
		nc, err := net.DialTimeout("tcp", l.Addr().String(), time.Second)
		if err != nil {
			break
		}
		nc.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting after Close")
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a request was in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(ex.release)
	if f := c.recv(); f.op != opResult || f.stream != 1 {
		t.Fatalf("in-flight request during close: %s", describe(f))
	}
	c.expectClosed()
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-serveErr; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if err := srv.Serve(context.Background(), l); err != ErrServerClosed {
		t.Fatalf("Serve after Close: got %v, want ErrServerClosed", err)
	}
}

func TestCloseCancelsAfterDrainTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.DrainTimeout = 100 * time.Millisecond
	ex := newFakeExec()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(cfg, ex)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ctx, l) }()
	c := dial(t, l.Addr().String())
	c.startup("")
	c.send(1, opQuery, queryBody("BLOCK", query.Options{Consistency: replication.One}, false))
	<-ex.started
	start := time.Now()
	cancel() // the context closes the server like Close
	if err := <-serveErr; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("shutdown took %v", d)
	}
	// The blocked request was cancelled; its answer may or may not have
	// made it out before the connection closed.
	if f, err := c.tryRecv(time.Second); err == nil {
		expectError(t, f, codeServerError, "cancelled")
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// Many connections at once, each with its own requests.
func TestManyConnections(t *testing.T) {
	_, addr := startServer(t, testConfig(), newFakeExec())
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := dial(t, addr)
			c.startup([]string{"", "lz4", "snappy"}[i%3])
			for j := range 20 {
				opts := query.Options{Consistency: replication.One, Values: [][]byte{{byte(i), byte(j)}}}
				f := c.do(int16(j), opQuery, queryBody("ECHO", opts, false))
				if m := echoRow(t, f); m["values"] != strings.ToLower(hexByte(byte(i))+hexByte(byte(j))) {
					t.Errorf("conn %d request %d: %v", i, j, m)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func hexByte(b byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[b>>4], digits[b&15]})
}

// TestWarnings: a result's warnings open the response body, flagged, also
// compressed.
func TestWarnings(t *testing.T) {
	_, addr := startServer(t, testConfig(), newFakeExec())
	for _, comp := range []string{"", "lz4"} {
		c := dial(t, addr)
		c.startup(comp)
		f := c.query(1, "WARN Batch for [ks.t] is of size 6.0KiB, exceeding specified threshold of 5.0KiB by 1.0KiB.|second")
		if f.flags&flagWarning == 0 {
			t.Fatalf("%q: flags %#x, want the warning flag", comp, f.flags)
		}
		r := &reader{b: f.body}
		got := r.stringList()
		if len(got) != 2 || !strings.HasPrefix(got[0], "Batch for [ks.t]") || got[1] != "second" {
			t.Fatalf("%q: warnings %q", comp, got)
		}
		echoRow(t, frame{f.header, r.b})
		if f := c.query(2, "ECHO"); f.flags&flagWarning != 0 {
			t.Fatalf("%q: a result without warnings has the warning flag", comp)
		}
	}
}

// A connection's only pending request runs on its reader, so a request
// sent meanwhile waits for it; once one ran slow (or requests overlapped)
// the connection's requests go to workers and overtake each other again.
// A request runs on the connection's reader; one that runs long hands the
// reading to another goroutine, so the requests behind it are answered
// meanwhile, and the next ones run on workers.
func TestInlineRequests(t *testing.T) {
	ex := newFakeExec()
	_, addr := startServer(t, testConfig(), ex)
	c := dial(t, addr)
	c.startup("")
	c.send(1, opQuery, queryBody("BLOCK", query.Options{Consistency: replication.One}, false))
	select {
	case <-ex.started:
	case <-time.After(5 * time.Second):
		t.Fatal("BLOCK did not start")
	}
	c.send(2, opQuery, queryBody("ECHO", query.Options{Consistency: replication.One}, false))
	if f := c.recv(); f.stream != 2 || f.op != opResult {
		t.Fatalf("got %s, want the result on stream 2 while BLOCK runs", describe(f))
	}
	close(ex.release)
	if f := c.recv(); f.stream != 1 || f.op != opResult {
		t.Fatalf("got %s, want the result on stream 1", describe(f))
	}
	// BLOCK ran slow: the next requests run on workers, the quick one first.
	c.send(3, opQuery, queryBody("SLEEP 300", query.Options{Consistency: replication.One}, false))
	c.send(4, opQuery, queryBody("ECHO", query.Options{Consistency: replication.One}, false))
	for _, want := range []int16{4, 3} {
		if f := c.recv(); f.stream != want || f.op != opResult {
			t.Fatalf("got %s, want a result on stream %d", describe(f), want)
		}
	}
}

// countingListener counts the Write calls on the connections it accepts.
type countingListener struct {
	net.Listener
	writes atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: nc, writes: &l.writes}, nil
}

type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c *countingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// Requests pipelined in one client write are answered in a few writes,
// not one each: the reader runs them and flushes once its input is used up.
func TestPipelinedResponsesShareWrites(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := &countingListener{Listener: l}
	srv, err := New(testConfig(), newFakeExec())
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(context.Background(), cl)
	defer srv.Close()
	c := dial(t, l.Addr().String())
	c.startup("")
	const n = 64
	var buf []byte
	for i := range n {
		body := queryBody("ECHO", query.Options{Consistency: replication.One}, false)
		hdr := make([]byte, headerSize)
		putHeader(hdr, header{version: protoVersion, stream: int16(i), op: opQuery, length: uint32(len(body))})
		buf = append(append(buf, hdr...), body...)
	}
	before := cl.writes.Load()
	c.write(buf)
	for range n {
		if f := c.recv(); f.op != opResult {
			t.Fatal(describe(f))
		}
	}
	// The client's write may reach the server in a few reads.
	if got := cl.writes.Load() - before; got > n/8 {
		t.Fatalf("%d responses took %d writes, want at most %d", n, got, n/8)
	}
}
