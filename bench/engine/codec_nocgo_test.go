//go:build !cgo

package engine

import "testing"

func benchPebbleZstd(b *testing.B, kind string, _ []byte) {
	b.Run(kind+"/pebble/zstd", func(b *testing.B) { b.Skip("Pebble's zstd is DataDog/zstd's, which needs cgo") })
}
