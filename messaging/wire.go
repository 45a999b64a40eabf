package messaging

import (
	"encoding/binary"
	"fmt"

	"wcdb/internal/bin"
	"wcdb/internal/corrupt"
	"wcdb/mutation"
	"wcdb/replication"
)

// WireVersion is the version of the message format below. A node rejects
// messages of another version, so a change to any layout (or to the
// mutation encoding the messages embed) must bump it — all but one kind:
// an optional field at the end of a body, sent only to a caller that
// announced it reads it (Features, below), so that a node which predates
// it never receives it and the nodes of a rolling upgrade keep talking.
const WireVersion = 1

// ErrCorrupt marks bytes that do not decode as a message.
var ErrCorrupt = corrupt.New("messaging: corrupt message")

/*
Wire format, version 1. Every gRPC message of the wcdb.Internode service is
one of the messages below, encoded by the "wcdb" codec. Integers are Go
varints ("uv" unsigned LEB128, "v" zig-zag signed) unless a width is given;
"mutation" is mutation.AppendMutation's encoding, "header" and "row" are
mutation.AppendHeader's and mutation.AppendRow's.

Every message starts with a three-byte envelope:

	version      u8    WireVersion
	mutenc       u8    mutation.EncodingVersion the embedded encodings use
	kind         u8    the message kind (below), checked against the type
	                   the receiver expects

then its body, which must end where the message ends.

Shared pieces:

	optbytes     uv 0 for nil, or uv len+1 and the bytes (keeps nil apart
	             from empty: a nil bound is open)
	key          8 bytes token, big-endian two's complement; uv len, bytes
	columns      uv n; n × uv column id
	partition    key; uv len, header; uv nrows;
	             nrows × (uv len, clustering; uv len, row)
	position     key; optbytes clustering
	warnings     uv n (n ≥ 1); n × (uv len, text): the client warnings a
	             replica's read raised (one over tombstone_warn_threshold,
	             say), for the coordinator to pass on to its client.
	             Optional, at the end of a read answer: absent when there
	             are none (the answer is then byte for byte the one of
	             before the field), and sent only to a caller that announced
	             the "warnings" feature

Bodies, by kind:

	1 empty      (nothing) — Ping and SchemaPull requests, acknowledgements
	2 mutation   mutation, to the end — Apply request
	3 mutations  uv n; n × (uv len, mutation) — ApplyHints, ApplyBatch and
	             SchemaPush requests, SchemaPull response
	4 read       table (16 bytes); key; flags u8 (0x01 reverse, 0x02 raw,
	             0x04 columns follow); optbytes start; optbytes end;
	             v limit; [columns] — Read and Digest requests
	5 partition  u8 0 (none) or 1 followed by a partition; [warnings] —
	             Read response
	6 digest     uv len, bytes; [warnings] — Digest response
	7 range      table (16 bytes); flags u8 (0x01 from, 0x02 to, 0x04 after,
	             0x08 columns, 0x10 raw); [from key]; [to key];
	             [after position]; optbytes start; optbytes end; v limit;
	             v per-partition limit; [columns]; [index] — ReadRange
	             request. index (flag 0x20, a secondary index read): uv
	             len, name; optbytes lo; optbytes hi; u8 (0x01 lo
	             exclusive, 0x02 hi exclusive). A node of a release without
	             it refuses the flag, so such reads fail rather than scan.
	8 rangeres   uv n; n × partition; u8 0, or 1 followed by the next
	             position; [warnings] — ReadRange response
	9 version    u8 wire version; uv len, node; uv len, release — Ping
	             response
	10 args      uv n; n × (uv len, bytes) — Admin request; Call request
	             (two: the method, the service's request bytes)
	11 blob      uv len, bytes — Admin and Call responses
	12 frame     uv id; op u8 (1 Apply, 2 Read, 3 Digest, 4 ApplyBatch);
	             code u8 (answers: 0, or the gRPC status code of the
	             error); uv timeout in µs (requests: the caller's wait, 0
	             none); uv len, error text; uv len, a whole message,
	             envelope included: the request or the answer (empty for
	             an error) — a request or answer on the Stream method
	             (stream.go)

Features. A caller names the optional fields it reads in the gRPC metadata
key "wcdb-features" (one value per feature) of the Stream it opens and of
its ReadRange calls. A node ignores features it does not know, and one that
predates the key ignores it, so either side of a call may be the older:

	warnings     the warnings field of Read, Digest and ReadRange answers

Commands' Keyspace does not cross the wire: replicas read by table id, and
only the coordinator, which holds the schema, uses it. A decoded command's
Keyspace is nil.

Example: a Read of table 01…01, key "k" (token 5), no bounds, limit 10:

	01 01 04 | 01 ×16 | 00 00 00 00 00 00 00 05 01 6b | 00 | 00 00 | 14

Decoded byte slices alias the message's bytes, which the receiver owns.
*/

// Message kinds.
const (
	kindEmpty     = 1
	kindMutation  = 2
	kindMutations = 3
	kindRead      = 4
	kindPartition = 5
	kindDigest    = 6
	kindRange     = 7
	kindRangeRes  = 8
	kindVersion   = 9
	kindArgs      = 10
	kindBlob      = 11
	kindFrame     = 12
)

const envelopeLen = 3

// message is a request or response body of the Internode service.
type message interface {
	kind() byte
	// appendBody appends the body's encoding to dst.
	appendBody(dst []byte) []byte
	// decodeBody decodes a body; byte slices may alias b.
	decodeBody(b []byte) error
}

// encodeMessage appends m's full encoding (envelope and body) to dst.
func encodeMessage(dst []byte, m message) []byte {
	dst = append(dst, WireVersion, mutation.EncodingVersion, m.kind())
	return m.appendBody(dst)
}

// decodeMessage decodes b, a full encoding, into m.
func decodeMessage(b []byte, m message) error {
	if len(b) < envelopeLen {
		return fmt.Errorf("%w: short envelope", ErrCorrupt)
	}
	if b[0] != WireVersion || b[1] != mutation.EncodingVersion {
		return fmt.Errorf("messaging: wire version %d (mutation encoding %d), want %d (%d)",
			b[0], b[1], WireVersion, mutation.EncodingVersion)
	}
	if b[2] != m.kind() {
		return fmt.Errorf("%w: kind %d, want %d", ErrCorrupt, b[2], m.kind())
	}
	return m.decodeBody(b[envelopeLen:])
}

// emptyMsg is a request or response with no content.
type emptyMsg struct{}

func (*emptyMsg) kind() byte                   { return kindEmpty }
func (*emptyMsg) appendBody(dst []byte) []byte { return dst }
func (*emptyMsg) decodeBody(b []byte) error {
	if len(b) != 0 {
		return fmt.Errorf("%w: trailing bytes", ErrCorrupt)
	}
	return nil
}

// mutationMsg is an Apply request.
type mutationMsg struct{ m *mutation.Mutation }

func (*mutationMsg) kind() byte { return kindMutation }

func (x *mutationMsg) appendBody(dst []byte) []byte { return mutation.AppendMutation(dst, x.m) }

func (x *mutationMsg) decodeBody(b []byte) error {
	m, err := mutation.DecodeMutation(b)
	if err != nil {
		return err
	}
	x.m = &m
	return nil
}

// mutationsMsg is an ApplyHints, ApplyBatch or SchemaPush request, or a
// SchemaPull response.
type mutationsMsg struct{ ms []mutation.Mutation }

func (*mutationsMsg) kind() byte { return kindMutations }

func (x *mutationsMsg) appendBody(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(x.ms)))
	for i := range x.ms {
		dst = appendPrefixed(dst, func(dst []byte) []byte { return mutation.AppendMutation(dst, &x.ms[i]) })
	}
	return dst
}

func (x *mutationsMsg) decodeBody(b []byte) error {
	d := newDecoder(b)
	n := d.Count()
	x.ms = make([]mutation.Mutation, 0, min(n, maxPrealloc))
	for i := 0; i < n && !d.Failed(); i++ {
		m, err := mutation.DecodeMutation(d.Bytes())
		if err != nil {
			return err
		}
		x.ms = append(x.ms, m)
	}
	return d.finish()
}

// readMsg is a Read or Digest request.
type readMsg struct{ cmd replication.ReadCommand }

func (*readMsg) kind() byte { return kindRead }

const (
	readReverse = 0x01
	readRaw     = 0x02
	readColumns = 0x04
)

func (x *readMsg) appendBody(dst []byte) []byte {
	c := &x.cmd
	dst = append(dst, c.Table[:]...)
	dst = appendKey(dst, c.Key)
	var flags byte
	if c.Reverse {
		flags |= readReverse
	}
	if c.Raw {
		flags |= readRaw
	}
	if c.Columns != nil {
		flags |= readColumns
	}
	dst = append(dst, flags)
	dst = appendOptBytes(dst, c.Start)
	dst = appendOptBytes(dst, c.End)
	dst = binary.AppendVarint(dst, int64(c.Limit))
	if flags&readColumns != 0 {
		dst = appendColumns(dst, c.Columns)
	}
	return dst
}

func (x *readMsg) decodeBody(b []byte) error {
	d := newDecoder(b)
	c := &x.cmd
	*c = replication.ReadCommand{}
	d.table(&c.Table)
	c.Key = d.key()
	flags := d.Byte()
	if flags&^(readReverse|readRaw|readColumns) != 0 {
		d.Fail()
	}
	c.Reverse = flags&readReverse != 0
	c.Raw = flags&readRaw != 0
	c.Start = d.OptBytes()
	c.End = d.OptBytes()
	c.Limit = d.Int()
	if flags&readColumns != 0 {
		c.Columns = d.columns()
	}
	return d.finish()
}

// partitionMsg is a Read response: a partition or none.
type partitionMsg struct {
	p        *mutation.Partition
	warnings []string
}

func (*partitionMsg) kind() byte { return kindPartition }

func (x *partitionMsg) appendBody(dst []byte) []byte {
	if x.p == nil {
		dst = append(dst, 0)
	} else {
		dst = appendPartition(append(dst, 1), x.p)
	}
	return appendWarnings(dst, x.warnings)
}

func (x *partitionMsg) decodeBody(b []byte) error {
	d := newDecoder(b)
	x.p = nil
	switch d.Byte() {
	case 0:
	case 1:
		x.p = new(mutation.Partition)
		d.partition(x.p)
	default:
		d.Fail()
	}
	x.warnings = d.warnings()
	return d.finish()
}

// digestMsg is a Digest response.
type digestMsg struct {
	digest   []byte
	warnings []string
}

func (*digestMsg) kind() byte { return kindDigest }

func (x *digestMsg) appendBody(dst []byte) []byte {
	return appendWarnings(appendBytes(dst, x.digest), x.warnings)
}

func (x *digestMsg) decodeBody(b []byte) error {
	d := newDecoder(b)
	x.digest = d.Bytes()
	x.warnings = d.warnings()
	return d.finish()
}

// rangeMsg is a ReadRange request.
type rangeMsg struct{ cmd replication.RangeCommand }

func (*rangeMsg) kind() byte { return kindRange }

const (
	rangeFrom    = 0x01
	rangeTo      = 0x02
	rangeAfter   = 0x04
	rangeColumns = 0x08
	rangeRaw     = 0x10
	rangeIndex   = 0x20
)

func (x *rangeMsg) appendBody(dst []byte) []byte {
	c := &x.cmd
	dst = append(dst, c.Table[:]...)
	var flags byte
	if c.From != nil {
		flags |= rangeFrom
	}
	if c.To != nil {
		flags |= rangeTo
	}
	if c.After != nil {
		flags |= rangeAfter
	}
	if c.Columns != nil {
		flags |= rangeColumns
	}
	if c.Raw {
		flags |= rangeRaw
	}
	if c.Index != nil {
		flags |= rangeIndex
	}
	dst = append(dst, flags)
	if c.From != nil {
		dst = appendKey(dst, *c.From)
	}
	if c.To != nil {
		dst = appendKey(dst, *c.To)
	}
	if c.After != nil {
		dst = appendPosition(dst, c.After)
	}
	dst = appendOptBytes(dst, c.Start)
	dst = appendOptBytes(dst, c.End)
	dst = binary.AppendVarint(dst, int64(c.Limit))
	dst = binary.AppendVarint(dst, int64(c.PerPartitionLimit))
	if c.Columns != nil {
		dst = appendColumns(dst, c.Columns)
	}
	if ix := c.Index; ix != nil {
		dst = appendBytes(dst, []byte(ix.Name))
		dst = appendOptBytes(dst, ix.Lo)
		dst = appendOptBytes(dst, ix.Hi)
		var f byte
		if ix.LoExclusive {
			f |= 1
		}
		if ix.HiExclusive {
			f |= 2
		}
		dst = append(dst, f)
	}
	return dst
}

func (x *rangeMsg) decodeBody(b []byte) error {
	d := newDecoder(b)
	c := &x.cmd
	*c = replication.RangeCommand{}
	d.table(&c.Table)
	flags := d.Byte()
	if flags&^(rangeFrom|rangeTo|rangeAfter|rangeColumns|rangeRaw|rangeIndex) != 0 {
		d.Fail()
	}
	if flags&rangeFrom != 0 {
		k := d.key()
		c.From = &k
	}
	if flags&rangeTo != 0 {
		k := d.key()
		c.To = &k
	}
	if flags&rangeAfter != 0 {
		c.After = d.position()
	}
	c.Start = d.OptBytes()
	c.End = d.OptBytes()
	c.Limit = d.Int()
	c.PerPartitionLimit = d.Int()
	if flags&rangeColumns != 0 {
		c.Columns = d.columns()
	}
	c.Raw = flags&rangeRaw != 0
	if flags&rangeIndex != 0 {
		ix := &replication.IndexQuery{Name: string(d.Bytes())}
		ix.Lo, ix.Hi = d.OptBytes(), d.OptBytes()
		f := d.Byte()
		ix.LoExclusive, ix.HiExclusive = f&1 != 0, f&2 != 0
		c.Index = ix
	}
	return d.finish()
}

// rangeResultMsg is a ReadRange response.
type rangeResultMsg struct {
	res      replication.RangeResult
	warnings []string
}

func (*rangeResultMsg) kind() byte { return kindRangeRes }

func (x *rangeResultMsg) appendBody(dst []byte) []byte {
	r := &x.res
	dst = binary.AppendUvarint(dst, uint64(len(r.Partitions)))
	for _, p := range r.Partitions {
		dst = appendPartition(dst, p)
	}
	if r.Next == nil {
		dst = append(dst, 0)
	} else {
		dst = appendPosition(append(dst, 1), r.Next)
	}
	return appendWarnings(dst, x.warnings)
}

func (x *rangeResultMsg) decodeBody(b []byte) error {
	d := newDecoder(b)
	r := &x.res
	*r = replication.RangeResult{}
	n := d.Count()
	if n > 0 {
		// Partitions are allocated a slab at a time, not one by one.
		r.Partitions = make([]*mutation.Partition, 0, min(n, maxPrealloc))
		var slab []mutation.Partition
		for i := 0; i < n && !d.Failed(); i++ {
			if len(slab) == 0 {
				slab = make([]mutation.Partition, min(n-i, 256))
			}
			d.partition(&slab[0])
			r.Partitions = append(r.Partitions, &slab[0])
			slab = slab[1:]
		}
	}
	switch d.Byte() {
	case 0:
	case 1:
		r.Next = d.position()
	default:
		d.Fail()
	}
	x.warnings = d.warnings()
	if d.Failed() {
		r.Partitions = nil
	}
	return d.finish()
}

// Version is what Ping returns: the peer's wire format and identity.
type Version struct {
	// Wire is the message format version the peer speaks (WireVersion).
	Wire int
	// Node and Release are the peer's ServerOptions.Node and .Release.
	Node    string
	Release string
}

// versionMsg is a Ping response.
type versionMsg struct{ v Version }

func (*versionMsg) kind() byte { return kindVersion }

func (x *versionMsg) appendBody(dst []byte) []byte {
	dst = append(dst, byte(x.v.Wire))
	dst = appendBytes(dst, []byte(x.v.Node))
	return appendBytes(dst, []byte(x.v.Release))
}

func (x *versionMsg) decodeBody(b []byte) error {
	d := newDecoder(b)
	x.v = Version{Wire: int(d.Byte())}
	x.v.Node = string(d.Bytes())
	x.v.Release = string(d.Bytes())
	return d.finish()
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

func appendOptBytes(dst, b []byte) []byte {
	if b == nil {
		return append(dst, 0)
	}
	dst = binary.AppendUvarint(dst, uint64(len(b))+1)
	return append(dst, b...)
}

// appendWarnings appends the optional warnings field: nothing for none.
func appendWarnings(dst []byte, ws []string) []byte {
	if len(ws) == 0 {
		return dst
	}
	dst = binary.AppendUvarint(dst, uint64(len(ws)))
	for _, w := range ws {
		dst = binary.AppendUvarint(dst, uint64(len(w)))
		dst = append(dst, w...)
	}
	return dst
}

func appendKey(dst []byte, k mutation.Key) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(k.Token))
	return appendBytes(dst, k.Bytes)
}

func appendPosition(dst []byte, p *replication.Position) []byte {
	dst = appendKey(dst, p.Key)
	return appendOptBytes(dst, p.Clustering)
}

func appendColumns(dst []byte, cols []uint32) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(cols)))
	for _, c := range cols {
		dst = binary.AppendUvarint(dst, uint64(c))
	}
	return dst
}

// appendPrefixed appends what enc appends, preceded by its length as a
// uvarint. The length is written after the content, by shifting it: the
// content is not encoded twice.
func appendPrefixed(dst []byte, enc func([]byte) []byte) []byte {
	start := len(dst)
	dst = enc(dst)
	n := len(dst) - start
	var lenBuf [binary.MaxVarintLen64]byte
	ln := binary.PutUvarint(lenBuf[:], uint64(n))
	dst = append(dst, lenBuf[:ln]...)
	copy(dst[start+ln:], dst[start:start+n])
	copy(dst[start:], lenBuf[:ln])
	return dst
}

func appendPartition(dst []byte, p *mutation.Partition) []byte {
	dst = appendKey(dst, p.Key)
	h := mutation.Header{Deletion: p.Deletion, RangeTombstones: p.RangeTombstones, Static: p.Static}
	dst = appendPrefixed(dst, func(dst []byte) []byte { return mutation.AppendHeader(dst, &h) })
	dst = binary.AppendUvarint(dst, uint64(len(p.Rows)))
	for i := range p.Rows {
		r := &p.Rows[i]
		dst = appendBytes(dst, r.Clustering)
		dst = appendPrefixed(dst, func(dst []byte) []byte { return mutation.AppendRow(dst, r) })
	}
	return dst
}

// decoder reads a body: internal/bin's decoder, whose first failure sticks,
// plus the pieces of this format. A failure reports ErrCorrupt, or the
// error of an embedded encoding that failed first (failWith).
type decoder struct {
	bin.Decoder
	err error
}

func newDecoder(b []byte) decoder { return decoder{Decoder: bin.NewDecoder(b)} }

func (d *decoder) failWith(err error) {
	if !d.Failed() {
		d.err = err
	}
	d.Fail()
}

// finish reports the first error, or trailing bytes.
func (d *decoder) finish() error {
	switch {
	case d.err != nil:
		return d.err
	case d.Failed():
		return ErrCorrupt
	case d.Len() != 0:
		return fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, d.Len())
	}
	return nil
}

// maxPrealloc bounds the room made for a count's items before they are
// decoded: a corrupt count must not make a small message allocate much.
const maxPrealloc = 1024

func (d *decoder) table(t *mutation.TableID) {
	copy(t[:], d.Take(len(t)))
}

func (d *decoder) key() mutation.Key {
	tok := int64(d.Uint64BE())
	if d.Failed() {
		return mutation.Key{}
	}
	return mutation.Key{Token: tok, Bytes: d.Bytes()}
}

// warnings reads the optional warnings field that ends a read answer:
// none if the body ends here. A count of 0 is corrupt, so that each list
// has one encoding.
func (d *decoder) warnings() []string {
	if d.Failed() || d.Len() == 0 {
		return nil
	}
	n := d.Count()
	if n == 0 {
		d.Fail()
		return nil
	}
	ws := make([]string, 0, min(n, maxPrealloc))
	for i := 0; i < n && !d.Failed(); i++ {
		ws = append(ws, string(d.Bytes()))
	}
	if d.Failed() {
		return nil
	}
	return ws
}

func (d *decoder) position() *replication.Position {
	p := &replication.Position{Key: d.key()}
	p.Clustering = d.OptBytes()
	return p
}

func (d *decoder) columns() []uint32 {
	n := d.Count()
	cols := make([]uint32, n)
	for i := range cols {
		if cols[i] = d.Uvarint32(); d.Failed() {
			return nil
		}
	}
	return cols
}

func (d *decoder) partition(p *mutation.Partition) {
	p.Key = d.key()
	var h mutation.Header
	hb := d.Bytes()
	if d.Failed() {
		return
	}
	if err := mutation.DecodeHeader(hb, &h); err != nil {
		d.failWith(err)
		return
	}
	p.Deletion, p.RangeTombstones, p.Static = h.Deletion, h.RangeTombstones, h.Static
	n := d.Count()
	if n == 0 {
		return
	}
	p.Rows = make([]mutation.Row, 0, min(n, maxPrealloc))
	for range n {
		c := d.Bytes()
		rb := d.Bytes()
		if d.Failed() {
			p.Rows = nil
			return
		}
		p.Rows = append(p.Rows, mutation.Row{})
		if err := mutation.DecodeRow(rb, c, &p.Rows[len(p.Rows)-1]); err != nil {
			d.failWith(err)
			p.Rows = nil
			return
		}
	}
}

// argsMsg is an Admin request.
type argsMsg struct{ args []string }

func (*argsMsg) kind() byte { return kindArgs }

func (x *argsMsg) appendBody(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(x.args)))
	for _, a := range x.args {
		dst = appendBytes(dst, []byte(a))
	}
	return dst
}

func (x *argsMsg) decodeBody(b []byte) error {
	d := newDecoder(b)
	n := d.Count()
	x.args = make([]string, 0, min(n, maxPrealloc))
	for i := 0; i < n && !d.Failed(); i++ {
		x.args = append(x.args, string(d.Bytes()))
	}
	return d.finish()
}

// blobMsg is an Admin response.
type blobMsg struct{ b []byte }

func (*blobMsg) kind() byte { return kindBlob }

func (x *blobMsg) appendBody(dst []byte) []byte { return appendBytes(dst, x.b) }

func (x *blobMsg) decodeBody(b []byte) error {
	d := newDecoder(b)
	x.b = d.Bytes()
	return d.finish()
}
