package cql

import (
	"encoding/binary"
	"sync"

	"github.com/golang/snappy"
	"github.com/pierrec/lz4/v4"
)

// compressor compresses and decompresses frame bodies with the algorithm a
// connection chose in STARTUP. Implementations are safe for concurrent use.
type compressor interface {
	name() string
	// compress appends the compressed form of src to dst; false if it
	// could not (then the body is sent uncompressed).
	compress(dst, src []byte) ([]byte, bool)
	// decompress returns the body src compresses, refusing one longer than
	// limit bytes.
	decompress(src []byte, limit int) ([]byte, error)
}

// Compression algorithm names, as STARTUP's COMPRESSION option spells them.
const (
	CompressionLZ4    = "lz4"
	CompressionSnappy = "snappy"
)

// compressors are the algorithms the server implements.
var compressors = map[string]compressor{
	CompressionLZ4:    lz4Compressor{},
	CompressionSnappy: snappyCompressor{},
}

// lz4Compressor is the protocol's lz4: a 4-byte big-endian uncompressed
// length, then one raw LZ4 block (not the LZ4 frame format).
type lz4Compressor struct{}

var lz4Pool = sync.Pool{New: func() any { return new(lz4.Compressor) }}

func (lz4Compressor) name() string { return CompressionLZ4 }

func (lz4Compressor) compress(dst, src []byte) ([]byte, bool) {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(src)))
	start := len(dst)
	dst = grow(dst, lz4.CompressBlockBound(len(src)))
	c := lz4Pool.Get().(*lz4.Compressor)
	// With room for CompressBlockBound bytes the block always fits.
	n, err := c.CompressBlock(src, dst[start:cap(dst)])
	lz4Pool.Put(c)
	if err != nil || (n == 0 && len(src) > 0) {
		return dst[:start-4], false
	}
	return dst[:start+n], true
}

func (lz4Compressor) decompress(src []byte, limit int) ([]byte, error) {
	if len(src) < 4 {
		return nil, protoErrorf("lz4 body shorter than its length prefix")
	}
	n := binary.BigEndian.Uint32(src)
	if int64(n) > int64(limit) {
		return nil, protoErrorf("decompressed body of %d bytes exceeds the maximum frame size %d", n, limit)
	}
	out := make([]byte, n)
	if n == 0 {
		return out, nil
	}
	m, err := lz4.UncompressBlock(src[4:], out)
	if err != nil {
		return nil, protoErrorf("lz4 decompression failed: %v", err)
	}
	if m != int(n) {
		return nil, protoErrorf("lz4 body decompressed to %d bytes, its prefix says %d", m, n)
	}
	return out, nil
}

// snappyCompressor is one snappy block (not the snappy framing format).
type snappyCompressor struct{}

func (snappyCompressor) name() string { return CompressionSnappy }

func (snappyCompressor) compress(dst, src []byte) ([]byte, bool) {
	max := snappy.MaxEncodedLen(len(src))
	if max < 0 {
		return dst, false
	}
	start := len(dst)
	dst = grow(dst, max)
	out := snappy.Encode(dst[start:cap(dst)], src)
	return dst[:start+len(out)], true
}

func (snappyCompressor) decompress(src []byte, limit int) ([]byte, error) {
	n, err := snappy.DecodedLen(src)
	if err != nil {
		return nil, protoErrorf("snappy decompression failed: %v", err)
	}
	if n > limit {
		return nil, protoErrorf("decompressed body of %d bytes exceeds the maximum frame size %d", n, limit)
	}
	out, err := snappy.Decode(make([]byte, n), src)
	if err != nil {
		return nil, protoErrorf("snappy decompression failed: %v", err)
	}
	return out, nil
}

// grow returns b with room for n more bytes past len(b).
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), len(b)+n)
	copy(nb, b)
	return nb
}
