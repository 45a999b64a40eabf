package streaming

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"wcdb/internal/corrupt"
	"wcdb/mutation"
)

// The frame format, version 2 (version 1 had no block entries).
//
// A session is a sequence of frames, each one message of the transport
// (which delimits them: a frame carries no length of its own):
//
//	H (S D* F)* Z
//
//	+---------+------+---------------------------------+---------------+
//	| version | kind | body                            | crc32c u32LE  |
//	+---------+------+---------------------------------+---------------+
//	  1 byte    1 byte                                   CRC-32C (Castagnoli)
//	                                                     of version, kind, body
//
// The receiver checks the CRC before it looks at anything else, then the
// version (an unknown one fails with ErrVersion; a later format may add
// kinds or fields, and says so with a new version). Bodies, by kind:
//
//	'H' session start  uvarint files | uvarint estimated bytes
//	'S' file start     uvarint source file | uvarint estimated bytes | uvarint mode
//	'D' data           uvarint source file | uvarint seq | entries or file bytes
//	'F' file end       uvarint source file | uvarint partitions
//	                   | uvarint rows | uvarint bytes
//	'Z' session end    uvarint files | uvarint bytes
//
// "files" in H is how many file sections follow (a section whose file turns
// out to hold nothing in the ranges is still sent, as an S F pair with zero
// counts, so that a retry can skip it). "Estimated bytes" are the on-disk
// bytes of the sections (file size times the share of the file's token span
// the ranges cover), for progress only. A section is sent in one of two
// modes, given in S:
//
//	0 entries     the file's partitions in the ranges, as entries (below)
//	1 whole file  the file's bytes as they are on disk, in order; only for a
//	              file whose key span lies entirely in one of the ranges, of
//	              the SSTable format the request names (Request.SSTableFormat);
//	              its estimated bytes are its exact size
//
// An entries section's data frames hold its partitions in ascending (token,
// key) order, as entries that run on from one data frame to the next (a
// partition may span many frames):
//
//	partition start  'P' | token int64BE | uvarint len | key | uvarint len | header
//	row              'R' | uvarint len | clustering | uvarint len | row
//	partition end    'E'
//	block            'B' | uvarint len | an SSTable data block as stored
//
// Header and row bytes are the SSTable's own encodings (mutation.AppendHeader,
// mutation.AppendRow), copied, never decoded, by the sender. A block entry
// (only when the request names the file's SSTable format) carries a data
// block of the file whose every entry belongs to the section, as the file
// stores it (sstable.Block: compressed, checksummed): it stands for its
// partition starts and rows, a partition start in it ending the partition
// before it (as 'E' would); it opens either with rows of the open partition
// (then it holds no partition start) or, with no partition open, with a
// partition start; its last partition stays open. The receiver adds it to
// its new SSTable as it is (sstable.Writer.AddBlock), so most of a section
// is neither decoded nor compressed again on either side. A data frame is
// cut after the entry that takes it past the chunk size, so it exceeds the
// chunk size by at most one entry (a whole file's frames hold exactly the
// chunk size, the last one less).
//
// seq numbers a section's data frames from 0, so that a lost or repeated
// frame is caught at once. F carries the counts of its section: partitions,
// rows and the bytes of all entries of its data frames (whole file: the
// file's partitions and rows from its statistics, and its size); the
// receiver commits the section only if they match what it received (whole
// file: what the received file says of itself once opened). Z carries the
// number of sections sent and the sum of their bytes; the receiver checks
// both, and the number against H's.
//
// Example: one file section with a single partition (token 5, key "k", the
// one-byte empty header) holding one row (clustering "c", row bytes "r"):
//
//	02 48 01 1e …crc                   H: 1 file, about 30 bytes
//	02 53 07 1e 00 …crc                S: file 7, about 30 bytes, entries
//	02 44 07 00                        D: file 7, seq 0
//	   50 00000000 00000005 01 6b 01 00    P token=5 key="k" header=00
//	   52 01 63 01 72                      R clustering="c" row="r"
//	   45                                  E
//	   …crc
//	02 46 07 01 01 13 …crc             F: file 7, 1 partition, 1 row, 19 bytes
//	02 5a 01 13 …crc                   Z: 1 file, 19 bytes

// FormatVersion is the version of the frame and request formats written.
const FormatVersion = 2

const (
	kindSessionStart = 'H'
	kindFileStart    = 'S'
	kindData         = 'D'
	kindFileEnd      = 'F'
	kindSessionEnd   = 'Z'

	modeEntries   = 0
	modeWholeFile = 1

	entryPartition = 'P'
	entryRow       = 'R'
	entryEnd       = 'E'
	entryBlock     = 'B'

	frameOverhead = 2 + 4 // version, kind, crc

	// chunkSize is the size at which a data frame is cut.
	chunkSize = 512 << 10
)

var (
	// ErrCorrupt marks a frame or request that fails its checksum or does
	// not parse, or a stream that breaks the protocol (counts that do not
	// match, frames out of place). Test for it with errors.Is.
	ErrCorrupt = corrupt.New("streaming: corrupt stream")
	// ErrTruncated marks a stream that ended before its session-end frame.
	ErrTruncated = errors.New("streaming: stream ended before the session end")
	// ErrVersion marks a well-formed frame or request of a format version
	// this node does not speak.
	ErrVersion = errors.New("streaming: unsupported format version")
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// startFrame appends the version and kind of a new frame to dst.
func startFrame(dst []byte, kind byte) []byte { return append(dst, FormatVersion, kind) }

// finishFrame appends the checksum of everything in b.
func finishFrame(b []byte) []byte {
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// appendControl encodes a control frame (any kind but data) whose body is
// the given unsigned varints.
func appendControl(dst []byte, kind byte, vals ...uint64) []byte {
	dst = startFrame(dst, kind)
	for _, v := range vals {
		dst = binary.AppendUvarint(dst, v)
	}
	return finishFrame(dst)
}

// openFrame checks a frame's checksum and version and returns its kind and
// body. Nothing of a frame is used before it passes.
func openFrame(b []byte) (kind byte, body []byte, err error) {
	if len(b) < frameOverhead {
		return 0, nil, corruptf("frame of %d bytes", len(b))
	}
	n := len(b) - 4
	if got, want := crc32.Checksum(b[:n], castagnoli), binary.LittleEndian.Uint32(b[n:]); got != want {
		return 0, nil, corruptf("frame checksum mismatch: got %08x, want %08x", got, want)
	}
	if b[0] != FormatVersion {
		return 0, nil, fmt.Errorf("%w: frame version %d (this node speaks %d)", ErrVersion, b[0], FormatVersion)
	}
	switch b[1] {
	case kindSessionStart, kindFileStart, kindData, kindFileEnd, kindSessionEnd:
	default:
		return 0, nil, corruptf("unknown frame kind %#x", b[1])
	}
	return b[1], b[2:n], nil
}

// controlBodyLen is the number of varints in each control frame's body.
var controlBodyLen = map[byte]int{kindSessionStart: 2, kindFileStart: 3, kindFileEnd: 4, kindSessionEnd: 2}

// decodeControl decodes the varints of a control frame's body into vals,
// which must have the kind's length.
func decodeControl(kind byte, body []byte, vals []uint64) error {
	if len(vals) != controlBodyLen[kind] {
		return corruptf("frame %q: %d fields expected", kind, len(vals))
	}
	for i := range vals {
		v, n := binary.Uvarint(body)
		if n <= 0 {
			return corruptf("frame %q: malformed field %d", kind, i)
		}
		vals[i] = v
		body = body[n:]
	}
	if len(body) != 0 {
		return corruptf("frame %q: %d trailing bytes", kind, len(body))
	}
	return nil
}

// dataFile splits a data frame's body into its source file, sequence
// number and entries.
func dataFile(body []byte) (file, seq uint64, entries []byte, err error) {
	file, n := binary.Uvarint(body)
	if n <= 0 {
		return 0, 0, nil, corruptf("data frame: malformed file number")
	}
	body = body[n:]
	seq, n = binary.Uvarint(body)
	if n <= 0 {
		return 0, 0, nil, corruptf("data frame: malformed sequence number")
	}
	return file, seq, body[n:], nil
}

// entry is one decoded data-frame entry; its slices alias the frame.
type entry struct {
	kind       byte
	key        mutation.Key // partition start
	header     []byte       // partition start
	clustering []byte       // row
	row        []byte       // row
	block      []byte       // block, as stored
}

// nextEntry decodes the first entry of b and returns the rest.
func nextEntry(b []byte, e *entry) ([]byte, error) {
	if len(b) == 0 {
		return nil, corruptf("empty entry")
	}
	e.kind = b[0]
	b = b[1:]
	var ok bool
	switch e.kind {
	case entryPartition:
		if len(b) < 8 {
			return nil, corruptf("partition entry: short token")
		}
		e.key.Token = int64(binary.BigEndian.Uint64(b))
		b = b[8:]
		if e.key.Bytes, b, ok = lenPrefixed(b); !ok {
			return nil, corruptf("partition entry: malformed key")
		}
		if e.header, b, ok = lenPrefixed(b); !ok {
			return nil, corruptf("partition entry: malformed header")
		}
	case entryRow:
		if e.clustering, b, ok = lenPrefixed(b); !ok {
			return nil, corruptf("row entry: malformed clustering")
		}
		if e.row, b, ok = lenPrefixed(b); !ok {
			return nil, corruptf("row entry: malformed row")
		}
	case entryBlock:
		if e.block, b, ok = lenPrefixed(b); !ok {
			return nil, corruptf("block entry: malformed length")
		}
	case entryEnd:
	default:
		return nil, corruptf("unknown entry kind %#x", e.kind)
	}
	return b, nil
}

func lenPrefixed(b []byte) (v, rest []byte, ok bool) {
	l, n := binary.Uvarint(b)
	if n <= 0 || l > uint64(len(b)-n) {
		return nil, nil, false
	}
	end := n + int(l)
	return b[n:end:end], b[end:], true
}

func appendLenPrefixed(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

func appendPartitionEntry(dst []byte, key mutation.Key, header []byte) []byte {
	dst = append(dst, entryPartition)
	dst = binary.BigEndian.AppendUint64(dst, uint64(key.Token))
	dst = appendLenPrefixed(dst, key.Bytes)
	return appendLenPrefixed(dst, header)
}

func appendRowEntry(dst, clustering, row []byte) []byte {
	dst = append(dst, entryRow)
	dst = appendLenPrefixed(dst, clustering)
	return appendLenPrefixed(dst, row)
}

func appendBlockEntry(dst, stored []byte) []byte {
	dst = append(dst, entryBlock)
	return appendLenPrefixed(dst, stored)
}
