package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"

	"wcdb/ring"
)

// Status is a node's place in the ring's life cycle, as Cassandra's gossip
// STATUS shows it.
type Status uint8

const (
	// StatusJoining: the node is a member but not yet an owner of the
	// ring. It has no tokens while it waits for its turn to allocate them,
	// then announces its tokens and waits RingDelay before turning NORMAL.
	StatusJoining Status = 1
	// StatusNormal: the node owns its tokens.
	StatusNormal Status = 2
	// StatusLeaving: the node still owns its tokens but is on its way out.
	StatusLeaving Status = 3
	// StatusLeft: the node gave up its tokens and is leaving the cluster
	// (Leave announces it just before memberlist's leave). Out of the ring.
	// memberlist reports a node that left as it reports one that died;
	// this status is what tells the two apart.
	StatusLeft Status = 4
)

func (s Status) String() string {
	switch s {
	case StatusJoining:
		return "JOINING"
	case StatusNormal:
		return "NORMAL"
	case StatusLeaving:
		return "LEAVING"
	case StatusLeft:
		return "LEFT"
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

func (s Status) valid() bool { return s >= StatusJoining && s <= StatusLeft }

// owns reports whether a node in this status is part of the ring that
// places replicas.
func (s Status) owns() bool { return s == StatusNormal || s == StatusLeaving }

// ErrBadMeta marks node metadata or push/pull state that does not decode.
var ErrBadMeta = errors.New("cluster: malformed node metadata")

// metaVersion is the layout version of the encoded node metadata. A decoder
// rejects versions it does not know; a new field means a new version, whose
// decoder still reads the old ones.
const metaVersion = 1

// maxString bounds every string of the metadata (names and addresses), so
// that the fixed part stays well under memberlist's 512-byte limit.
const maxString = 64

// metaFlagExternalTokens: the tokens travel in the push/pull state, and
// the metadata holds only their count and hash.
const metaFlagExternalTokens = 1 << 0

// metaFlagMovement: a movement record (a node this one removes or
// replaces) follows the addresses. Set only while there is one, so that
// nodes that do not know the flag still read the metadata of every node
// not in the middle of a removenode or replace.
const metaFlagMovement = 1 << 1

// MovementKind is what a node does to another node's place on the ring,
// as its metadata announces it.
type MovementKind uint8

const (
	// Removing: the node coordinates the removal of a dead node
	// (removenode): the target still owns its ranges, which are pending
	// on the nodes that take them over while they fetch their data.
	Removing MovementKind = 1
	// Removed: the removal is done: the target is out of the ring.
	Removed MovementKind = 2
	// Replacing: the node takes a dead node's tokens (replace_address):
	// pending while it JOINS, and once it is NORMAL the target is out.
	Replacing MovementKind = 3
)

func (k MovementKind) String() string {
	switch k {
	case Removing:
		return "removing"
	case Removed:
		return "removed"
	case Replacing:
		return "replacing"
	}
	return fmt.Sprintf("MovementKind(%d)", uint8(k))
}

// Movement is a movement record: what a node does to the target.
type Movement struct {
	Kind   MovementKind
	Target ring.NodeID
}

// nodeMeta is what a node advertises about itself in memberlist's node
// metadata, which every alive message carries.
//
// Encoding (version 1), all integers big-endian or uvarint:
//
//	[0]      version (1)
//	[1]      status (1 JOINING, 2 NORMAL, 3 LEAVING, 4 LEFT)
//	[2]      flags (bit 0: tokens external, bit 1: movement record)
//	[3:19]   schema version
//	str      cluster name       str = uvarint length, then bytes (<= 64)
//	str      datacenter
//	str      rack
//	str      release version
//	str      CQL address (host:port)
//	str      internode address (host:port)
//	         if flags bit 1: [1] movement kind (1 removing, 2 removed,
//	         3 replacing) | str target host id
//	uvarint  token count (<= ring.MaxNumTokens)
//	tokens   inline: count * 8 bytes, ascending int64
//	         external: 8-byte FNV-1a hash of the tokens (tokenHash)
//
// Nothing may follow. With 16 tokens and names of usual length this is
// about 220 bytes; tokens go external only when inline ones would pass
// memberlist.MetaMaxSize (512).
type nodeMeta struct {
	status   Status
	schema   [16]byte
	cluster  string
	dc, rack string
	release  string
	cql      string
	inter    string

	move Movement // Kind 0: none

	numTokens int
	tokens    []ring.Token // ascending; nil when external
	external  bool
	tokenHash uint64 // of the tokens, inline or external
}

// tokenHash hashes ascending tokens, so that a node holding a copy of
// external tokens can tell whether it is the current one.
func tokenHash(tokens []ring.Token) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for _, t := range tokens {
		binary.BigEndian.PutUint64(b[:], uint64(t))
		h.Write(b[:])
	}
	return h.Sum64()
}

// setTokens sets the tokens, sorted, inline or external as limit allows.
func (m *nodeMeta) setTokens(tokens []ring.Token, limit int) {
	m.tokens = slices.Sorted(slices.Values(tokens))
	m.numTokens = len(m.tokens)
	m.tokenHash = tokenHash(m.tokens)
	m.external = false
	if m.encodedSize() > limit {
		m.external = true
		m.tokens = nil
	}
}

func (m nodeMeta) encodedSize() int {
	n := 3 + 16
	for _, s := range []string{m.cluster, m.dc, m.rack, m.release, m.cql, m.inter} {
		n += uvarintLen(uint64(len(s))) + len(s)
	}
	if m.move.Kind != 0 {
		n += 1 + uvarintLen(uint64(len(m.move.Target))) + len(m.move.Target)
	}
	n += uvarintLen(uint64(m.numTokens))
	if m.external {
		return n + 8
	}
	return n + 8*len(m.tokens)
}

func uvarintLen(x uint64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], x)
}

func (m nodeMeta) encode() []byte {
	b := make([]byte, 0, m.encodedSize())
	var flags byte
	if m.external {
		flags |= metaFlagExternalTokens
	}
	if m.move.Kind != 0 {
		flags |= metaFlagMovement
	}
	b = append(b, metaVersion, byte(m.status), flags)
	b = append(b, m.schema[:]...)
	for _, s := range []string{m.cluster, m.dc, m.rack, m.release, m.cql, m.inter} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	if m.move.Kind != 0 {
		b = append(b, byte(m.move.Kind))
		b = binary.AppendUvarint(b, uint64(len(m.move.Target)))
		b = append(b, m.move.Target...)
	}
	b = binary.AppendUvarint(b, uint64(m.numTokens))
	if m.external {
		return binary.BigEndian.AppendUint64(b, m.tokenHash)
	}
	for _, t := range m.tokens {
		b = binary.BigEndian.AppendUint64(b, uint64(t))
	}
	return b
}

// decodeMeta decodes node metadata. It fails with an error wrapping
// ErrBadMeta on anything but a well-formed encoding, and never panics.
func decodeMeta(b []byte) (nodeMeta, error) {
	var m nodeMeta
	bad := func(format string, args ...any) (nodeMeta, error) {
		return nodeMeta{}, fmt.Errorf("%w: "+format, append([]any{ErrBadMeta}, args...)...)
	}
	if len(b) == 0 {
		return bad("empty")
	}
	if b[0] != metaVersion {
		return bad("version %d, want %d", b[0], metaVersion)
	}
	if len(b) < 3+16 {
		return bad("%d bytes, too short", len(b))
	}
	m.status = Status(b[1])
	if !m.status.valid() {
		return bad("status %d", b[1])
	}
	flags := b[2]
	if flags&^(metaFlagExternalTokens|metaFlagMovement) != 0 {
		return bad("unknown flags %#x", flags)
	}
	m.external = flags&metaFlagExternalTokens != 0
	copy(m.schema[:], b[3:19])
	r := reader{b: b[19:]}
	for _, s := range []*string{&m.cluster, &m.dc, &m.rack, &m.release, &m.cql, &m.inter} {
		*s = r.str(maxString)
	}
	if flags&metaFlagMovement != 0 {
		m.move.Kind = MovementKind(r.byte1())
		m.move.Target = ring.NodeID(r.str(maxString))
		if r.err == nil && (m.move.Kind < Removing || m.move.Kind > Replacing || m.move.Target == "") {
			return bad("movement %d of %q", m.move.Kind, m.move.Target)
		}
	}
	n := r.uvarint(ring.MaxNumTokens)
	if r.err != nil {
		return bad("%v", r.err)
	}
	m.numTokens = int(n)
	switch {
	case m.dc == "" || m.rack == "":
		return bad("no datacenter or rack")
	case m.numTokens == 0 && m.external:
		return bad("external tokens but none")
	}
	if m.external {
		m.tokenHash = r.u64()
	} else if m.numTokens > 0 {
		if len(r.b) != 8*m.numTokens {
			return bad("%d bytes for %d tokens", len(r.b), m.numTokens)
		}
		m.tokens = make([]ring.Token, m.numTokens)
		for i := range m.tokens {
			m.tokens[i] = ring.Token(r.u64())
		}
		if !validTokens(m.tokens) {
			return bad("tokens not ascending, or the reserved %d", ring.MinToken)
		}
		m.tokenHash = tokenHash(m.tokens)
	} else {
		m.tokenHash = tokenHash(nil)
	}
	if r.err != nil {
		return bad("%v", r.err)
	}
	if len(r.b) != 0 {
		return bad("%d trailing bytes", len(r.b))
	}
	return m, nil
}

// reader reads the primitives of the encodings in this package; the first
// error sticks and later reads return zero values.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
	r.b = nil
}

func (r *reader) uvarint(max uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	if v > max {
		r.fail("value %d over %d", v, max)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes(max int) []byte {
	n := r.uvarint(uint64(max))
	if r.err != nil {
		return nil
	}
	if uint64(len(r.b)) < n {
		r.fail("truncated")
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) str(max int) string { return string(r.bytes(max)) }

func (r *reader) byte1() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 1 {
		r.fail("truncated")
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) u64() uint64 {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 8 {
		r.fail("truncated")
		return 0
	}
	v := binary.BigEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}
