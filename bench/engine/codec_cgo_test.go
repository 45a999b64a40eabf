//go:build cgo

package engine

import (
	"bytes"
	"testing"

	"github.com/DataDog/zstd"
)

// benchPebbleZstd decodes raw as Pebble v1.1.5 does with cgo
// (sstable/compression_cgo.go): written by DataDog/zstd's streaming writer
// at level 3, read by zstd.Decompress into a buffer of the block's size.
func benchPebbleZstd(b *testing.B, kind string, raw []byte) {
	b.Run(kind+"/pebble/zstd", func(b *testing.B) {
		var buf bytes.Buffer
		w := zstd.NewWriterLevel(&buf, 3)
		w.Write(raw)
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		enc := buf.Bytes()
		dst := make([]byte, len(raw))
		// Pebble requires the block decoded into its buffer (what
		// DataDog/zstd v1.5 stopped doing; see go.mod).
		if out, err := zstd.Decompress(dst, enc); err != nil || !bytes.Equal(out, raw) || &out[0] != &dst[0] {
			b.Fatalf("round trip into the caller's buffer: %v", err)
		}
		b.SetBytes(int64(len(raw)))
		b.ResetTimer()
		for range b.N {
			if _, err := zstd.Decompress(dst, enc); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(enc))/float64(len(raw)), "ratio")
	})
}
