package hints

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"strings"

	"wcdb/internal/vfs"
	"wcdb/mutation"
)

// Hint files. Each target node's hints live in append-only files of their
// own in Options.Dir, named
//
//	<target, escaped>-<sequence, at least 16 decimal digits>.hints
//
// e.g. 550e8400-e29b-41d4-a716-446655440000-0000000000000007.hints. The
// escaped target keeps the bytes a-z, 0-9, '.' and '-' and writes every
// other byte as '_' and two lower-case hex digits ("Node:1" becomes
// "_4eode_3a1"), so any id of up to MaxTargetLen bytes makes a portable file
// name, distinct from every other id's even on a case-insensitive file
// system. The sequence follows the last '-'. Sequences are allocated by the
// store, never reused, and only grow: of two files of one target the higher
// sequence holds the later hints.
//
// A file is records back to back; there is no file header. Each record
// carries its own format version (recordVersion = 1) so a later format can be
// told apart record by record. Record layout (little-endian):
//
//	 0        4        8         9              17
//	 +--------+--------+---------+--------------+--------------------+
//	 | length | crc    | version | created      | mutation           |
//	 | uint32 | uint32 | uint8   | int64        | length - 9 bytes   |
//	 +--------+--------+---------+--------------+--------------------+
//
//	length    the number of bytes after the crc field: 9 + len(mutation)
//	crc       CRC-32C (Castagnoli) of bytes [0, 4) (the length field),
//	          continued over bytes [8, 8+length) (version to the end)
//	version   recordVersion
//	created   when the hint was stored, Unix milliseconds; MaxHintWindow
//	          is counted from it
//	mutation  mutation.AppendMutation's encoding
//
// The checksum covers the length, so a damaged length fails it rather than
// misframing what follows.
//
// Worked example: a hint created at 1700000000000 ms (0x18bcfe56800) of a
// 30-byte mutation M gives
//
//	length    27 00 00 00                (9 + 30 = 39)
//	crc       crc32c(27 00 00 00) continued over (01 00 68 e5 cf 8b 01 00 00 M)
//	version   01
//	created   00 68 e5 cf 8b 01 00 00
//	mutation  M
//
// Reading stops at the first record that is not intact. A record that runs
// past the end of the file, a partial header, or a zero-filled header (a
// file extended but never written) is a torn tail, what a crash in the
// middle of a write leaves: Open cuts it off and logs it. A record whose
// length is impossible, whose checksum fails or whose version is unknown is
// corruption: it and the rest of its file are skipped with a logged error.
// Without a resynchronising marker nothing after a bad record can be framed
// safely, and hints are best-effort repair, not the source of truth: losing
// some is acceptable, replaying garbage is not.
const (
	recordVersion    = 1
	recordHeaderSize = 8     // length, crc
	recordFixedSize  = 1 + 8 // version, created
	// maxRecordLen bounds a record's length field: a mutation the commit log
	// accepts (16 MiB by default) fits with room to spare.
	maxRecordLen = 1 << 30

	fileSuffix = ".hints"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendRecord appends the record of a hint for m created at created (Unix
// ms) to dst. See the layout above.
func appendRecord(dst []byte, created int64, m *mutation.Mutation) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0, 0, 0, 0, 0, recordVersion)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(created))
	dst = mutation.AppendMutation(dst, m)
	rec := dst[start:]
	n := len(rec) - recordHeaderSize
	if n > maxRecordLen {
		return dst // the caller checks the length and backs out
	}
	binary.LittleEndian.PutUint32(rec[0:4], uint32(n))
	binary.LittleEndian.PutUint32(rec[4:8], recordCRC(rec[0:4], rec[recordHeaderSize:]))
	return dst
}

// recordCRC is the checksum of a record with the given length field and
// body (version to the end).
func recordCRC(lengthField, body []byte) uint32 {
	return crc32.Update(crc32.Checksum(lengthField, castagnoli), castagnoli, body)
}

// recordCreated returns the creation time (Unix ms) in a record body.
func recordCreated(body []byte) int64 { return int64(binary.LittleEndian.Uint64(body[1:9])) }

// recordMutation returns the mutation encoding in a record body.
func recordMutation(body []byte) []byte { return body[recordFixedSize:] }

// readStatus is what a reader found at its offset.
type readStatus int

const (
	recOK      readStatus = iota // an intact record
	recEnd                       // the clean end of the file
	recTorn                      // a torn tail: a partial record, nothing after it
	recCorrupt                   // a record that fails its checks
)

// reader reads the records of one hint file, in order, up to a limit.
type reader struct {
	br    *bufio.Reader
	off   int64 // offset of the next record
	limit int64
	hdr   [recordHeaderSize]byte
}

func newReader(f vfs.File, start, limit int64) *reader {
	return &reader{
		br:    bufio.NewReaderSize(io.NewSectionReader(f, start, limit-start), 64<<10),
		off:   start,
		limit: limit,
	}
}

// next reads the record at r.off. On recOK it returns the record's body
// (version to the end) in buf's storage, grown as needed, and advances
// r.off past the record; on recTorn and recCorrupt it says why and leaves
// r.off at the bad record. err reports a failed read.
func (r *reader) next(buf []byte) (body []byte, st readStatus, reason string, err error) {
	rem := r.limit - r.off
	if rem == 0 {
		return nil, recEnd, "", nil
	}
	if rem < recordHeaderSize {
		return nil, recTorn, fmt.Sprintf("partial record header: %d bytes", rem), nil
	}
	if _, err := io.ReadFull(r.br, r.hdr[:]); err != nil {
		return nil, 0, "", readErr(err)
	}
	n := binary.LittleEndian.Uint32(r.hdr[0:4])
	sum := binary.LittleEndian.Uint32(r.hdr[4:8])
	switch {
	case n == 0 && sum == 0:
		return nil, recTorn, "zero-filled record header", nil
	case n < recordFixedSize || n > maxRecordLen:
		return nil, recCorrupt, fmt.Sprintf("impossible record length %d", n), nil
	case int64(n) > rem-recordHeaderSize:
		return nil, recTorn, fmt.Sprintf("record of %d bytes runs past the end of the file (%d bytes left)", n, rem-recordHeaderSize), nil
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	body = buf[:n]
	if _, err := io.ReadFull(r.br, body); err != nil {
		return nil, 0, "", readErr(err)
	}
	if recordCRC(r.hdr[0:4], body) != sum {
		return nil, recCorrupt, "record checksum mismatch", nil
	}
	if body[0] != recordVersion {
		return nil, recCorrupt, fmt.Sprintf("unsupported record version %d", body[0]), nil
	}
	r.off += recordHeaderSize + int64(n)
	return body, recOK, "", nil
}

// errShortFile reports a file shorter than the extent known to be written.
var errShortFile = errors.New("hints: file shorter than expected")

func readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errShortFile
	}
	return err
}

// fileName returns the name of the hint file of target with sequence seq.
func fileName(target string, seq uint64) string {
	return escapeTarget(target) + "-" + fmt.Sprintf("%016d", seq) + fileSuffix
}

// parseFileName returns the target and sequence of a hint file name, and
// whether name is one.
func parseFileName(name string) (target string, seq uint64, ok bool) {
	base, found := strings.CutSuffix(name, fileSuffix)
	if !found {
		return "", 0, false
	}
	i := strings.LastIndexByte(base, '-')
	if i < 1 {
		return "", 0, false
	}
	seq, err := strconv.ParseUint(base[i+1:], 10, 64)
	if err != nil || seq == 0 {
		return "", 0, false
	}
	target, ok = unescapeTarget(base[:i])
	if !ok || escapeTarget(target) != base[:i] || checkTarget(target) != nil {
		return "", 0, false
	}
	return target, seq, true
}

func plainByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-'
}

const hexDigits = "0123456789abcdef"

// escapeTarget turns a target id into the file-name part that stands for it.
func escapeTarget(target string) string {
	var b strings.Builder
	b.Grow(len(target))
	for i := 0; i < len(target); i++ {
		c := target[i]
		if plainByte(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('_')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xf])
	}
	return b.String()
}

// unescapeTarget inverts escapeTarget.
func unescapeTarget(s string) (string, bool) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if plainByte(c) {
			out = append(out, c)
			continue
		}
		if c != '_' || i+2 >= len(s) {
			return "", false
		}
		hi, lo := strings.IndexByte(hexDigits, s[i+1]), strings.IndexByte(hexDigits, s[i+2])
		if hi < 0 || lo < 0 {
			return "", false
		}
		out = append(out, byte(hi<<4|lo))
		i += 2
	}
	return string(out), true
}
