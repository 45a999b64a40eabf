package sstable_test

import (
	"fmt"

	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/sstable"
)

func Example() {
	fs := vfs.NewMem()
	w, err := sstable.NewWriter(fs, "/1.sst", sstable.WriterOptions{})
	if err != nil {
		panic(err)
	}
	key := mutation.Key{Token: 7, Bytes: []byte("user1")}
	w.StartPartition(key, []byte("header"))
	w.AddRow([]byte("a"), []byte("row a"))
	w.AddRow([]byte("b"), []byte("row b"))
	w.AddRow([]byte("c"), []byte("row c"))
	w.FinishPartition()
	if _, err := w.Finish(sstable.Stats{Rows: 3}); err != nil {
		panic(err)
	}

	r, err := sstable.Open(fs, "/1.sst", sstable.ReaderOptions{Cache: sstable.NewCache(8 << 20)})
	if err != nil {
		panic(err)
	}
	defer r.Close()
	p, err := r.Get(key)
	if err != nil || p == nil {
		panic(err)
	}
	it := p.Rows([]byte("b"), nil, true) // clustering >= "b", descending
	for it.Next() {
		fmt.Printf("%s: %s\n", it.Clustering(), it.Row())
	}
	if err := it.Close(); err != nil {
		panic(err)
	}
	// Output:
	// c: row c
	// b: row b
}
