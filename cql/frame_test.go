package cql

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"wcdb/mutation"
	"wcdb/query"
	"wcdb/query/ast"
	"wcdb/replication"
	"wcdb/schema"
)

// unhex decodes hex with spaces and quoted ASCII ("abc") allowed, for
// readable golden frames.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	var out []byte
	for len(s) > 0 {
		switch {
		case s[0] == ' ' || s[0] == '\n' || s[0] == '\t':
			s = s[1:]
		case s[0] == '"':
			end := strings.IndexByte(s[1:], '"')
			out = append(out, s[1:1+end]...)
			s = s[end+2:]
		default:
			b, err := hex.DecodeString(s[:2])
			if err != nil {
				t.Fatalf("bad hex %q: %v", s, err)
			}
			out = append(out, b...)
			s = s[2:]
		}
	}
	return out
}

func TestPrimitivesRoundTrip(t *testing.T) {
	var w writer
	w.byte(7)
	w.short(65535)
	w.int(-5)
	w.long(math.MinInt64 + 1)
	w.string("héllo")
	w.longString("SELECT * FROM t")
	w.uuid([16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	w.stringList([]string{"a", "", "ccc"})
	w.bytes(nil)
	w.bytes([]byte{})
	w.bytes([]byte{1, 2})
	w.value(nil)
	w.value(query.Unset)
	w.value([]byte{})
	w.value([]byte{9})
	w.shortBytes([]byte{0xAB, 0xCD})
	w.stringMap(map[string]string{"k": "v", "x": "y"})
	w.stringMultimap([]string{"A", "B"}, map[string][]string{"A": {"1", "2"}, "B": nil})
	w.bytesMap(map[string][]byte{"p": {1}, "n": nil})
	w.inet(netip.MustParseAddrPort("10.0.0.1:9042"))
	w.inet(netip.MustParseAddrPort("[::1]:7000"))
	w.consistency(replication.LocalQuorum)
	w.option(schema.MapOf(schema.Native(schema.KindText), schema.ListOf(schema.Native(schema.KindInt))))

	r := reader{b: w.b}
	check := func(name string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %#v, want %#v", name, got, want)
		}
	}
	check("byte", r.byte(), byte(7))
	check("short", r.short(), uint16(65535))
	check("int", r.int(), int32(-5))
	check("long", r.long(), int64(math.MinInt64+1))
	check("string", r.string(), "héllo")
	check("long string", r.longString(), "SELECT * FROM t")
	check("uuid", r.uuid(), [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	check("string list", r.stringList(), []string{"a", "", "ccc"})
	check("null bytes", r.bytes(), []byte(nil))
	check("empty bytes", r.bytes(), []byte{})
	check("bytes", r.bytes(), []byte{1, 2})
	check("null value", r.value(), []byte(nil))
	if v := r.value(); !query.IsUnset(v) {
		t.Errorf("unset value: got %#v, want query.Unset", v)
	}
	if v := r.value(); v == nil || len(v) != 0 || query.IsUnset(v) {
		t.Errorf("empty value: got %#v, want empty non-nil", v)
	}
	check("value", r.value(), []byte{9})
	check("short bytes", r.shortBytes(), []byte{0xAB, 0xCD})
	check("string map", r.stringMap(), map[string]string{"k": "v", "x": "y"})
	check("string multimap", r.stringMultimap(), map[string][]string{"A": {"1", "2"}, "B": {}})
	check("bytes map", r.bytesMap(), map[string][]byte{"p": {1}, "n": nil})
	check("inet4", r.inet(), netip.MustParseAddrPort("10.0.0.1:9042"))
	check("inet6", r.inet(), netip.MustParseAddrPort("[::1]:7000"))
	check("consistency", r.consistency(), replication.LocalQuorum)
	if got, want := r.option().String(), "map<text, frozen<list<int>>>"; got != want {
		t.Errorf("option: got %s, want %s", got, want)
	}
	if r.err != nil || len(r.b) != 0 {
		t.Fatalf("after reading everything: err %v, %d bytes left", r.err, len(r.b))
	}
}

func TestReaderErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		read func(*reader)
		want string
	}{
		{"truncated int", "00 01", func(r *reader) { r.int() }, "truncated"},
		{"truncated string", "00 05 \"abc\"", func(r *reader) { r.string() }, "truncated"},
		{"invalid utf8", "00 02 ff fe", func(r *reader) { r.string() }, "UTF-8"},
		{"negative long string", "ff ff ff ff", func(r *reader) { r.longString() }, "negative"},
		{"value below -2", "ff ff ff fd", func(r *reader) { r.value() }, "invalid [value] length -3"},
		{"huge list count", "ff ff 00", func(r *reader) { r.stringList() }, "truncated"},
		{"huge map count", "7f ff", func(r *reader) { r.stringMap() }, "truncated"},
		{"bad inet size", "05 01 02 03 04 05 00 00 00 01", func(r *reader) { r.inet() }, "address size 5"},
		{"bad consistency", "00 0b", func(r *reader) { r.consistency() }, "unknown code 11"},
		{"bad option", "00 30", func(r *reader) { r.option() }, "truncated user type option"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := reader{b: unhex(t, tc.in)}
			tc.read(&r)
			var pe *protocolError
			if !errors.As(r.err, &pe) || !strings.Contains(pe.msg, tc.want) {
				t.Fatalf("got error %v, want a protocol error containing %q", r.err, tc.want)
			}
			// Sticky: later reads return zero values.
			if r.int() != 0 || r.string() != "" {
				t.Fatal("reads after an error returned data")
			}
		})
	}
}

func TestStringTruncatedAtRuneBoundary(t *testing.T) {
	s := strings.Repeat("é", 40000) // 80000 bytes
	var w writer
	w.string(s)
	r := reader{b: w.b}
	got := r.string()
	if r.err != nil || len(got) != 65534 || !strings.HasPrefix(s, got) {
		t.Fatalf("got %d bytes (err %v), want 65534 bytes of the prefix", len(got), r.err)
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	h := header{version: 0x84, flags: flagCompressed | flagWarning, stream: -1, op: opEvent, length: 1 << 20}
	var b [headerSize]byte
	putHeader(b[:], h)
	if got, want := b[:], unhex(t, "84 09 ffff 0c 00100000"); !bytes.Equal(got, want) {
		t.Fatalf("header bytes: got % x, want % x", got, want)
	}
	if got := parseHeader(b[:]); got != h {
		t.Fatalf("parsed header: got %+v, want %+v", got, h)
	}
}

// The examples of the package documentation, and messages laid out by
// hand from the spec.
func TestGoldenMessages(t *testing.T) {
	// STARTUP {CQL_VERSION: 3.0.0}.
	startup := unhex(t, `00 01 000b "CQL_VERSION" 0005 "3.0.0"`)
	r := reader{b: startup}
	if m := r.stringMap(); r.err != nil || !reflect.DeepEqual(m, map[string]string{"CQL_VERSION": "3.0.0"}) {
		t.Fatalf("STARTUP body: got %v (%v)", m, r.err)
	}
	if len(startup) != 22 {
		t.Fatalf("STARTUP body is %d bytes, the doc says 22", len(startup))
	}

	cases := []struct {
		name  string
		write func(w *writer)
		want  string
	}{
		{"unavailable", func(w *writer) {
			w.errorBody(&replication.UnavailableError{Consistency: replication.Quorum, Required: 3, Alive: 1}, 0)
		}, `00001000 003d "Cannot achieve consistency level QUORUM (required 3, alive 1)"` +
			` 0004 00000003 00000001`},
		{"write timeout", func(w *writer) {
			w.errorBody(&replication.WriteTimeoutError{Consistency: replication.One, Received: 0, BlockFor: 1, WriteType: replication.WriteBatchLog}, 0)
		}, `00001100 0042 "Operation timed out - received only 0 responses (ONE, block for 1)"` +
			` 0001 00000000 00000001 0009 "BATCH_LOG"`},
		{"read timeout", func(w *writer) {
			w.errorBody(&replication.ReadTimeoutError{Consistency: replication.All, Received: 2, BlockFor: 3, DataPresent: true}, 0)
		}, `00001200 0042 "Operation timed out - received only 2 responses (ALL, block for 3)"` +
			` 0005 00000002 00000003 01`},
		// The replica's error ("x") stays on the node: it may name files.
		{"write failure", func(w *writer) {
			w.errorBody(&replication.WriteFailureError{Consistency: replication.All, Received: 2, BlockFor: 3, Failures: 1,
				WriteType: replication.WriteSimple, Err: errors.New("x")}, 0)
		}, `00001500 0049 "Operation failed - received 2 responses and 1 failures (ALL, block for 3)"` +
			` 0005 00000002 00000003 00000001 0006 "SIMPLE"`},
		{"read failure", func(w *writer) {
			w.errorBody(&replication.ReadFailureError{Consistency: replication.Quorum, Received: 1, BlockFor: 2, Failures: 1,
				DataPresent: false, Err: errors.New("x")}, 0)
		}, `00001300 004c "Operation failed - received 1 responses and 1 failures (QUORUM, block for 2)"` +
			` 0004 00000001 00000002 00000001 00`},
		{"already exists", func(w *writer) {
			w.errorBody(&query.Error{Kind: query.KindAlreadyExists, Msg: "x", Keyspace: "ks", Table: "t"}, 0)
		}, `00002400 0001 "x" 0002 "ks" 0001 "t"`},
		{"unprepared", func(w *writer) {
			w.errorBody(&unpreparedError{id: []byte{0xAA, 0xBB}}, 0)
		}, `00002500 ` + hex.EncodeToString(appendString(nil, (&unpreparedError{id: []byte{0xAA, 0xBB}}).Error())) + ` 0002 aabb`},
		{"syntax", func(w *writer) {
			w.errorBody(&query.Error{Kind: query.KindSyntax, Msg: "bad"}, 0)
		}, `00002000 0003 "bad"`},
		{"server error", func(w *writer) {
			w.errorBody(errors.New("disk on fire"), 0)
		}, `00000000 000c "disk on fire"`},
		{"protocol error", func(w *writer) {
			w.errorBody(protoErrorf("nope"), 0)
		}, `0000000a 0004 "nope"`},
		{"bad credentials", func(w *writer) {
			w.errorBody(&authError{msg: "no"}, 0)
		}, `00000100 0002 "no"`},
		{"unavailable by code only", func(w *writer) {
			w.errorBody(&query.Error{Kind: query.KindUnavailable, Msg: "u"}, replication.Two)
		}, `00001000 0001 "u" 0002 00000001 00000000`},
		{"void", func(w *writer) {
			w.resultBody(&query.Result{Kind: query.ResultVoid}, false)
		}, `00000001`},
		{"set keyspace", func(w *writer) {
			w.resultBody(&query.Result{Kind: query.ResultSetKeyspace, Keyspace: "ks"}, false)
		}, `00000003 0002 "ks"`},
		{"schema change table", func(w *writer) {
			w.resultBody(&query.Result{Kind: query.ResultSchemaChange, Change: &query.SchemaChange{
				Change: "CREATED", Target: "TABLE", Keyspace: "ks", Name: "t"}}, false)
		}, `00000005 0007 "CREATED" 0005 "TABLE" 0002 "ks" 0001 "t"`},
		{"schema change keyspace", func(w *writer) {
			w.resultBody(&query.Result{Kind: query.ResultSchemaChange, Change: &query.SchemaChange{
				Change: "DROPPED", Target: "KEYSPACE", Keyspace: "ks"}}, false)
		}, `00000005 0007 "DROPPED" 0008 "KEYSPACE" 0002 "ks"`},
		{"rows global spec", func(w *writer) {
			w.resultBody(&query.Result{Kind: query.ResultRows, Columns: []query.ColumnSpec{
				{Keyspace: "ks", Table: "t", Name: "k", Type: schema.Native(schema.KindInt)},
				{Keyspace: "ks", Table: "t", Name: "v", Type: schema.Native(schema.KindText)},
			}, Rows: [][][]byte{{{0, 0, 0, 1}, []byte("a")}, {{0, 0, 0, 2}, nil}}}, false)
		}, `00000002 00000001 00000002 0002 "ks" 0001 "t" 0001 "k" 0009 0001 "v" 000d` +
			` 00000002 00000004 00000001 00000001 "a" 00000004 00000002 ffffffff`},
		{"rows paged no metadata", func(w *writer) {
			w.resultBody(&query.Result{Kind: query.ResultRows, Columns: []query.ColumnSpec{
				{Keyspace: "ks", Table: "t", Name: "k", Type: schema.Native(schema.KindInt)},
			}, Rows: [][][]byte{{{0, 0, 0, 1}}}, PagingState: []byte{0xCA, 0xFE}}, true)
		}, `00000002 00000006 00000001 00000002 cafe 00000001 00000004 00000001`},
		{"rows two tables", func(w *writer) {
			w.resultBody(&query.Result{Kind: query.ResultRows, Columns: []query.ColumnSpec{
				{Keyspace: "a", Table: "x", Name: "k", Type: schema.Native(schema.KindBigint)},
				{Keyspace: "b", Table: "y", Name: "d", Type: schema.Native(schema.KindDuration)},
			}}, false)
		}, `00000002 00000000 00000002 0001 "a" 0001 "x" 0001 "k" 0002 0001 "b" 0001 "y" 0001 "d"` +
			` 0000 002c "org.apache.cassandra.db.marshal.DurationType" 00000000`},
		{"prepared", func(w *writer) {
			w.preparedBody(&query.Prepared{
				ID: [16]byte{0: 0x11, 15: 0xFF},
				Bind: []query.ColumnSpec{
					{Keyspace: "ks", Table: "t", Name: "v", Type: schema.Native(schema.KindText)},
					{Keyspace: "ks", Table: "t", Name: "k", Type: schema.Native(schema.KindInt)},
				},
				PKIndexes: []uint16{1},
			})
		}, `00000004 0010 11 0000000000000000000000000000 ff` +
			` 00000001 00000002 00000001 0001 0002 "ks" 0001 "t" 0001 "v" 000d 0001 "k" 0009` +
			` 00000004 00000000`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var w writer
			tc.write(&w)
			if want := unhex(t, tc.want); !bytes.Equal(w.b, want) {
				t.Fatalf("got  % x\nwant % x", w.b, want)
			}
		})
	}
}

func appendString(b []byte, s string) []byte {
	w := writer{b: b}
	w.string(s)
	return w.b
}

// encodeQueryParams is the client side of queryParams, for tests.
func encodeQueryParams(w *writer, opts query.Options, skipMetadata bool) {
	w.consistency(opts.Consistency)
	var flags byte
	if opts.Values != nil {
		flags |= qfValues
	}
	if opts.Names != nil {
		flags |= qfNamesForValues
	}
	if skipMetadata {
		flags |= qfSkipMetadata
	}
	if opts.PageSize > 0 {
		flags |= qfPageSize
	}
	if opts.PagingState != nil {
		flags |= qfPagingState
	}
	if opts.SerialConsistency != 0 {
		flags |= qfSerialConsistency
	}
	if opts.Timestamp != mutation.NoTimestamp {
		flags |= qfDefaultTimestamp
	}
	w.byte(flags)
	if opts.Values != nil {
		w.short(uint16(len(opts.Values)))
		for i, v := range opts.Values {
			if opts.Names != nil {
				w.string(opts.Names[i])
			}
			w.value(v)
		}
	}
	if opts.PageSize > 0 {
		w.int(int32(opts.PageSize))
	}
	if opts.PagingState != nil {
		w.bytes(opts.PagingState)
	}
	if opts.SerialConsistency != 0 {
		w.consistency(opts.SerialConsistency)
	}
	if opts.Timestamp != mutation.NoTimestamp {
		w.long(opts.Timestamp)
	}
}

func TestQueryParamsRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts query.Options
		skip bool
	}{
		{"bare", query.Options{Consistency: replication.One, SerialConsistency: replication.Serial, Timestamp: mutation.NoTimestamp}, false},
		{"everything", query.Options{
			Consistency:       replication.LocalQuorum,
			SerialConsistency: replication.LocalSerial,
			Values:            [][]byte{{1}, nil, query.Unset, {}},
			Names:             []string{"a", "b", "c", "d"},
			PageSize:          100,
			PagingState:       []byte{1, 2, 3},
			Timestamp:         1234567890123456,
		}, true},
		{"negative timestamp", query.Options{Consistency: replication.Any, SerialConsistency: replication.Serial, Timestamp: -5, Values: [][]byte{}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w writer
			encodeQueryParams(&w, tc.opts, tc.skip)
			r := reader{b: w.b}
			p := r.queryParams()
			if r.err != nil || len(r.b) != 0 {
				t.Fatalf("err %v, %d bytes left", r.err, len(r.b))
			}
			if p.skipMetadata != tc.skip {
				t.Errorf("skip metadata: got %v, want %v", p.skipMetadata, tc.skip)
			}
			if !reflect.DeepEqual(p.opts, tc.opts) {
				t.Errorf("options:\ngot  %#v\nwant %#v", p.opts, tc.opts)
			}
			for i, v := range tc.opts.Values {
				if query.IsUnset(v) != query.IsUnset(p.opts.Values[i]) {
					t.Errorf("value %d: unset got %v, want %v", i, query.IsUnset(p.opts.Values[i]), query.IsUnset(v))
				}
			}
		})
	}
}

func TestQueryParamsErrors(t *testing.T) {
	// NoTimestamp is MinInt64, which the client may not send.
	var w writer
	w.consistency(replication.One)
	w.byte(qfDefaultTimestamp)
	w.long(math.MinInt64)
	r := reader{b: w.b}
	r.queryParams()
	if r.err == nil || !strings.Contains(r.err.Error(), "Out of bound timestamp") {
		t.Fatalf("got %v, want an out of bound timestamp error", r.err)
	}
}

// encodeBatch is the client side of a BATCH body, for tests.
func encodeBatch(typ ast.BatchType, entries []rawBatchEntry, cl replication.Consistency, flags byte, serial replication.Consistency, ts int64) []byte {
	var w writer
	w.byte(byte(typ))
	w.short(uint16(len(entries)))
	for _, e := range entries {
		if e.id != nil {
			w.byte(1)
			w.shortBytes(e.id)
		} else {
			w.byte(0)
			w.longString(e.query)
		}
		w.short(uint16(len(e.values)))
		for _, v := range e.values {
			w.value(v)
		}
	}
	w.consistency(cl)
	w.byte(flags)
	if flags&qfSerialConsistency != 0 {
		w.consistency(serial)
	}
	if flags&qfDefaultTimestamp != 0 {
		w.long(ts)
	}
	return w.b
}

func TestBatchDecode(t *testing.T) {
	entries := []rawBatchEntry{
		{query: "INSERT INTO t (k) VALUES (?)", values: [][]byte{{1}}},
		{id: []byte{9, 9}, values: [][]byte{nil, query.Unset}},
		{id: []byte{9, 9}, values: [][]byte{}},
		{id: []byte{9, 9}, values: [][]byte{{2}, {3}}},
		{id: []byte{9, 9}, values: [][]byte{{4}, {5}}},
	}
	body := encodeBatch(ast.UnloggedBatch, entries, replication.Quorum, qfSerialConsistency|qfDefaultTimestamp, replication.LocalSerial, 42)
	r := reader{b: body}
	b := r.batch()
	if r.err != nil || len(r.b) != 0 {
		t.Fatalf("err %v, %d bytes left", r.err, len(r.b))
	}
	want := batchRequest{typ: ast.UnloggedBatch, entries: entries, opts: query.Options{
		Consistency: replication.Quorum, SerialConsistency: replication.LocalSerial, Timestamp: 42}}
	if !reflect.DeepEqual(b, want) {
		t.Fatalf("got %#v\nwant %#v", b, want)
	}
	// The entries' values share an array: one entry's cannot grow into
	// the next's.
	_ = append(b.entries[3].values, []byte{6})
	if v := b.entries[4].values[0]; len(v) != 1 || v[0] != 4 {
		t.Fatalf("appending to an entry's values changed the next's: %v", b.entries[4].values)
	}

	for _, tc := range []struct {
		name string
		body []byte
		want string
	}{
		{"bad type", encodeBatch(3, nil, replication.One, 0, 0, 0), "invalid BATCH type 3"},
		{"names", encodeBatch(ast.LoggedBatch, nil, replication.One, qfNamesForValues, 0, 0), "names for values"},
		{"bad kind", unhex(t, "00 0001 02 00000000 0000 0001 00"), "kind 2"},
		{"truncated", body[:len(body)-3], "truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := reader{b: tc.body}
			r.batch()
			if r.err == nil || !strings.Contains(r.err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", r.err, tc.want)
			}
		})
	}
}

func TestCompressionRoundTrip(t *testing.T) {
	inputs := [][]byte{
		{},
		[]byte("a"),
		bytes.Repeat([]byte("abcdefgh"), 10000),
		func() []byte { // incompressible
			b := make([]byte, 5000)
			x := uint32(1)
			for i := range b {
				x = x*1664525 + 1013904223
				b[i] = byte(x >> 24)
			}
			return b
		}(),
	}
	for name, c := range compressors {
		for _, in := range inputs {
			out, ok := c.compress([]byte("prefix"), in)
			if !ok || !bytes.HasPrefix(out, []byte("prefix")) {
				t.Fatalf("%s: compress(%d bytes) = ok %v", name, len(in), ok)
			}
			got, err := c.decompress(out[len("prefix"):], len(in))
			if err != nil || !bytes.Equal(got, in) {
				t.Fatalf("%s: round trip of %d bytes: got %d bytes, err %v", name, len(in), len(got), err)
			}
			if len(in) > 0 {
				if _, err := c.decompress(out[len("prefix"):], len(in)-1); err == nil {
					t.Errorf("%s: decompressing %d bytes with a limit of %d succeeded", name, len(in), len(in)-1)
				}
			}
		}
		if _, err := c.decompress([]byte{0, 0, 0, 9, 0xFF, 0xFF}, 100); err == nil {
			t.Errorf("%s: decompressing garbage succeeded", name)
		}
	}
	// lz4's length prefix is big-endian (the spec's, not liblz4's
	// little-endian size header).
	out, _ := lz4Compressor{}.compress(nil, bytes.Repeat([]byte{'x'}, 258))
	if !bytes.Equal(out[:4], []byte{0, 0, 1, 2}) {
		t.Fatalf("lz4 prefix: got % x, want 00 00 01 02", out[:4])
	}
}

func TestCheckCQLVersion(t *testing.T) {
	for v, ok := range map[string]bool{"3.0.0": true, "3.4.5": true, "4.0": true, "2.0.0": false, "x": false, "3": false} {
		err := checkCQLVersion(map[string]string{"CQL_VERSION": v})
		if (err == nil) != ok {
			t.Errorf("CQL_VERSION %q: got %v, want ok=%v", v, err, ok)
		}
	}
	if err := checkCQLVersion(nil); err == nil || !strings.Contains(err.Error(), "Missing value CQL_VERSION") {
		t.Errorf("missing CQL_VERSION: got %v", err)
	}
}

func TestDecodePlain(t *testing.T) {
	for _, tc := range []struct {
		in, user, pass, err string
	}{
		{"\x00alice\x00secret", "alice", "secret", ""},
		{"authz\x00alice\x00secret", "alice", "secret", ""},
		{"alice\x00secret", "alice", "secret", ""},
		{"\x00alice\x00", "", "", "Password must not be null"},
		{"\x00\x00pw", "", "", "Authentication ID must not be null"},
		{"nonul", "", "", "Credential format error"},
	} {
		user, pass, err := decodePlain([]byte(tc.in))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: got %v, want error %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || user != tc.user || pass != tc.pass {
			t.Errorf("%q: got %q %q %v, want %q %q", tc.in, user, pass, err, tc.user, tc.pass)
		}
	}
}

func TestPreparedCache(t *testing.T) {
	p := func(first byte, ks, q string) *query.Prepared {
		return &query.Prepared{ID: [16]byte{0: first, 1: byte(len(ks)), 2: byte(len(q))}, Keyspace: ks, Query: q}
	}
	one, _ := preparedSize(p(0, "ks", strings.Repeat("x", 1000)), math.MaxInt64)
	// Room for three statements of 1000 bytes of text.
	c := newPreparedCache(3*one + one/2)
	// a, b and d in different shards, e in a's: the least recently used
	// is evicted whatever its shard.
	a, b, d := p(0, "ks", strings.Repeat("a", 1000)), p(1, "other", strings.Repeat("b", 1000)), p(2, "ks", strings.Repeat("d", 1000))
	for _, s := range []*query.Prepared{a, b, d} {
		if err := c.put(s); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.get(a.ID[:]); got != a {
		t.Fatalf("get: got %v, want a", got)
	}
	e := p(preparedShards, "ks", strings.Repeat("e", 1000))
	if err := c.put(e); err != nil {
		t.Fatal(err)
	}
	if c.get(b.ID[:]) != nil || c.get(a.ID[:]) != a || c.get(d.ID[:]) != d || c.get(e.ID[:]) != e {
		t.Fatal("the least recently used statement (b) was not the one evicted")
	}
	if got, want := c.bytes(), 3*one; got != want {
		t.Fatalf("bytes: got %d, want %d", got, want)
	}
	// One statement of twice the size takes the place of the two oldest.
	big := p(3, "ks", strings.Repeat("B", 2000))
	if err := c.put(big); err != nil {
		t.Fatal(err)
	}
	if c.get(a.ID[:]) != nil || c.get(d.ID[:]) != nil || c.get(e.ID[:]) != e || c.get(big.ID[:]) != big {
		t.Fatal("a big statement did not evict the two least recently used")
	}
	if c.bytes() > c.limit {
		t.Fatalf("bytes: %d over the limit %d", c.bytes(), c.limit)
	}
	if c.get([]byte{1, 2, 3}) != nil {
		t.Fatal("a short id found a statement")
	}
	// A statement larger than the whole cache is refused, naming the setting.
	err := c.put(p(4, "ks", strings.Repeat("H", 8000)))
	var qe *query.Error
	if !errors.As(err, &qe) || qe.Kind != query.KindInvalid || !strings.Contains(qe.Msg, "prepared_statements_cache_size") {
		t.Fatalf("a statement larger than the cache: got %v, want an Invalid error naming the setting", err)
	}
	c.invalidateKeyspace("ks")
	if c.get(e.ID[:]) != nil || c.get(big.ID[:]) != nil || c.len() != 0 || c.bytes() != 0 {
		t.Fatalf("invalidateKeyspace left %d statements of %d bytes", c.len(), c.bytes())
	}
	// Replacing a statement charges the difference.
	if err := c.put(b); err != nil {
		t.Fatal(err)
	}
	b2 := *b
	b2.Columns = make([]query.ColumnSpec, 10)
	if err := c.put(&b2); err != nil {
		t.Fatal(err)
	}
	if want, _ := preparedSize(&b2, math.MaxInt64); c.len() != 1 || c.bytes() != want || c.get(b.ID[:]) != &b2 {
		t.Fatalf("after a re-prepare: %d statements of %d bytes, want 1 of %d", c.len(), c.bytes(), want)
	}
}

func TestConfigValidate(t *testing.T) {
	def := DefaultConfig()
	if err := def.Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"address", func(c *Config) { c.ListenAddress = "nope" }, "listen address"},
		{"frame size", func(c *Config) { c.MaxFrameSize = 0 }, "max frame size"},
		{"connections", func(c *Config) { c.MaxConnections = 0 }, "max connections"},
		{"in flight", func(c *Config) { c.MaxInFlight = 0 }, "in-flight"},
		{"timeout", func(c *Config) { c.RequestTimeout = -1 }, "request timeout"},
		{"frame timeout", func(c *Config) { c.FrameTimeout = 0 }, "frame timeout"},
		{"drain", func(c *Config) { c.DrainTimeout = -1 }, "drain"},
		{"compression", func(c *Config) { c.Compression = []string{"zstd"} }, "unknown compression"},
		{"credentials", func(c *Config) { c.Credentials = map[string]string{"": "x"} }, "empty user"},
		{"prepared", func(c *Config) { c.PreparedCacheBytes = 0 }, "prepared"},
		{"data in flight", func(c *Config) { c.MaxRequestDataInFlight = 0 }, "data in flight"},
		{"idle", func(c *Config) { c.IdleUnauthenticatedTimeout = -1 }, "idle unauthenticated"},
	} {
		c := DefaultConfig()
		tc.mod(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "cql: ") {
			t.Errorf("%s: got %v, want a cql: error about %q", tc.name, err, tc.want)
		}
	}
	if _, err := New(Config{}, nil); err == nil {
		t.Error("New accepted a zero config")
	}
	if _, err := New(DefaultConfig(), nil); err == nil {
		t.Error("New accepted a nil executor")
	}
	c := DefaultConfig()
	c.Compression = nil
	if err := c.Validate(); err != nil {
		t.Errorf("no compression: %v", err)
	}
}
