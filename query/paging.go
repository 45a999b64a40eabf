package query

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
//	                     PER PARTITION LIMIT)
//	limit       uvarint  rows LIMIT still allows (only with flag bit 2)
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

	"wcdb/mutation"
	"wcdb/query/qerr"
)

const pagingStateVersion = 1

const (
	pageFlagPartDone   = 1 << 0
	pageFlagClustering = 1 << 1
	pageFlagLimit      = 1 << 2
)

// position is the last row a page returned.
type position struct {
	keyIdx int
	key    []byte
	// clustering is the row's clustering key; nil for a static-only row or
	// a DISTINCT row.
	clustering []byte
	partDone   bool
	inPart     int
}

// pagingState is what a paging state holds.
type pagingState struct {
	pos position
	// limitLeft is what LIMIT still allows, -1 for no limit.
	limitLeft int
}

func badPagingState() error {
	return &qerr.Error{Kind: qerr.KindProtocol, Msg: "Invalid value for the paging state"}
}

// encodePagingState encodes a paging state for a query on table id.
func encodePagingState(id mutation.TableID, st pagingState) []byte {
	var flags byte
	if st.pos.partDone {
		flags |= pageFlagPartDone
	}
	if st.pos.clustering != nil {
		flags |= pageFlagClustering
	}
	if st.limitLeft >= 0 {
		flags |= pageFlagLimit
	}
	b := make([]byte, 0, 16+len(st.pos.key)+len(st.pos.clustering))
	b = append(b, pagingStateVersion, flags)
	b = binary.AppendUvarint(b, uint64(st.pos.keyIdx))
	b = binary.AppendUvarint(b, uint64(len(st.pos.key)))
	b = append(b, st.pos.key...)
	if st.pos.clustering != nil {
		b = binary.AppendUvarint(b, uint64(len(st.pos.clustering)))
		b = append(b, st.pos.clustering...)
	}
	b = binary.AppendUvarint(b, uint64(st.pos.inPart))
	if st.limitLeft >= 0 {
		b = binary.AppendUvarint(b, uint64(st.limitLeft))
	}
	return binary.BigEndian.AppendUint32(b, pagingChecksum(id, b))
}

func pagingChecksum(id mutation.TableID, b []byte) uint32 {
	h := crc32.NewIEEE()
	h.Write(id[:])
	h.Write(b)
	return h.Sum32()
}

// decodePagingState decodes and checks a paging state for table id.
func decodePagingState(id mutation.TableID, b []byte) (pagingState, error) {
	var st pagingState
	if len(b) < 6 || b[0] != pagingStateVersion {
		return st, badPagingState()
	}
	body := b[:len(b)-4]
	if binary.BigEndian.Uint32(b[len(b)-4:]) != pagingChecksum(id, body) {
		return st, badPagingState()
	}
	flags := body[1]
	if flags&^(pageFlagPartDone|pageFlagClustering|pageFlagLimit) != 0 {
		return st, badPagingState()
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
	if st.pos.keyIdx, ok = uv(); !ok {
		return st, badPagingState()
	}
	if st.pos.key, ok = bs(); !ok || len(st.pos.key) == 0 {
		return st, badPagingState()
	}
	if flags&pageFlagClustering != 0 {
		if st.pos.clustering, ok = bs(); !ok {
			return st, badPagingState()
		}
	}
	st.pos.partDone = flags&pageFlagPartDone != 0
	if st.pos.inPart, ok = uv(); !ok {
		return st, badPagingState()
	}
	st.limitLeft = -1
	if flags&pageFlagLimit != 0 {
		if st.limitLeft, ok = uv(); !ok {
			return st, badPagingState()
		}
	}
	if len(r) != 0 {
		return st, badPagingState()
	}
	return st, nil
}
