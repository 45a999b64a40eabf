package sstable

import (
	"encoding/binary"
	"math/rand"
	"sync"
	"testing"

	"wcdb/internal/vfs"
	"wcdb/mutation"
)

var benchTable struct {
	once sync.Once
	fs   *vfs.MemFS
	keys []mutation.Key
}

// benchSetup writes 100k partitions, each one 1 KiB row, once per process.
func benchSetup(b *testing.B) (*vfs.MemFS, []mutation.Key) {
	benchTable.once.Do(func() {
		fs := vfs.NewMem()
		rng := rand.New(rand.NewSource(7))
		const n = 100000
		keys := make([]mutation.Key, n)
		for i := range keys {
			// Tokens ascending, as the partitioner would sort them.
			keys[i] = mutation.Key{Token: int64(i)*1000 - n*500, Bytes: binary.BigEndian.AppendUint64(nil, rng.Uint64())}
		}
		w, err := NewWriter(fs, "/bench.sst", WriterOptions{})
		if err != nil {
			b.Fatal(err)
		}
		row := make([]byte, 1024)
		for _, k := range keys {
			rng.Read(row[:256]) // partly compressible
			w.StartPartition(k, []byte("hdr"))
			w.AddRow([]byte("clustering"), row)
			if err := w.FinishPartition(); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := w.Finish(Stats{}); err != nil {
			b.Fatal(err)
		}
		benchTable.fs, benchTable.keys = fs, keys
	})
	return benchTable.fs, benchTable.keys
}

// BenchmarkGet measures a point Get of a present key, with its row read, on
// a warm cache.
func BenchmarkGet(b *testing.B) {
	fs, keys := benchSetup(b)
	r, err := Open(fs, "/bench.sst", ReaderOptions{Cache: NewCache(64 << 20)})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	rng := rand.New(rand.NewSource(8))
	hot := make([]mutation.Key, 4096)
	for i := range hot {
		hot[i] = keys[rng.Intn(len(keys))]
	}
	read := func(k mutation.Key) {
		p, err := r.Get(k)
		if err != nil || p == nil {
			b.Fatalf("Get: %v, %v", p, err)
		}
		it := p.Rows(nil, nil, false)
		if !it.Next() || len(it.Row()) != 1024 {
			b.Fatal("row missing")
		}
	}
	for _, k := range hot {
		read(k)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		read(hot[i&(len(hot)-1)])
	}
}

// BenchmarkGetAbsent measures a Get the bloom filter answers.
func BenchmarkGetAbsent(b *testing.B) {
	fs, _ := benchSetup(b)
	r, err := Open(fs, "/bench.sst", ReaderOptions{Cache: NewCache(64 << 20)})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if p, err := r.Get(mutation.Key{Token: int64(i), Bytes: []byte("absent")}); err != nil {
			b.Fatal(p, err)
		}
	}
}
