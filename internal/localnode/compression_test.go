package localnode

import (
	"testing"

	"wcdb/storage"
)

func TestCompressionOptions(t *testing.T) {
	const pkg = "org.apache.cassandra.io.compress."
	for _, c := range []struct {
		cql  map[string]string
		want storage.TableOptions
	}{
		{nil, storage.TableOptions{}},
		{map[string]string{"enabled": "false"}, storage.TableOptions{Compression: "none"}},
		{map[string]string{"class": pkg + "LZ4Compressor", "chunk_length_in_kb": "16"},
			storage.TableOptions{Compression: pkg + "LZ4Compressor", ChunkLengthKB: 16}},
		{map[string]string{"class": pkg + "LZ4Compressor", "chunk_length_in_kb": "64", "lz4_compressor_type": "high", "lz4_high_compressor_level": "12"},
			storage.TableOptions{Compression: pkg + "LZ4Compressor", ChunkLengthKB: 64, LZ4High: true, CompressionLevel: 12}},
		{map[string]string{"class": pkg + "ZstdCompressor", "chunk_length_in_kb": "4", "compression_level": "-2", "min_compress_ratio": "1.5"},
			storage.TableOptions{Compression: pkg + "ZstdCompressor", ChunkLengthKB: 4, CompressionLevel: -2, MinCompressRatio: 1.5}},
		{map[string]string{"class": pkg + "DeflateCompressor", "chunk_length_in_kb": "16"},
			storage.TableOptions{Compression: pkg + "DeflateCompressor", ChunkLengthKB: 16}},
		{map[string]string{"class": pkg + "NoopCompressor", "chunk_length_in_kb": "16"},
			storage.TableOptions{Compression: pkg + "NoopCompressor", ChunkLengthKB: 16}},
	} {
		var got storage.TableOptions
		compressionOptions(&got, c.cql)
		if got.Compression != c.want.Compression || got.ChunkLengthKB != c.want.ChunkLengthKB || got.CompressionLevel != c.want.CompressionLevel ||
			got.LZ4High != c.want.LZ4High || got.MinCompressRatio != c.want.MinCompressRatio {
			t.Errorf("%v: got %+v, want %+v", c.cql, got, c.want)
		}
		if _, err := got.WithDefaults().WriterOptions(16 << 10); err != nil {
			t.Errorf("%v: WriterOptions: %v", c.cql, err)
		}
	}
}
