package cql

import (
	"bytes"
	"net"
	"reflect"
	"sync"
	"testing"
	"time"

	"wcdb/query"
	"wcdb/query/ast"
	"wcdb/replication"
)

// pipeConn is a net.Conn that reads a fixed input and records what is
// written; deadlines are ignored.
type pipeConn struct {
	in  *bytes.Reader
	mu  sync.Mutex
	out bytes.Buffer
}

func (c *pipeConn) Read(p []byte) (int, error) { return c.in.Read(p) }
func (c *pipeConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.Write(p)
}
func (c *pipeConn) Close() error                     { return nil }
func (c *pipeConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *pipeConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *pipeConn) SetDeadline(time.Time) error      { return nil }
func (c *pipeConn) SetReadDeadline(time.Time) error  { return nil }
func (c *pipeConn) SetWriteDeadline(time.Time) error { return nil }

// fuzzSeeds are well-formed request streams.
func fuzzSeeds(t testing.TB) [][]byte {
	frameOf := func(flags byte, stream int16, op opcode, body []byte) []byte {
		b := make([]byte, headerSize)
		putHeader(b, header{version: protoVersion, flags: flags, stream: stream, op: op, length: uint32(len(body))})
		return append(b, body...)
	}
	var startup, startupLZ4, reg, prep writer
	startup.stringMap(map[string]string{"CQL_VERSION": "3.0.0"})
	startupLZ4.stringMap(map[string]string{"CQL_VERSION": "3.0.0", "COMPRESSION": "lz4"})
	reg.stringList([]string{"SCHEMA_CHANGE"})
	prep.longString("SELECT k, v FROM ks.t")
	echo := queryBody("ECHO", query.Options{Consistency: replication.Quorum, Values: [][]byte{{1}, nil, query.Unset},
		Names: []string{"a", "b", "c"}, PageSize: 5, PagingState: []byte{1}, Timestamp: 7}, true)
	compressed, _ := lz4Compressor{}.compress(nil, queryBody("SELECT k, v FROM ks.t", query.Options{Consistency: replication.One, PageSize: 2}, false))
	id := md5Of("SELECT k, v FROM ks.t")
	batch := encodeBatch(ast.LoggedBatch, []rawBatchEntry{{query: "INSERT"}, {id: id[:], values: [][]byte{{1}}}}, replication.One, qfDefaultTimestamp, 0, 5)

	join := func(frames ...[]byte) []byte { return bytes.Join(frames, nil) }
	return [][]byte{
		join(frameOf(0, 0, opOptions, nil)),
		join(frameOf(0, 0, opStartup, startup.b), frameOf(0, 1, opQuery, echo)),
		join(frameOf(0, 0, opStartup, startup.b), frameOf(0, 1, opRegister, reg.b), frameOf(0, 2, opQuery, queryBody("CREATE TABLE ks.x", query.Options{}, false))),
		join(frameOf(0, 0, opStartup, startup.b), frameOf(0, 1, opPrepare, prep.b), frameOf(0, 2, opExecute, executeBody(id[:], query.Options{Consistency: replication.One}, true))),
		join(frameOf(0, 0, opStartup, startup.b), frameOf(0, 1, opBatch, batch)),
		join(frameOf(0, 0, opStartup, startupLZ4.b), frameOf(flagCompressed, 1, opQuery, compressed)),
		join(frameOf(0, 0, opStartup, startup.b), frameOf(flagCustomPayload|flagTracing, 1, opQuery, append([]byte{0, 0}, echo...))),
		{5, 0, 0, 1, 5, 0, 0, 0, 0},
		{2, 0, 1, 5, 0, 0, 0, 0},
	}
}

func md5Of(q string) [16]byte {
	p, _ := newFakeExec().Prepare(&query.Session{}, q)
	return p.ID
}

// FuzzReadFrame runs a whole connection over arbitrary client bytes: no
// panic, no hang, and every byte the server writes is a well-formed
// response frame.
func FuzzReadFrame(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	cfg := testConfig()
	cfg.MaxFrameSize = 1 << 16
	cfg.RequestTimeout = 5 * time.Millisecond
	cfg.DrainTimeout = time.Second
	f.Fuzz(func(t *testing.T, in []byte) {
		ex := newFakeExec()
		ex.started = make(chan struct{}, len(in))
		close(ex.release)
		srv, err := New(cfg, ex)
		if err != nil {
			t.Fatal(err)
		}
		pc := &pipeConn{in: bytes.NewReader(in)}
		c := newConn(srv, pc)
		c.serve()
		srv.Close()

		out := pc.out.Bytes()
		for len(out) > 0 {
			if len(out) < headerSizeV2 || out[0]&responseFlag == 0 {
				t.Fatalf("bad response header % x", out)
			}
			hlen, length := headerSize, 0
			if ver := out[0] & versionMask; ver == 1 || ver == 2 {
				hlen = headerSizeV2
				length = int(uint32(out[4])<<24 | uint32(out[5])<<16 | uint32(out[6])<<8 | uint32(out[7]))
			} else {
				if len(out) < headerSize {
					t.Fatalf("short response header % x", out)
				}
				length = int(parseHeader(out).length)
			}
			if len(out) < hlen+length {
				t.Fatalf("response frame of %d bytes announces %d", len(out)-hlen, length)
			}
			out = out[hlen+length:]
		}
	})
}

// FuzzDecodeBody feeds arbitrary bodies to every request decoder: no
// panic, and whatever decodes re-encodes to the same meaning.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		if len(s) > headerSize {
			f.Add(s[headerSize:])
		}
	}
	f.Add(queryBody("x", query.Options{Consistency: replication.One, Values: [][]byte{{1}}, PageSize: 3}, false)[5:])
	f.Fuzz(func(t *testing.T, body []byte) {
		decoders := []func(r *reader){
			func(r *reader) { r.stringMap() },
			func(r *reader) { r.stringMultimap() },
			func(r *reader) { r.bytesMap() },
			func(r *reader) { r.stringList() },
			func(r *reader) { r.inet() },
			func(r *reader) { r.option() },
			func(r *reader) { r.uuid(); r.consistency(); r.value(); r.bytes() },
			func(r *reader) { r.longString(); r.queryParams() },
			func(r *reader) { r.shortBytes(); r.queryParams() },
			func(r *reader) { r.batch() },
		}
		for _, d := range decoders {
			d(&reader{b: body})
		}
		for _, c := range compressors {
			c.decompress(body, 1<<20)
		}

		r := reader{b: body}
		p := r.queryParams()
		if r.err != nil || p.opts.SerialConsistency == replication.Any {
			return // (the test encoder cannot send an explicit ANY serial level)
		}
		var w writer
		encodeQueryParams(&w, p.opts, p.skipMetadata)
		r2 := reader{b: w.b}
		p2 := r2.queryParams()
		if r2.err != nil || !reflect.DeepEqual(p, p2) {
			t.Fatalf("query parameters did not survive a round trip:\n%#v\n%#v (%v)", p, p2, r2.err)
		}
	})
}
