package streaming

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"

	"wcdb/mutation"
	"wcdb/ring"
)

// Request asks a node for the data of one table in some token ranges.
type Request struct {
	// Session identifies the streaming session (for logs and netstats); the
	// requester chooses it. At most MaxSessionLen bytes.
	Session string
	// Table is the table whose data is wanted.
	Table mutation.TableID
	// Ranges are the token ranges wanted, (Start, End] each; they may wrap
	// and overlap.
	Ranges []ring.Range
	// Skip lists the source files whose sections were already received
	// completely (a retry): the sender does not send them again.
	Skip []uint64
	// SSTableFormat, if not 0, is the SSTable format version the requester
	// reads (its sstable.FormatVersion): a file of that format whose key
	// span lies entirely in one of the ranges may then be sent whole, byte
	// for byte, and of other files of that format the data blocks that lie
	// in the ranges are sent as they are stored (block entries), both much
	// cheaper than entry by entry. Fetch sets it when 0.
	SSTableFormat uint32
	// Keys, if set, asks for these partitions instead of Ranges (repair
	// sends what differs): the sender reads each as the replica's raw data
	// (memtables and SSTables merged, tombstones kept) and sends them all
	// as one entries section of source file 0. Ascending (token, key)
	// order, no duplicates.
	Keys []mutation.Key
}

// keysVersion is the request format version of a request with Keys; one
// without goes as FormatVersion, which nodes that do not know Keys read.
const keysVersion = 3

// MaxSessionLen bounds Request.Session.
const MaxSessionLen = 1 << 10

// The request format, version 2, laid out as version 1, or 3 when it has
// keys (the requester sends it; the sender decodes it with DecodeRequest):
//
//	+---------+------------------------+----------+
//	| version | uvarint len | session  | table id |
//	+---------+------------------------+----------+
//	  1 byte    ≤ MaxSessionLen bytes    16 bytes
//	+-----------+-------------------------------------------+
//	| uvarint n | n × (start int64BE | end int64BE)         |  ranges
//	+-----------+-------------------------------------------+
//	| uvarint m | m × uvarint source file number            |  skip
//	+-----------+-------------------------------------------+
//	| uvarint SSTable format (0: no whole files)            |
//	+-------------------------------------------------------+
//	| version 3 only: uvarint k | k × (token int64BE        |  keys
//	|                 | uvarint len | key bytes)            |
//	+-------------------------------------------------------+
//	| crc32c u32LE of everything before                     |
//	+-------------------------------------------------------+

// Encode returns the request in the request format. It does not check the
// request: one DecodeRequest would refuse (a Session over MaxSessionLen) is
// refused by the sender.
func (r Request) Encode() []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen64+len(r.Session)+16+binary.MaxVarintLen64*2+16*len(r.Ranges)+4*len(r.Skip)+binary.MaxVarintLen32+4)
	if len(r.Keys) > 0 {
		b = append(b, keysVersion)
	} else {
		b = append(b, FormatVersion)
	}
	b = appendLenPrefixed(b, []byte(r.Session))
	b = append(b, r.Table[:]...)
	b = binary.AppendUvarint(b, uint64(len(r.Ranges)))
	for _, rg := range r.Ranges {
		b = binary.BigEndian.AppendUint64(b, uint64(rg.Start))
		b = binary.BigEndian.AppendUint64(b, uint64(rg.End))
	}
	b = binary.AppendUvarint(b, uint64(len(r.Skip)))
	for _, s := range r.Skip {
		b = binary.AppendUvarint(b, s)
	}
	b = binary.AppendUvarint(b, uint64(r.SSTableFormat))
	if len(r.Keys) > 0 {
		b = binary.AppendUvarint(b, uint64(len(r.Keys)))
		for _, k := range r.Keys {
			b = binary.BigEndian.AppendUint64(b, uint64(k.Token))
			b = appendLenPrefixed(b, k.Bytes)
		}
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// DecodeRequest decodes a request encoded by Encode. A damaged one fails
// with an error wrapping ErrCorrupt, one of another format version with
// ErrVersion.
func DecodeRequest(b []byte) (Request, error) {
	var r Request
	if len(b) < 1+1+16+1+1+1+4 {
		return r, corruptf("request of %d bytes", len(b))
	}
	n := len(b) - 4
	if got, want := crc32.Checksum(b[:n], castagnoli), binary.LittleEndian.Uint32(b[n:]); got != want {
		return r, corruptf("request checksum mismatch: got %08x, want %08x", got, want)
	}
	version := b[0]
	if version != FormatVersion && version != keysVersion {
		return r, fmt.Errorf("%w: request version %d (this node speaks %d and %d)", ErrVersion, b[0], FormatVersion, keysVersion)
	}
	b = b[1:n]
	s, b, ok := lenPrefixed(b)
	if !ok || len(s) > MaxSessionLen {
		return r, corruptf("request: malformed session id")
	}
	r.Session = string(s)
	if len(b) < 16 {
		return r, corruptf("request: short table id")
	}
	copy(r.Table[:], b)
	b = b[16:]
	nr, k := binary.Uvarint(b)
	if k <= 0 || nr > uint64(len(b)-k)/16 {
		return r, corruptf("request: malformed range count")
	}
	b = b[k:]
	if nr > 0 {
		r.Ranges = make([]ring.Range, nr)
	}
	for i := range r.Ranges {
		r.Ranges[i] = ring.Range{Start: int64(binary.BigEndian.Uint64(b)), End: int64(binary.BigEndian.Uint64(b[8:]))}
		b = b[16:]
	}
	ns, k := binary.Uvarint(b)
	if k <= 0 || ns > uint64(len(b)-k) {
		return r, corruptf("request: malformed skip count")
	}
	b = b[k:]
	if ns > 0 {
		r.Skip = make([]uint64, ns)
	}
	for i := range r.Skip {
		if r.Skip[i], k = binary.Uvarint(b); k <= 0 {
			return r, corruptf("request: malformed skipped file %d", i)
		}
		b = b[k:]
	}
	f, k := binary.Uvarint(b)
	if k <= 0 || f > math.MaxUint32 {
		return r, corruptf("request: malformed SSTable format")
	}
	r.SSTableFormat = uint32(f)
	b = b[k:]
	if version == keysVersion {
		nk, k := binary.Uvarint(b)
		if k <= 0 || nk == 0 || nk > uint64(len(b)-k)/9 {
			return r, corruptf("request: malformed key count")
		}
		b = b[k:]
		r.Keys = make([]mutation.Key, nk)
		for i := range r.Keys {
			if len(b) < 8 {
				return r, corruptf("request: short key %d", i)
			}
			tok := int64(binary.BigEndian.Uint64(b))
			kb, rest, ok := lenPrefixed(b[8:])
			if !ok {
				return r, corruptf("request: malformed key %d", i)
			}
			r.Keys[i] = mutation.Key{Token: tok, Bytes: kb}
			if i > 0 && r.Keys[i-1].Compare(r.Keys[i]) >= 0 {
				return r, corruptf("request: keys out of order at %d", i)
			}
			b = rest
		}
	}
	if len(b) != 0 {
		return r, corruptf("request: %d trailing bytes", len(b))
	}
	return r, nil
}
