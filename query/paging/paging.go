// Package paging encodes the paging state of a SELECT.
package paging

// Paging state.
//
// A SELECT with a page size returns at most that many rows and, when it
// stopped because the page was full, a paging state: an opaque byte string
// that says where the next page starts, so the server keeps nothing between
// pages. The client sends it back with the same statement and values.
//
// It records the last row returned, and what the limits still allow:
//
//	version     1 byte   (1)
//	flags       1 byte   bit 0: the partition is finished (its last row,
//	                     its static-only row or its DISTINCT row returned,
//	                     or its PER PARTITION LIMIT reached)
//	                     bit 1: a clustering key follows
//	                     bit 2: a LIMIT count follows
//	key index   uvarint  position of the partition in the sorted IN list
//	                     (0 for scans)
//	key         uvarint length, bytes: the partition key
//	clustering  uvarint length, bytes: the last row's clustering key
//	                     (only with flag bit 1)
//	in part     uvarint  rows returned from that partition so far (for
//	                     PER PARTITION LIMIT; groups with GROUP BY)
//	limit       uvarint  rows (groups) LIMIT still allows (only with flag
//	                     bit 2)
//	checksum    4 bytes  CRC-32 (IEEE, big-endian) of the table id and all
//	                     the bytes above
//
// The next page continues after that row: in the same partition after the
// clustering key (before it, for a reversed read), then with the next
// partitions of the IN list or of the ring. For IN with ORDER BY, whose
// rows are merged across partitions, every partition resumes after the
// last row's position in the merged order. A state that does not decode,
// fails its checksum (or was made for another table) is refused with a
// protocol error, never trusted.

import (
	"encoding/binary"
	"hash/crc32"
	"wcdb/query/term"

	"wcdb/mutation"
	"wcdb/query/plan"
	"wcdb/query/qerr"
)

const pagingStateVersion = 1

const (
	pageFlagPartDone   = 1 << 0
	pageFlagClustering = 1 << 1
	pageFlagLimit      = 1 << 2
)

// Position is the last row a page returned.
type Position struct {
	// KeyIdx is the partition's position in the sorted IN list (0 for scans).
	KeyIdx int
	Key    []byte
	// Clustering is the row's clustering key; nil for a static-only row or
	// a DISTINCT row.
	Clustering []byte
	// PartDone: the partition is finished.
	PartDone bool
	// InPart counts the rows returned from the partition so far.
	InPart int
}

// State is what a paging state holds.
type State struct {
	Pos Position
	// LimitLeft is what LIMIT still allows, -1 for no limit.
	LimitLeft int
}

// BadState is the error of a paging state that cannot be used.
func BadState() error {
	return &qerr.Error{Kind: qerr.KindProtocol, Msg: "Invalid value for the paging state"}
}

// Encode encodes a paging state for a query on table id.
func Encode(id mutation.TableID, st State) []byte {
	var flags byte
	if st.Pos.PartDone {
		flags |= pageFlagPartDone
	}
	if st.Pos.Clustering != nil {
		flags |= pageFlagClustering
	}
	if st.LimitLeft >= 0 {
		flags |= pageFlagLimit
	}
	b := make([]byte, 0, 16+len(st.Pos.Key)+len(st.Pos.Clustering))
	b = append(b, pagingStateVersion, flags)
	b = binary.AppendUvarint(b, uint64(st.Pos.KeyIdx))
	b = binary.AppendUvarint(b, uint64(len(st.Pos.Key)))
	b = append(b, st.Pos.Key...)
	if st.Pos.Clustering != nil {
		b = binary.AppendUvarint(b, uint64(len(st.Pos.Clustering)))
		b = append(b, st.Pos.Clustering...)
	}
	b = binary.AppendUvarint(b, uint64(st.Pos.InPart))
	if st.LimitLeft >= 0 {
		b = binary.AppendUvarint(b, uint64(st.LimitLeft))
	}
	return binary.BigEndian.AppendUint32(b, pagingChecksum(id, b))
}

func pagingChecksum(id mutation.TableID, b []byte) uint32 {
	h := crc32.NewIEEE()
	h.Write(id[:])
	h.Write(b)
	return h.Sum32()
}

// Decode decodes and checks a paging state for table id.
func Decode(id mutation.TableID, b []byte) (State, error) {
	var st State
	if len(b) < 6 || b[0] != pagingStateVersion {
		return st, BadState()
	}
	body := b[:len(b)-4]
	if binary.BigEndian.Uint32(b[len(b)-4:]) != pagingChecksum(id, body) {
		return st, BadState()
	}
	flags := body[1]
	if flags&^(pageFlagPartDone|pageFlagClustering|pageFlagLimit) != 0 {
		return st, BadState()
	}
	r := body[2:]
	uv := func() (int, bool) {
		v, n := binary.Uvarint(r)
		if n <= 0 || v > 1<<31 {
			return 0, false
		}
		r = r[n:]
		return int(v), true
	}
	bs := func() ([]byte, bool) {
		n, ok := uv()
		if !ok || n > len(r) {
			return nil, false
		}
		out := append([]byte{}, r[:n]...)
		r = r[n:]
		return out, true
	}
	var ok bool
	if st.Pos.KeyIdx, ok = uv(); !ok {
		return st, BadState()
	}
	if st.Pos.Key, ok = bs(); !ok || len(st.Pos.Key) == 0 {
		return st, BadState()
	}
	if flags&pageFlagClustering != 0 {
		if st.Pos.Clustering, ok = bs(); !ok {
			return st, BadState()
		}
	}
	st.Pos.PartDone = flags&pageFlagPartDone != 0
	if st.Pos.InPart, ok = uv(); !ok {
		return st, BadState()
	}
	st.LimitLeft = -1
	if flags&pageFlagLimit != 0 {
		if st.LimitLeft, ok = uv(); !ok {
			return st, BadState()
		}
	}
	if len(r) != 0 {
		return st, BadState()
	}
	return st, nil
}

// EvalLimit evaluates LIMIT or PER PARTITION LIMIT (what): -1 for none
// (an unset value), else a positive count.
func EvalLimit(b *plan.Binder, t plan.Term, what string) (int, error) {
	v, err := t.Eval(b)
	if err != nil {
		return 0, err
	}
	switch {
	case v == nil:
		return 0, qerr.Invalidf("Invalid null value of limit")
	case term.IsUnset(v):
		return -1, nil
	case len(v) != 4:
		return 0, qerr.Invalidf("Invalid limit value")
	}
	n := int(int32(binary.BigEndian.Uint32(v)))
	if n <= 0 {
		return 0, qerr.Invalidf("%s must be strictly positive", what)
	}
	return n, nil
}
