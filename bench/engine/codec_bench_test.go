package engine

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/golang/snappy"

	"wcdb/sstable/codec"
)

// decodeBlock is a block of records as the bench writes them (key, then
// fields of FieldLength bytes, each preceded by its length), of values
// kind, about size bytes.
func decodeBlock(kind string, size int) []byte {
	vs := newValueSource(1, kind)
	r := rand.New(rand.NewPCG(1, 2))
	var b []byte
	for i := int64(0); len(b) < size; i++ {
		b = append(b, recordKey(nil, i)...)
		fields := make([][]byte, 10)
		for f := range fields {
			fields[f] = vs.value(r, 100)
		}
		b = encodeRecord(b, fields)
	}
	return b
}

// BenchmarkBlockDecode is the CPU of decoding one 16 KiB block of the
// bench's records with text values (random ones do not compress: the
// writer stores their blocks as they are) with each of
// our codecs at its default level, and with Pebble's: snappy (the same
// github.com/golang/snappy) and zstd as Pebble v1.1.5 writes and reads it
// with cgo (DataDog/zstd's streaming writer at level 3, Decompress; not
// run without cgo, where Pebble uses klauspost's zstd with a new decoder
// per block). The ratio metric is compressed ÷ raw bytes.
//
//	go test ./bench/engine -run '^$' -bench BlockDecode -benchtime 2000x
func BenchmarkBlockDecode(b *testing.B) {
	for _, kind := range []string{TextValues} {
		raw := decodeBlock(kind, 16<<10)
		for _, id := range []codec.ID{codec.LZ4, codec.Snappy, codec.Zstd, codec.Deflate, codec.None} {
			b.Run(fmt.Sprintf("%s/wcdb/%s", kind, id), func(b *testing.B) {
				e, err := codec.NewEncoder(id, codec.Options{})
				if err != nil {
					b.Fatal(err)
				}
				enc, err := e.Encode(nil, raw)
				if err != nil {
					b.Fatal(err)
				}
				dst := make([]byte, len(raw))
				if out, err := codec.Decode(id, dst, enc); err != nil || !bytes.Equal(out, raw) {
					b.Fatalf("round trip: %v", err)
				}
				b.SetBytes(int64(len(raw)))
				b.ResetTimer()
				for range b.N {
					if _, err := codec.Decode(id, dst, enc); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(enc))/float64(len(raw)), "ratio")
			})
		}
		b.Run(kind+"/pebble/snappy", func(b *testing.B) {
			enc := snappy.Encode(nil, raw)
			dst := make([]byte, len(raw))
			b.SetBytes(int64(len(raw)))
			b.ResetTimer()
			for range b.N {
				if _, err := snappy.Decode(dst, enc); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(enc))/float64(len(raw)), "ratio")
		})
		benchPebbleZstd(b, kind, raw)
	}
}
