package commitlog

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"

	"wcdb/internal/corrupt"
)

// The commit log is a sequence of segment files in one directory, named
//
//	CommitLog-<format version>-<segment id, 16 decimal digits>.log
//
// e.g. CommitLog-1-0000000000000042.log. Segment ids only grow; replay visits
// segments in id order.
//
// A segment is a header followed by records, back to back:
//
//	+----------------+----------+----------+-----+----------+
//	| segment header | record 0 | record 1 | ... | record n |
//	+----------------+----------+----------+-----+----------+
//
// Segment header (segmentHeaderSize = 24 bytes, little-endian):
//
//	 0       8          12              20         24
//	 +-------+----------+---------------+----------+
//	 | magic | version  | segment id    | crc      |
//	 | 8 B   | uint32   | uint64        | uint32   |
//	 +-------+----------+---------------+----------+
//
//	magic    "WCDBCLOG"
//	version  formatVersion (1)
//	crc      CRC-32C (Castagnoli) of bytes [0, 20)
//
// Record (recordHeaderSize = 12 bytes, then the payload, little-endian):
//
//	 0        4            8             12
//	 +--------+------------+-------------+----------------+
//	 | length | header crc | payload crc | payload        |
//	 | uint32 | uint32     | uint32      | length bytes   |
//	 +--------+------------+-------------+----------------+
//
//	header crc   CRC-32C of (segment id as uint64 LE, length as uint32 LE)
//	payload crc  CRC-32C of (segment id as uint64 LE, length as uint32 LE, payload)
//
// Both checksums cover the segment id, so a record from an earlier life of
// the same bytes (a recycled or reused file) never validates in another
// segment. The header crc lets replay reject a candidate record from its 12
// header bytes alone: after a checksum failure it scans forward byte by byte
// for a valid record to tell a torn tail (nothing valid follows) from
// corruption in the middle of the log (something valid follows).
//
// Worked example: segment 42, payload "hi" gives
//
//	length      02 00 00 00
//	header crc  crc32c(2a 00 00 00 00 00 00 00 02 00 00 00)
//	payload crc crc32c(2a 00 00 00 00 00 00 00 02 00 00 00 68 69)
//	payload     68 69
const (
	formatVersion     = 1
	segmentHeaderSize = 24
	recordHeaderSize  = 12
	segmentMagic      = "WCDBCLOG"
	filePrefix        = "CommitLog-"
	fileSuffix        = ".log"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt marks a commit log that failed a checksum or structural check in
// a place a crash cannot explain. Test for it with errors.Is.
var ErrCorrupt = corrupt.New("commitlog: corrupt")

// CorruptError describes where a commit log is corrupt. It wraps ErrCorrupt.
type CorruptError struct {
	File   string // path of the segment file
	Offset int64  // byte offset of the bad record or header
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("commitlog: corrupt segment %s at offset %d: %s", e.File, e.Offset, e.Reason)
}

// Unwrap makes errors.Is(err, ErrCorrupt) hold.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }

// segmentName returns the file name of segment id.
func segmentName(id uint64) string {
	return fmt.Sprintf("%s%d-%016d%s", filePrefix, formatVersion, id, fileSuffix)
}

// parseSegmentName returns the segment id in name and whether name is a
// segment file of any format version.
func parseSegmentName(name string) (id uint64, version int, ok bool) {
	if !strings.HasPrefix(name, filePrefix) || !strings.HasSuffix(name, fileSuffix) {
		return 0, 0, false
	}
	mid := name[len(filePrefix) : len(name)-len(fileSuffix)]
	vs, ids, found := strings.Cut(mid, "-")
	if !found {
		return 0, 0, false
	}
	v, err := strconv.Atoi(vs)
	if err != nil || v <= 0 {
		return 0, 0, false
	}
	id, err = strconv.ParseUint(ids, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	return id, v, true
}

// appendSegmentHeader appends the header of segment id to dst.
func appendSegmentHeader(dst []byte, id uint64) []byte {
	var h [segmentHeaderSize]byte
	copy(h[0:8], segmentMagic)
	binary.LittleEndian.PutUint32(h[8:12], formatVersion)
	binary.LittleEndian.PutUint64(h[12:20], id)
	binary.LittleEndian.PutUint32(h[20:24], crc32.Checksum(h[:20], castagnoli))
	return append(dst, h[:]...)
}

// checkSegmentHeader validates b as the header of segment id; it returns a
// reason when b is not.
func checkSegmentHeader(b []byte, id uint64) (reason string) {
	if len(b) < segmentHeaderSize {
		return fmt.Sprintf("short segment header: %d bytes", len(b))
	}
	if string(b[0:8]) != segmentMagic {
		return "bad segment magic"
	}
	if got := binary.LittleEndian.Uint32(b[20:24]); got != crc32.Checksum(b[:20], castagnoli) {
		return "segment header checksum mismatch"
	}
	if v := binary.LittleEndian.Uint32(b[8:12]); v != formatVersion {
		return fmt.Sprintf("unsupported format version %d", v)
	}
	if got := binary.LittleEndian.Uint64(b[12:20]); got != id {
		return fmt.Sprintf("segment id %d in header, %d in file name", got, id)
	}
	return ""
}

// headerCRC is the CRC-32C of (segment id as uint64 LE, length as uint32
// LE). It runs the table by hand over the 12 bytes because handing a stack
// array to crc32 makes it escape: one allocation per record otherwise.
func headerCRC(seg uint64, length uint32) uint32 {
	crc := ^uint32(0)
	for i := 0; i < 64; i += 8 {
		crc = castagnoli[byte(crc)^byte(seg>>i)] ^ (crc >> 8)
	}
	for i := 0; i < 32; i += 8 {
		crc = castagnoli[byte(crc)^byte(length>>i)] ^ (crc >> 8)
	}
	return ^crc
}

// appendRecord appends the encoding of rec in segment seg to dst. See the
// layout above.
func appendRecord(dst []byte, seg uint64, rec []byte) []byte {
	n := uint32(len(rec))
	hc := headerCRC(seg, n)
	// crc32.Update continues a finished checksum, so this is the CRC of
	// (segment id, length, payload).
	pc := crc32.Update(hc, castagnoli, rec)
	dst = binary.LittleEndian.AppendUint32(dst, n)
	dst = binary.LittleEndian.AppendUint32(dst, hc)
	dst = binary.LittleEndian.AppendUint32(dst, pc)
	return append(dst, rec...)
}

// decodeRecord decodes the record at the start of b in segment seg. It
// returns the payload (aliasing b) and the encoded size, or ok == false when
// no intact record starts at b[0].
func decodeRecord(b []byte, seg uint64) (rec []byte, size int, ok bool) {
	if !validRecordHeader(b, seg) {
		return nil, 0, false
	}
	n := binary.LittleEndian.Uint32(b[0:4])
	end := recordHeaderSize + int(n)
	if end > len(b) {
		return nil, 0, false
	}
	hc := binary.LittleEndian.Uint32(b[4:8])
	rec = b[recordHeaderSize:end]
	if crc32.Update(hc, castagnoli, rec) != binary.LittleEndian.Uint32(b[8:12]) {
		return nil, 0, false
	}
	return rec, end, true
}

// validRecordHeader reports whether b starts with a record header of
// segment seg whose length fits in b. It is the cheap filter of the forward
// scan after a checksum failure.
func validRecordHeader(b []byte, seg uint64) bool {
	if len(b) < recordHeaderSize {
		return false
	}
	n := binary.LittleEndian.Uint32(b[0:4])
	if uint64(n) > uint64(len(b)-recordHeaderSize) {
		return false
	}
	return binary.LittleEndian.Uint32(b[4:8]) == headerCRC(seg, n)
}

// nextValidRecord returns the smallest i >= from at which an intact record
// of segment seg starts in b, or -1.
func nextValidRecord(b []byte, from int, seg uint64) int {
	// A zero-filled tail (a file extended but never written) holds nothing,
	// so the scan stops at the last non-zero byte.
	last := len(b) - 1
	for last >= from && b[last] == 0 {
		last--
	}
	for i := from; i <= last && i+recordHeaderSize <= len(b); i++ {
		if _, _, ok := decodeRecord(b[i:], seg); ok {
			return i
		}
	}
	return -1
}
