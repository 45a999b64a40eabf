package cql

import (
	"bufio"
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"wcdb/mutation"
	"wcdb/query"
	"wcdb/query/ast"
	"wcdb/replication"
	"wcdb/schema"
)

// fakeExec is an Executor that understands a handful of statements by
// their text:
//
//	USE <ks>                       set keyspace
//	SELECT k, v FROM ks.t          rows (k int, v text) 0..rows-1, paged
//	ECHO                           one row describing the request (text columns)
//	SLEEP <ms>                     waits (honouring ctx), then Void
//	BLOCK                          signals started, waits for release or ctx
//	PANIC                          panics
//	WARN <w1>|<w2>...              ECHO's row, with those warnings
//	FAIL <kind>                    returns an error of that kind
//	CREATE TABLE <ks>.<t>          schema change CREATED TABLE
//	DROP KEYSPACE <ks>             schema change DROPPED KEYSPACE
//	SELECT ... system.local/peers  what gocql asks at connect time
//
// anything else is Void.
type fakeExec struct {
	rows int

	started chan struct{} // BLOCK sends here when it starts
	release chan struct{} // BLOCK returns when this is closed

	mu struct {
		sync.Mutex
		prepares int
		batches  []fakeBatch
		queries  []string
	}
}

type fakeBatch struct {
	typ     ast.BatchType
	entries []query.BatchEntry
	opts    query.Options
}

func newFakeExec() *fakeExec {
	return &fakeExec{rows: 10, started: make(chan struct{}, 16), release: make(chan struct{})}
}

var (
	intType  = schema.Native(schema.KindInt)
	textType = schema.Native(schema.KindText)
	rowCols  = []query.ColumnSpec{
		{Keyspace: "ks", Table: "t", Name: "k", Type: intType},
		{Keyspace: "ks", Table: "t", Name: "v", Type: textType},
	}
)

func (f *fakeExec) Prepare(s *query.Session, q string) (*query.Prepared, error) {
	if strings.HasPrefix(q, "BAD") {
		return nil, &query.Error{Kind: query.KindSyntax, Msg: "line 1:0 no viable alternative at input 'BAD'"}
	}
	f.mu.Lock()
	f.mu.prepares++
	f.mu.Unlock()
	p := &query.Prepared{ID: md5.Sum([]byte(s.Keyspace + q)), Query: q, Keyspace: s.Keyspace}
	switch {
	case strings.HasPrefix(q, "INSERT INTO ks.t"):
		p.Keyspace = "ks"
		p.Bind = rowCols
		p.PKIndexes = []uint16{0}
	case strings.HasPrefix(q, "SELECT k, v FROM ks.t"):
		p.Keyspace = "ks"
		p.Columns = rowCols
	}
	if p.Bind == nil {
		for i := range strings.Count(q, "?") {
			p.Bind = append(p.Bind, query.ColumnSpec{Keyspace: "ks", Table: "t", Name: fmt.Sprintf("c%d", i), Type: intType})
		}
	}
	return p, nil
}

func (f *fakeExec) Execute(ctx context.Context, s *query.Session, p *query.Prepared, opts *query.Options) (*query.Result, error) {
	return f.run(ctx, s, p.Query, opts)
}

func (f *fakeExec) Query(ctx context.Context, s *query.Session, q string, opts *query.Options) (*query.Result, error) {
	return f.run(ctx, s, q, opts)
}

func (f *fakeExec) Batch(ctx context.Context, s *query.Session, typ ast.BatchType, entries []query.BatchEntry, opts *query.Options) (*query.Result, error) {
	f.mu.Lock()
	f.mu.batches = append(f.mu.batches, fakeBatch{typ, entries, *opts})
	f.mu.Unlock()
	for _, e := range entries {
		if strings.HasPrefix(e.Query, "FAIL") {
			return f.run(ctx, s, e.Query, opts)
		}
	}
	return &query.Result{Kind: query.ResultVoid}, nil
}

func (f *fakeExec) prepareCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mu.prepares
}

func (f *fakeExec) run(ctx context.Context, s *query.Session, q string, opts *query.Options) (*query.Result, error) {
	f.mu.Lock()
	f.mu.queries = append(f.mu.queries, q)
	f.mu.Unlock()
	word, rest, _ := strings.Cut(q, " ")
	switch {
	case word == "USE":
		return &query.Result{Kind: query.ResultSetKeyspace, Keyspace: rest}, nil
	case strings.HasPrefix(q, "SELECT k, v FROM ks.t"):
		return f.page(opts)
	case strings.Contains(q, "system.local"):
		return systemLocal(q), nil
	case strings.Contains(q, "system.peers_v2"):
		return nil, &query.Error{Kind: query.KindInvalid, Msg: "unconfigured table peers_v2"}
	case strings.Contains(q, "system.peers"):
		return &query.Result{Kind: query.ResultRows, Columns: []query.ColumnSpec{
			{Keyspace: "system", Table: "peers", Name: "peer", Type: schema.Native(schema.KindInet)},
			{Keyspace: "system", Table: "peers", Name: "schema_version", Type: schema.Native(schema.KindUUID)},
		}}, nil
	case word == "ECHO":
		return echo(s, opts), nil
	case word == "WARN":
		res := echo(s, opts)
		res.Warnings = strings.Split(rest, "|")
		return res, nil
	case word == "SLEEP":
		ms, _ := strconv.Atoi(rest)
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
			return &query.Result{Kind: query.ResultVoid}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	case word == "BLOCK":
		f.started <- struct{}{}
		select {
		case <-f.release:
			return &query.Result{Kind: query.ResultVoid}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	case word == "PANIC":
		panic("boom")
	case word == "FAIL":
		return nil, fakeError(rest)
	case strings.HasPrefix(q, "CREATE TABLE "):
		ks, t, _ := strings.Cut(strings.TrimPrefix(q, "CREATE TABLE "), ".")
		return &query.Result{Kind: query.ResultSchemaChange, Change: &query.SchemaChange{Change: "CREATED", Target: "TABLE", Keyspace: ks, Name: t}}, nil
	case strings.HasPrefix(q, "DROP KEYSPACE "):
		return &query.Result{Kind: query.ResultSchemaChange, Change: &query.SchemaChange{Change: "DROPPED", Target: "KEYSPACE", Keyspace: strings.TrimPrefix(q, "DROP KEYSPACE ")}}, nil
	}
	return &query.Result{Kind: query.ResultVoid}, nil
}

func fakeError(kind string) error {
	switch kind {
	case "unavailable":
		return &replication.UnavailableError{Consistency: replication.Quorum, Required: 2, Alive: 1}
	case "write_timeout":
		return fmt.Errorf("query: %w", &replication.WriteTimeoutError{Consistency: replication.One, Received: 0, BlockFor: 1, WriteType: replication.WriteSimple})
	case "read_timeout":
		return &replication.ReadTimeoutError{Consistency: replication.LocalQuorum, Received: 1, BlockFor: 2, DataPresent: true}
	case "already_exists":
		return &query.Error{Kind: query.KindAlreadyExists, Msg: "Cannot add already existing table \"t\" to keyspace \"ks\"", Keyspace: "ks", Table: "t"}
	case "syntax":
		return &query.Error{Kind: query.KindSyntax, Msg: "line 1:5 mismatched input"}
	case "invalid":
		return &query.Error{Kind: query.KindInvalid, Msg: "Keyspace nope does not exist"}
	}
	return errors.New("something broke")
}

// page serves the rows k = 0..rows-1 a page at a time; the paging state is
// the next k as 4 bytes.
func (f *fakeExec) page(opts *query.Options) (*query.Result, error) {
	start := 0
	if opts.PagingState != nil {
		if len(opts.PagingState) != 4 {
			return nil, &query.Error{Kind: query.KindProtocol, Msg: "Invalid value for the paging state"}
		}
		start = int(binary.BigEndian.Uint32(opts.PagingState))
	}
	end := f.rows
	if opts.PageSize > 0 {
		end = min(start+opts.PageSize, f.rows)
	}
	res := &query.Result{Kind: query.ResultRows, Columns: rowCols}
	for k := start; k < end; k++ {
		res.Rows = append(res.Rows, [][]byte{binary.BigEndian.AppendUint32(nil, uint32(k)), []byte("v" + strconv.Itoa(k))})
	}
	if end < f.rows {
		res.PagingState = binary.BigEndian.AppendUint32(nil, uint32(end))
	}
	return res, nil
}

// echo describes the request as one row of text columns.
func echo(s *query.Session, opts *query.Options) *query.Result {
	names := []string{"keyspace", "consistency", "serial", "timestamp", "page_size", "paging_state", "names", "values"}
	var cols []query.ColumnSpec
	for _, n := range names {
		cols = append(cols, query.ColumnSpec{Keyspace: "ks", Table: "echo", Name: n, Type: textType})
	}
	var vals []string
	for _, v := range opts.Values {
		switch {
		case v == nil:
			vals = append(vals, "null")
		case query.IsUnset(v):
			vals = append(vals, "unset")
		default:
			vals = append(vals, hex.EncodeToString(v))
		}
	}
	ts := "none"
	if opts.Timestamp != mutation.NoTimestamp {
		ts = strconv.FormatInt(opts.Timestamp, 10)
	}
	row := []string{s.Keyspace, opts.Consistency.String(), opts.SerialConsistency.String(), ts,
		strconv.Itoa(opts.PageSize), hex.EncodeToString(opts.PagingState), strings.Join(opts.Names, ","), strings.Join(vals, ",")}
	r := make([][]byte, len(row))
	for i, v := range row {
		r[i] = []byte(v)
	}
	return &query.Result{Kind: query.ResultRows, Columns: cols, Rows: [][][]byte{r}}
}

// systemLocal answers gocql's queries of system.local.
func systemLocal(q string) *query.Result {
	sv := [16]byte{0x11, 0x22, 15: 0x01}
	hostID := [16]byte{0xAB, 15: 0xCD}
	col := func(name string, k schema.Kind) query.ColumnSpec {
		return query.ColumnSpec{Keyspace: "system", Table: "local", Name: name, Type: schema.Native(k)}
	}
	if strings.HasPrefix(q, "SELECT schema_version") {
		return &query.Result{Kind: query.ResultRows, Columns: []query.ColumnSpec{col("schema_version", schema.KindUUID)},
			Rows: [][][]byte{{sv[:]}}}
	}
	tokens := query.ColumnSpec{Keyspace: "system", Table: "local", Name: "tokens", Type: schema.SetOf(textType)}
	tok := []byte("0")
	tokSet := binary.BigEndian.AppendUint32(nil, 1)
	tokSet = binary.BigEndian.AppendUint32(tokSet, uint32(len(tok)))
	tokSet = append(tokSet, tok...)
	return &query.Result{Kind: query.ResultRows,
		Columns: []query.ColumnSpec{
			col("key", schema.KindText), col("cluster_name", schema.KindText), col("data_center", schema.KindText),
			col("rack", schema.KindText), col("host_id", schema.KindUUID), col("release_version", schema.KindText),
			col("partitioner", schema.KindText), col("rpc_address", schema.KindInet),
			col("broadcast_address", schema.KindInet), col("schema_version", schema.KindUUID), tokens,
		},
		Rows: [][][]byte{{
			[]byte("local"), []byte("Test Cluster"), []byte("datacenter1"), []byte("rack1"), hostID[:],
			[]byte("4.0.0"), []byte("org.apache.cassandra.dht.Murmur3Partitioner"),
			{127, 0, 0, 1}, {127, 0, 0, 1}, sv[:], tokSet,
		}},
	}
}

// testConfig is a config for tests: quick timeouts, quiet logs.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.ListenAddress = "127.0.0.1:0"
	cfg.FrameTimeout = 2 * time.Second
	cfg.DrainTimeout = 2 * time.Second
	cfg.RequestTimeout = 5 * time.Second
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return cfg
}

// startServer serves exec on a loopback port until the test ends.
func startServer(t testing.TB, cfg Config, exec Executor) (*Server, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, exec)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(context.Background(), l) }()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := <-errc; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s, l.Addr().String()
}

// rawClient speaks frames to the server directly.
type rawClient struct {
	t    testing.TB
	nc   net.Conn
	br   *bufio.Reader
	comp compressor
}

func dial(t testing.TB, addr string) *rawClient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawClient{t: t, nc: nc, br: bufio.NewReader(nc)}
}

// frame is a received frame.
type frame struct {
	header
	body []byte
}

// send writes a v4 request frame, compressed when the client negotiated
// compression (except STARTUP).
func (c *rawClient) send(stream int16, op opcode, body []byte) {
	c.t.Helper()
	var flags byte
	if c.comp != nil && op != opStartup {
		b, ok := c.comp.compress(nil, body)
		if !ok {
			c.t.Fatal("compression failed")
		}
		body = b
		flags |= flagCompressed
	}
	c.sendRaw(protoVersion, flags, stream, op, body)
}

func (c *rawClient) sendRaw(version, flags byte, stream int16, op opcode, body []byte) {
	c.t.Helper()
	b := make([]byte, headerSize, headerSize+len(body))
	putHeader(b, header{version: version, flags: flags, stream: stream, op: op, length: uint32(len(body))})
	c.write(append(b, body...))
}

func (c *rawClient) write(b []byte) {
	c.t.Helper()
	c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// recv reads one frame (v3+ header), decompressing it.
func (c *rawClient) recv() frame {
	c.t.Helper()
	f, err := c.tryRecv(5 * time.Second)
	if err != nil {
		c.t.Fatalf("recv: %v", err)
	}
	return f
}

func (c *rawClient) tryRecv(timeout time.Duration) (frame, error) {
	c.nc.SetReadDeadline(time.Now().Add(timeout))
	var hb [headerSize]byte
	if _, err := io.ReadFull(c.br, hb[:]); err != nil {
		return frame{}, err
	}
	h := parseHeader(hb[:])
	body := make([]byte, h.length)
	if _, err := io.ReadFull(c.br, body); err != nil {
		return frame{}, err
	}
	if h.flags&flagCompressed != 0 {
		if c.comp == nil {
			return frame{}, errors.New("compressed frame without compression")
		}
		var err error
		if body, err = c.comp.decompress(body, 1<<30); err != nil {
			return frame{}, err
		}
		h.flags &^= flagCompressed
	}
	return frame{h, body}, nil
}

// expectClosed waits for the server to close the connection.
func (c *rawClient) expectClosed() {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c.br)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			c.t.Fatalf("connection still open after 5 s")
		}
	}
	if len(b) > 0 {
		c.t.Fatalf("got %d more bytes (% x) before the close", len(b), b)
	}
}

func (c *rawClient) do(stream int16, op opcode, body []byte) frame {
	c.t.Helper()
	c.send(stream, op, body)
	f := c.recv()
	if f.stream != stream {
		c.t.Fatalf("response on stream %d, want %d", f.stream, stream)
	}
	return f
}

// startup sends STARTUP (with compression if not "") and expects READY.
func (c *rawClient) startup(compression string) {
	c.t.Helper()
	opts := map[string]string{"CQL_VERSION": "3.0.0", "DRIVER_NAME": "raw test"}
	if compression != "" {
		opts["COMPRESSION"] = compression
	}
	var w writer
	w.stringMap(opts)
	f := c.do(0, opStartup, w.b)
	if f.op != opReady || f.flags&flagCompressed != 0 {
		c.t.Fatalf("STARTUP: got %s (flags %x) %s, want an uncompressed READY", f.op, f.flags, describe(f))
	}
	if compression != "" {
		c.comp = compressors[strings.ToLower(compression)]
	}
}

func queryBody(q string, opts query.Options, skip bool) []byte {
	var w writer
	w.longString(q)
	if opts.Timestamp == 0 {
		opts.Timestamp = mutation.NoTimestamp
	}
	encodeQueryParams(&w, opts, skip)
	return w.b
}

func (c *rawClient) query(stream int16, q string) frame {
	c.t.Helper()
	return c.do(stream, opQuery, queryBody(q, query.Options{Consistency: replication.One}, false))
}

// describe renders a frame for failure messages.
func describe(f frame) string {
	if f.op == opError {
		code, msg, _ := parseError(f.body)
		return fmt.Sprintf("ERROR 0x%04x %q", code, msg)
	}
	return fmt.Sprintf("%s % x", f.op, f.body)
}

func parseError(body []byte) (errorCode, string, *reader) {
	r := &reader{b: body}
	code := errorCode(r.int())
	msg := r.string()
	return code, msg, r
}

// expectError checks f is an ERROR with code whose message contains msg.
func expectError(t testing.TB, f frame, code errorCode, msg string) *reader {
	t.Helper()
	if f.op != opError {
		t.Fatalf("got %s, want ERROR 0x%04x", describe(f), code)
	}
	got, m, r := parseError(f.body)
	if got != code || !strings.Contains(m, msg) {
		t.Fatalf("got ERROR 0x%04x %q, want 0x%04x containing %q", got, m, code, msg)
	}
	return r
}

// rows is a decoded Rows result.
type rows struct {
	flags       int32
	columns     []query.ColumnSpec
	pagingState []byte
	rows        [][][]byte
}

func parseRows(t testing.TB, f frame) rows {
	t.Helper()
	if f.op != opResult {
		t.Fatalf("got %s, want RESULT", describe(f))
	}
	r := &reader{b: f.body}
	if kind := r.int(); kind != int32(query.ResultRows) {
		t.Fatalf("result kind %d, want Rows", kind)
	}
	var res rows
	res.flags, res.columns, res.pagingState = parseMetadata(r)
	n := int(r.int())
	for range n {
		row := make([][]byte, len(res.columns))
		for j := range row {
			row[j] = r.bytes()
		}
		res.rows = append(res.rows, row)
	}
	if r.err != nil {
		t.Fatalf("decoding rows: %v", r.err)
	}
	return res
}

// parseMetadata decodes a Rows <metadata>; with No_metadata the columns
// are unnamed placeholders.
func parseMetadata(r *reader) (int32, []query.ColumnSpec, []byte) {
	flags := r.int()
	n := int(r.int())
	var ps []byte
	if flags&mfHasMorePages != 0 {
		ps = r.bytes()
	}
	cols := make([]query.ColumnSpec, n)
	if flags&mfNoMetadata != 0 {
		return flags, cols, ps
	}
	var ks, table string
	if flags&mfGlobalTablesSpec != 0 {
		ks, table = r.string(), r.string()
	}
	for i := range cols {
		c := &cols[i]
		c.Keyspace, c.Table = ks, table
		if flags&mfGlobalTablesSpec == 0 {
			c.Keyspace, c.Table = r.string(), r.string()
		}
		c.Name = r.string()
		c.Type = r.option()
	}
	return flags, cols, ps
}

// echoRow returns an ECHO result as name -> value.
func echoRow(t testing.TB, f frame) map[string]string {
	t.Helper()
	res := parseRows(t, f)
	if len(res.rows) != 1 {
		t.Fatalf("ECHO returned %d rows", len(res.rows))
	}
	m := map[string]string{}
	for i, c := range res.columns {
		m[c.Name] = string(res.rows[0][i])
	}
	return m
}
