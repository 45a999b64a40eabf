package cql

import (
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"unicode/utf8"
	"wcdb/cql/typeopt"

	"wcdb/query"
	"wcdb/replication"
	"wcdb/schema"
)

// protoVersion is the one protocol version the server speaks.
const protoVersion = 4

// Header sizes: protocol v3 and later use a 2-byte stream id, v1 and v2 a
// 1-byte one (only needed to answer such clients with a version error).
const (
	headerSize   = 9
	headerSizeV2 = 8
)

// Version byte: the high bit marks a response.
const (
	versionMask  = 0x7f
	responseFlag = 0x80
)

// Frame flags (spec section 2.2).
const (
	flagCompressed    = 0x01
	flagTracing       = 0x02
	flagCustomPayload = 0x04
	flagWarning       = 0x08
)

// opcode is a frame's message type (spec section 2.4).
type opcode byte

const (
	opError         opcode = 0x00
	opStartup       opcode = 0x01
	opReady         opcode = 0x02
	opAuthenticate  opcode = 0x03
	opOptions       opcode = 0x05
	opSupported     opcode = 0x06
	opQuery         opcode = 0x07
	opResult        opcode = 0x08
	opPrepare       opcode = 0x09
	opExecute       opcode = 0x0A
	opRegister      opcode = 0x0B
	opEvent         opcode = 0x0C
	opBatch         opcode = 0x0D
	opAuthChallenge opcode = 0x0E
	opAuthResponse  opcode = 0x0F
	opAuthSuccess   opcode = 0x10
)

var opcodeNames = [...]string{
	opError: "ERROR", opStartup: "STARTUP", opReady: "READY", opAuthenticate: "AUTHENTICATE",
	opOptions: "OPTIONS", opSupported: "SUPPORTED", opQuery: "QUERY", opResult: "RESULT",
	opPrepare: "PREPARE", opExecute: "EXECUTE", opRegister: "REGISTER", opEvent: "EVENT",
	opBatch: "BATCH", opAuthChallenge: "AUTH_CHALLENGE", opAuthResponse: "AUTH_RESPONSE",
	opAuthSuccess: "AUTH_SUCCESS",
}

func (o opcode) String() string {
	if int(o) < len(opcodeNames) && opcodeNames[o] != "" {
		return opcodeNames[o]
	}
	return fmt.Sprintf("0x%02X", byte(o))
}

// isRequest reports whether a client may send o.
func (o opcode) isRequest() bool {
	switch o {
	case opStartup, opOptions, opQuery, opPrepare, opExecute, opRegister, opBatch, opAuthResponse:
		return true
	}
	return false
}

// header is a decoded frame header.
type header struct {
	version byte // with the direction bit
	flags   byte
	stream  int16
	op      opcode
	length  uint32
}

// parseHeader decodes a v3+ header from b (at least headerSize bytes).
func parseHeader(b []byte) header {
	return header{
		version: b[0],
		flags:   b[1],
		stream:  int16(binary.BigEndian.Uint16(b[2:])),
		op:      opcode(b[4]),
		length:  binary.BigEndian.Uint32(b[5:]),
	}
}

// putHeader encodes a v3+ header into b[:headerSize].
func putHeader(b []byte, h header) {
	b[0] = h.version
	b[1] = h.flags
	binary.BigEndian.PutUint16(b[2:], uint16(h.stream))
	b[4] = byte(h.op)
	binary.BigEndian.PutUint32(b[5:], h.length)
}

// protocolError is a violation of the protocol by the client, sent as
// ERROR 0x000A.
type protocolError struct {
	msg string
}

func (e *protocolError) Error() string { return "cql: protocol error: " + e.msg }

func protoErrorf(format string, args ...any) *protocolError {
	return &protocolError{msg: fmt.Sprintf(format, args...)}
}

// errTruncated is the sticky error of a reader that ran out of bytes.
var errTruncated = &protocolError{msg: "truncated message body"}

// reader decodes body primitives (spec section 3) from a byte slice. The
// first error sticks: later reads return zero values, and err reports it.
// Slices returned alias the body, which the reader never reuses.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.b = nil
}

// take returns the next n bytes.
func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.fail(errTruncated)
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) byte() byte {
	b := r.take(1)
	if b == nil {
		return 0
	}
	return b[0]
}

func (r *reader) short() uint16 {
	b := r.take(2)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint16(b)
}

func (r *reader) int() int32 {
	b := r.take(4)
	if b == nil {
		return 0
	}
	return int32(binary.BigEndian.Uint32(b))
}

func (r *reader) long() int64 {
	b := r.take(8)
	if b == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b))
}

// string reads a [string]: a [short] length and UTF-8 bytes.
func (r *reader) string() string {
	return r.utf8(r.take(int(r.short())))
}

// longString reads a [long string]: an [int] length and UTF-8 bytes.
func (r *reader) longString() string {
	n := r.int()
	if n < 0 {
		r.fail(protoErrorf("negative [long string] length %d", n))
		return ""
	}
	return r.utf8(r.take(int(n)))
}

func (r *reader) utf8(b []byte) string {
	if !utf8.Valid(b) {
		r.fail(protoErrorf("invalid UTF-8 in a [string]"))
		return ""
	}
	return string(b)
}

// uuid reads a [uuid].
func (r *reader) uuid() (u [16]byte) {
	copy(u[:], r.take(16))
	return u
}

// stringList reads a [string list].
func (r *reader) stringList() []string {
	n := int(r.short())
	if n > len(r.b)/2 {
		r.fail(errTruncated)
		return nil
	}
	l := make([]string, 0, n)
	for range n {
		l = append(l, r.string())
	}
	if r.err != nil {
		return nil
	}
	return l
}

// bytes reads a [bytes]; a negative length is null (nil).
func (r *reader) bytes() []byte {
	n := r.int()
	if n < 0 {
		return nil
	}
	b := r.take(int(n))
	if b == nil && r.err == nil {
		b = []byte{}
	}
	return b
}

// value reads a [value]: nil for null (-1), query.Unset for "not set" (-2),
// an error below that.
func (r *reader) value() []byte {
	n := r.int()
	switch {
	case n == -1:
		return nil
	case n == -2:
		return query.Unset
	case n < -2:
		r.fail(protoErrorf("invalid [value] length %d", n))
		return nil
	}
	b := r.take(int(n))
	if b == nil && r.err == nil {
		b = []byte{}
	}
	return b
}

// shortBytes reads a [short bytes].
func (r *reader) shortBytes() []byte {
	return r.take(int(r.short()))
}

// stringMap reads a [string map]. A repeated key keeps the last value.
func (r *reader) stringMap() map[string]string {
	n := int(r.short())
	if n > len(r.b)/4 {
		r.fail(errTruncated)
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		k := r.string()
		m[k] = r.string()
	}
	if r.err != nil {
		return nil
	}
	return m
}

// stringMultimap reads a [string multimap].
func (r *reader) stringMultimap() map[string][]string {
	n := int(r.short())
	if n > len(r.b)/4 {
		r.fail(errTruncated)
		return nil
	}
	m := make(map[string][]string, n)
	for range n {
		k := r.string()
		m[k] = r.stringList()
	}
	if r.err != nil {
		return nil
	}
	return m
}

// bytesMap reads a [bytes map].
func (r *reader) bytesMap() map[string][]byte {
	n := int(r.short())
	if n > len(r.b)/6 {
		r.fail(errTruncated)
		return nil
	}
	m := make(map[string][]byte, n)
	for range n {
		k := r.string()
		m[k] = r.bytes()
	}
	if r.err != nil {
		return nil
	}
	return m
}

// inet reads an [inet]: a one-byte address size (4 or 16), the address,
// and an [int] port.
func (r *reader) inet() netip.AddrPort {
	n := int(r.byte())
	if r.err == nil && n != 4 && n != 16 {
		r.fail(protoErrorf("invalid [inet] address size %d", n))
	}
	a, _ := netip.AddrFromSlice(r.take(n))
	port := r.int()
	if r.err != nil {
		return netip.AddrPort{}
	}
	if port < 0 || port > math.MaxUint16 {
		r.fail(protoErrorf("invalid [inet] port %d", port))
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(a, uint16(port))
}

// consistency reads a [consistency], failing on codes the protocol does
// not define.
func (r *reader) consistency() replication.Consistency {
	c := replication.Consistency(r.short())
	if r.err == nil && !c.Valid() {
		r.fail(protoErrorf("unknown code %d for a consistency level", uint16(c)))
		return 0
	}
	return c
}

// option reads a type [option].
func (r *reader) option() schema.Type {
	if r.err != nil {
		return schema.Type{}
	}
	t, rest, err := typeopt.Decode(r.b)
	if err != nil {
		r.fail(&protocolError{msg: err.Error()})
		return schema.Type{}
	}
	r.b = rest
	return t
}

// writer appends body primitives to a byte slice.
type writer struct {
	b []byte
	// flags are frame flags the body calls for (flagWarning: it opens
	// with warnings); the frame's header gets them.
	flags byte
}

func (w *writer) byte(v byte) { w.b = append(w.b, v) }

func (w *writer) short(v uint16) { w.b = binary.BigEndian.AppendUint16(w.b, v) }

func (w *writer) int(v int32) { w.b = binary.BigEndian.AppendUint32(w.b, uint32(v)) }

func (w *writer) long(v int64) { w.b = binary.BigEndian.AppendUint64(w.b, uint64(v)) }

// string writes a [string], cutting s at a UTF-8 boundary if it is longer
// than a [short] can say.
func (w *writer) string(s string) {
	if len(s) > math.MaxUint16 {
		n := math.MaxUint16
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n]
	}
	w.short(uint16(len(s)))
	w.b = append(w.b, s...)
}

// longString writes a [long string].
func (w *writer) longString(s string) {
	w.int(int32(len(s)))
	w.b = append(w.b, s...)
}

func (w *writer) uuid(u [16]byte) { w.b = append(w.b, u[:]...) }

func (w *writer) stringList(l []string) {
	w.short(uint16(len(l)))
	for _, s := range l {
		w.string(s)
	}
}

// bytes writes a [bytes]; nil is null.
func (w *writer) bytes(b []byte) {
	if b == nil {
		w.int(-1)
		return
	}
	w.int(int32(len(b)))
	w.b = append(w.b, b...)
}

// value writes a [value]; nil is null, query.Unset "not set".
func (w *writer) value(b []byte) {
	if query.IsUnset(b) {
		w.int(-2)
		return
	}
	w.bytes(b)
}

func (w *writer) shortBytes(b []byte) {
	w.short(uint16(len(b)))
	w.b = append(w.b, b...)
}

// stringMap writes a [string map] (in map order).
func (w *writer) stringMap(m map[string]string) {
	w.short(uint16(len(m)))
	for k, v := range m {
		w.string(k)
		w.string(v)
	}
}

// stringMultimap writes a [string multimap] with keys in the given order.
func (w *writer) stringMultimap(keys []string, m map[string][]string) {
	w.short(uint16(len(keys)))
	for _, k := range keys {
		w.string(k)
		w.stringList(m[k])
	}
}

// bytesMap writes a [bytes map] (in map order).
func (w *writer) bytesMap(m map[string][]byte) {
	w.short(uint16(len(m)))
	for k, v := range m {
		w.string(k)
		w.bytes(v)
	}
}

// inet writes an [inet]; IPv4-mapped IPv6 addresses are sent as IPv4.
func (w *writer) inet(ap netip.AddrPort) {
	a := ap.Addr().Unmap()
	if a.Is4() {
		b := a.As4()
		w.byte(4)
		w.b = append(w.b, b[:]...)
	} else {
		b := a.As16()
		w.byte(16)
		w.b = append(w.b, b[:]...)
	}
	w.int(int32(ap.Port()))
}

func (w *writer) consistency(c replication.Consistency) { w.short(uint16(c)) }

// option writes a type [option].
func (w *writer) option(t schema.Type) { w.b = typeopt.Append(w.b, t) }
