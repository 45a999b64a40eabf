package cluster

import (
	"encoding/binary"
	"fmt"

	"github.com/hashicorp/memberlist"

	"wcdb/ring"
)

// The push/pull state is what this package adds to memberlist's periodic
// full-state exchange (and to a join): the things an alive message cannot
// carry.
//
//   - External tokens. A node whose tokens do not fit its metadata (a
//     large NumTokens) advertises only their count and hash there; the
//     tokens themselves travel here, from the owner and from every node
//     holding a copy. A node that sees a hash it holds no tokens for asks
//     the owner for a push/pull at once, so the wait is a round trip, not
//     a PushPullInterval.
//   - Down nodes. memberlist forgets a dead node after GossipToTheDeadTime
//     and never tells a newcomer about it, but a dead node still owns its
//     tokens: without these records a node joining while another is down
//     would see a different ring, and could allocate tokens over the down
//     node's.
//   - Nodes that left, for a while (leftRetention): a node that missed the
//     leaver's LEFT status saw it die instead, and would keep it in the
//     ring; the record corrects it.
//
// Encoding (version 1):
//
//	[0]      version (1)
//	uvarint  record count (<= maxRecords)
//	record:
//	  str      node id (<= 64 bytes)     str = uvarint length, then bytes
//	  str      gossip address (host:port)
//	  byte     flags (bit 0: down, bit 1: left)
//	  varint   down since, Unix milliseconds (0 unless down or left)
//	  str      node metadata, as nodeMeta encodes it (<= 512 bytes)
//	  uvarint  external token count (0 when not sent)
//	  tokens   count * 8 bytes, int64 big-endian, ascending
//
// Nothing may follow.
const stateVersion = 1

// maxRecords bounds the records of one push/pull state.
const maxRecords = 1 << 16

const (
	recordFlagDown = 1 << 0
	recordFlagLeft = 1 << 1
)

// record is one node as a push/pull state carries it.
type record struct {
	id        ring.NodeID
	addr      string
	down      bool
	left      bool
	downSince int64 // Unix milliseconds
	meta      []byte
	tokens    []ring.Token
}

func encodeState(recs []record) []byte {
	b := []byte{stateVersion}
	b = binary.AppendUvarint(b, uint64(len(recs)))
	for _, r := range recs {
		b = binary.AppendUvarint(b, uint64(len(r.id)))
		b = append(b, r.id...)
		b = binary.AppendUvarint(b, uint64(len(r.addr)))
		b = append(b, r.addr...)
		var flags byte
		if r.down {
			flags |= recordFlagDown
		}
		if r.left {
			flags |= recordFlagLeft
		}
		b = append(b, flags)
		b = binary.AppendVarint(b, r.downSince)
		b = binary.AppendUvarint(b, uint64(len(r.meta)))
		b = append(b, r.meta...)
		b = binary.AppendUvarint(b, uint64(len(r.tokens)))
		for _, t := range r.tokens {
			b = binary.BigEndian.AppendUint64(b, uint64(t))
		}
	}
	return b
}

// decodeState decodes a push/pull state. It fails with an error wrapping
// ErrBadMeta on anything but a well-formed encoding, and never panics.
func decodeState(b []byte) ([]record, error) {
	bad := func(format string, args ...any) ([]record, error) {
		return nil, fmt.Errorf("%w: push/pull state: "+format, append([]any{ErrBadMeta}, args...)...)
	}
	if len(b) == 0 {
		return bad("empty")
	}
	if b[0] != stateVersion {
		return bad("version %d, want %d", b[0], stateVersion)
	}
	r := reader{b: b[1:]}
	n := r.uvarint(maxRecords)
	// Each record takes at least 7 bytes; do not trust n for allocation
	// beyond what the input can hold.
	recs := make([]record, 0, min(n, uint64(len(r.b)/7)))
	for range n {
		var rec record
		rec.id = ring.NodeID(r.str(maxString))
		rec.addr = r.str(maxString)
		flags := r.byte1()
		if flags&^(recordFlagDown|recordFlagLeft) != 0 || flags == recordFlagDown|recordFlagLeft {
			r.fail("bad record flags %#x", flags)
		}
		rec.down = flags&recordFlagDown != 0
		rec.left = flags&recordFlagLeft != 0
		rec.downSince = r.varint()
		rec.meta = r.bytes(memberlist.MetaMaxSize)
		nt := r.uvarint(ring.MaxNumTokens)
		if r.err == nil && uint64(len(r.b)) < 8*nt {
			r.fail("truncated tokens")
		}
		if r.err != nil {
			return bad("record %d: %v", len(recs), r.err)
		}
		if nt > 0 {
			rec.tokens = make([]ring.Token, nt)
			for i := range rec.tokens {
				rec.tokens[i] = ring.Token(r.u64())
			}
		}
		if rec.id == "" {
			return bad("record %d has no id", len(recs))
		}
		recs = append(recs, rec)
	}
	if r.err != nil {
		return bad("%v", r.err)
	}
	if len(r.b) != 0 {
		return bad("%d trailing bytes", len(r.b))
	}
	return recs, nil
}
