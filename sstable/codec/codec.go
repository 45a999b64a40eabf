// Package codec holds the block compressors of SSTable files: the codec
// ids stored in every block's trailer, and the encoders and decoders behind
// them.
//
// Codec ids (the trailer's type byte, see sstable/format.go). An id, once
// written, keeps its meaning forever: files written before a codec was
// added name theirs, and are read with it.
//
//	0  None     payload is the block as is
//	1  Snappy   payload is a snappy block (github.com/golang/snappy), which
//	            carries its own decoded length
//	2  LZ4      uvarint decoded length | LZ4 block (github.com/pierrec/lz4/v4,
//	            fast or high compression; the block format is the same)
//	3  Zstd     uvarint decoded length | one zstd frame
//	            (github.com/klauspost/compress/zstd, any level)
//	4  Deflate  uvarint decoded length | raw deflate stream (RFC 1951, no
//	            zlib header; written and read with klauspost/compress/flate,
//	            compress/flate's drop-in whose decoder reuses its Huffman
//	            tables instead of allocating them per block)
//
// Decoders write into the caller's buffer when it is large enough, and
// keep their own state in pools, so that reading a block allocates
// nothing in the steady state.
package codec

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/golang/snappy"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// ID is a codec id as stored in a block trailer.
type ID uint8

// The codec ids (see the package comment for their payloads).
const (
	None    ID = 0
	Snappy  ID = 1
	LZ4     ID = 2
	Zstd    ID = 3
	Deflate ID = 4
)

// MaxBlockLen bounds a decoded block, so that a corrupt length cannot make
// a decoder allocate without limit.
const MaxBlockLen = 1 << 30

// ErrBadBlock is returned for a payload that does not decode.
var ErrBadBlock = errors.New("codec: bad compressed block")

// String returns the codec's name as TableOptions spell it.
func (id ID) String() string {
	switch id {
	case None:
		return "none"
	case Snappy:
		return "snappy"
	case LZ4:
		return "lz4"
	case Zstd:
		return "zstd"
	case Deflate:
		return "deflate"
	}
	return fmt.Sprintf("codec(%d)", uint8(id))
}

// Known reports whether id is a codec this package decodes.
func (id ID) Known() bool { return id <= Deflate }

// Parse returns the codec named s (a String name, or a Cassandra class,
// short or in full).
func Parse(s string) (ID, error) {
	switch s {
	case "none", "", "NoopCompressor", "org.apache.cassandra.io.compress.NoopCompressor":
		return None, nil
	case "snappy", "SnappyCompressor", "org.apache.cassandra.io.compress.SnappyCompressor":
		return Snappy, nil
	case "lz4", "LZ4Compressor", "org.apache.cassandra.io.compress.LZ4Compressor":
		return LZ4, nil
	case "zstd", "ZstdCompressor", "org.apache.cassandra.io.compress.ZstdCompressor":
		return Zstd, nil
	case "deflate", "DeflateCompressor", "org.apache.cassandra.io.compress.DeflateCompressor":
		return Deflate, nil
	}
	return 0, fmt.Errorf("codec: unknown compression %q (want lz4, snappy, zstd, deflate or none)", s)
}

// Options tune an encoder. Zero values are the defaults.
type Options struct {
	// Level: zstd's compression_level (Cassandra's default 3; negative
	// levels are the fastest), deflate's 1..9 (default 5, klauspost's), and for LZ4 with
	// High the lz4_high_compressor_level 1..17 (default 9; levels past 9
	// compress as 9). Ignored otherwise.
	Level int
	// High selects LZ4's high-compression encoder (lz4_compressor_type:
	// high); the blocks decode as any LZ4 block.
	High bool
}

// Resolved returns o as an encoder of id applies it: the default level
// filled in and what id ignores cleared, so that two Options that compress
// alike compare equal (an SSTable records its codec's options this way).
func (o Options) Resolved(id ID) Options {
	switch id {
	case Zstd:
		return Options{Level: cmp.Or(o.Level, 3)}
	case Deflate:
		if o.Level == 0 || o.Level == flate.DefaultCompression {
			return Options{Level: 5}
		}
		return Options{Level: o.Level}
	case LZ4:
		if o.High {
			return Options{High: true, Level: cmp.Or(o.Level, 9)}
		}
	}
	return Options{}
}

// Encoder compresses blocks with one codec. An Encoder is not safe for
// concurrent use; it keeps its scratch state between calls.
type Encoder struct {
	id   ID
	opts Options
	lz   lz4.Compressor
	lzhc lz4.CompressorHC
	zenc *zstd.Encoder
	fw   *flate.Writer
	fbuf bytes.Buffer
}

// NewEncoder returns an encoder for id.
func NewEncoder(id ID, opts Options) (*Encoder, error) {
	e := &Encoder{id: id, opts: opts}
	switch id {
	case None, Snappy:
	case LZ4:
		if opts.High {
			lvl := opts.Level
			if lvl == 0 {
				lvl = 9
			}
			if lvl < 1 || lvl > 17 {
				return nil, fmt.Errorf("codec: lz4 high compressor level %d not in 1..17", lvl)
			}
			e.lzhc.Level = lz4.CompressionLevel(1 << (8 + min(lvl, 9)))
		}
	case Zstd:
		lvl := opts.Level
		if lvl == 0 {
			lvl = 3
		}
		if lvl < -131072 || lvl > 22 {
			return nil, fmt.Errorf("codec: zstd compression level %d not in -131072..22", lvl)
		}
		z, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(max(lvl, 1))),
			zstd.WithEncoderConcurrency(1), zstd.WithEncoderCRC(false), zstd.WithLowerEncoderMem(true))
		if err != nil {
			return nil, err
		}
		e.zenc = z
	case Deflate:
		lvl := opts.Level
		if lvl == 0 {
			lvl = flate.DefaultCompression
		}
		fw, err := flate.NewWriter(io.Discard, lvl)
		if err != nil {
			return nil, fmt.Errorf("codec: deflate level %d: %v", lvl, err)
		}
		e.fw = fw
	default:
		return nil, fmt.Errorf("codec: unknown codec %d", id)
	}
	return e, nil
}

// ID returns the encoder's codec.
func (e *Encoder) ID() ID { return e.id }

// Encode appends the compressed form of src to dst[:0] and returns it. For
// None it returns src's bytes appended to dst[:0].
func (e *Encoder) Encode(dst, src []byte) ([]byte, error) {
	dst = dst[:0]
	switch e.id {
	case None:
		return append(dst, src...), nil
	case Snappy:
		if n := snappy.MaxEncodedLen(len(src)); cap(dst) < n {
			dst = make([]byte, 0, n)
		}
		return snappy.Encode(dst[:cap(dst)], src), nil
	case LZ4:
		dst = binary.AppendUvarint(dst, uint64(len(src)))
		h := len(dst)
		bound := lz4.CompressBlockBound(len(src))
		if cap(dst) < h+bound {
			dst = append(make([]byte, 0, h+bound), dst...)
		}
		var n int
		var err error
		if e.opts.High {
			n, err = e.lzhc.CompressBlock(src, dst[h:h+bound])
		} else {
			n, err = e.lz.CompressBlock(src, dst[h:h+bound])
		}
		if err != nil {
			return nil, fmt.Errorf("codec: lz4: %v", err)
		}
		if n == 0 && len(src) > 0 {
			// Incompressible: lz4 gives up; say so with a payload no
			// smaller than src, so that the caller stores it raw.
			return append(dst[:0], src...), nil
		}
		return dst[:h+n], nil
	case Zstd:
		dst = binary.AppendUvarint(dst, uint64(len(src)))
		return e.zenc.EncodeAll(src, dst), nil
	case Deflate:
		dst = binary.AppendUvarint(dst, uint64(len(src)))
		e.fbuf.Reset()
		e.fw.Reset(&e.fbuf)
		if _, err := e.fw.Write(src); err != nil {
			return nil, err
		}
		if err := e.fw.Close(); err != nil {
			return nil, err
		}
		return append(dst, e.fbuf.Bytes()...), nil
	}
	return nil, fmt.Errorf("codec: unknown codec %d", e.id)
}

var zstdDecoders = sync.Pool{New: func() any {
	d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxMemory(MaxBlockLen))
	if err != nil {
		panic(err) // only bad options fail
	}
	return d
}}

type flateDecoder struct {
	r   io.ReadCloser
	br  bytes.Reader
	one [1]byte
}

var flateDecoders = sync.Pool{New: func() any {
	d := &flateDecoder{}
	d.r = flate.NewReader(&d.br)
	return d
}}

// Decode decodes payload, compressed with id, into dst when it is large
// enough (else into a new buffer) and returns the block. For None it
// returns payload itself.
func Decode(id ID, dst, payload []byte) ([]byte, error) {
	if id == None {
		return payload, nil
	}
	if id == Snappy {
		l, err := snappy.DecodedLen(payload)
		if err != nil || l > MaxBlockLen {
			return nil, ErrBadBlock
		}
		if cap(dst) < l {
			dst = make([]byte, l)
		}
		out, err := snappy.Decode(dst[:l], payload)
		if err != nil {
			return nil, ErrBadBlock
		}
		return out, nil
	}
	if !id.Known() {
		return nil, fmt.Errorf("codec: unknown codec %d", id)
	}
	l64, k := binary.Uvarint(payload)
	if k <= 0 || l64 > MaxBlockLen {
		return nil, ErrBadBlock
	}
	l, src := int(l64), payload[k:]
	if cap(dst) < l {
		dst = make([]byte, l)
	}
	dst = dst[:l]
	switch id {
	case LZ4:
		if l == 0 {
			return nil, ErrBadBlock // never written: an empty block is stored as is
		}
		n, err := lz4.UncompressBlock(src, dst)
		if err != nil || n != l {
			return nil, ErrBadBlock
		}
	case Zstd:
		// A frame that states another content size than ours is damage
		// (and must not make the decoder grow dst to what it claims).
		// Small frames state none; the decoder's memory limit bounds them.
		var h zstd.Header
		if h.Decode(src) != nil || (h.HasFCS && h.FrameContentSize != l64) {
			return nil, ErrBadBlock
		}
		d := zstdDecoders.Get().(*zstd.Decoder)
		out, err := d.DecodeAll(src, dst[:0])
		zstdDecoders.Put(d)
		if err != nil || len(out) != l || (l > 0 && &out[0] != &dst[0]) {
			return nil, ErrBadBlock
		}
	case Deflate:
		d := flateDecoders.Get().(*flateDecoder)
		d.br.Reset(src)
		if err := d.r.(flate.Resetter).Reset(&d.br, nil); err != nil {
			flateDecoders.Put(d)
			return nil, ErrBadBlock
		}
		_, err := io.ReadFull(d.r, dst)
		if err == nil {
			// The stream must end exactly here.
			if n, _ := d.r.Read(d.one[:]); n != 0 {
				err = ErrBadBlock
			}
		}
		flateDecoders.Put(d)
		if err != nil {
			return nil, ErrBadBlock
		}
	}
	return dst, nil
}
