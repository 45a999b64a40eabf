package tableopts

import (
	"maps"
	"strings"
	"testing"
)

func TestNormalizeCompressionOptions(t *testing.T) {
	const pkg = "org.apache.cassandra.io.compress."
	for _, c := range []struct {
		in      map[string]string
		want    map[string]string
		wantErr string
	}{
		{in: map[string]string{"class": "ZstdCompressor", "compression_level": " 7"},
			want: map[string]string{"class": pkg + "ZstdCompressor", "chunk_length_in_kb": "16", "compression_level": "7"}},
		{in: map[string]string{"class": "LZ4Compressor", "lz4_compressor_type": "HIGH", "lz4_high_compressor_level": "17", "chunk_length_in_kb": "64"},
			want: map[string]string{"class": pkg + "LZ4Compressor", "chunk_length_in_kb": "64", "lz4_compressor_type": "high", "lz4_high_compressor_level": "17"}},
		{in: map[string]string{"class": "ZstdCompressor", "compression_level": "23"}, wantErr: "between -131072 and 22"},
		{in: map[string]string{"class": "LZ4Compressor", "lz4_compressor_type": "medium"}, wantErr: "Valid options are [fast, high]"},
		{in: map[string]string{"class": "LZ4Compressor", "lz4_high_compressor_level": "0"}, wantErr: "between 1 and 17"},
		{in: map[string]string{"class": "SnappyCompressor", "compression_level": "3"}, wantErr: "Unknown compression options [compression_level]"},
	} {
		got, _, err := NormalizeCompression(c.in)
		switch {
		case c.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%v: got %v, %v; want error %q", c.in, got, err, c.wantErr)
			}
		case err != nil || !maps.Equal(got, c.want):
			t.Errorf("%v: got %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}
