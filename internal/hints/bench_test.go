package hints

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"wcdb/internal/vfs"
	"wcdb/mutation"
)

// BenchmarkAdd measures Add of a one-row hint (about 200 bytes encoded), on
// the OS file system (in a temporary directory) and on MemFS, from one
// goroutine and from many, for one target and spread over 16. Run it
// briefly:
//
//	go test -run - -bench Add -benchtime 200000x ./internal/hints/
func BenchmarkAdd(b *testing.B) {
	m := testMut(3)
	m.Partition.Rows[0].Cells[0].Value = make([]byte, 150)
	size := len(appendRecord(nil, 0, m))
	for _, fsName := range []string{"os", "mem"} {
		for _, targets := range []int{1, 16} {
			for _, parallel := range []bool{false, true} {
				b.Run(fmt.Sprintf("fs=%s/targets=%d/parallel=%v", fsName, targets, parallel), func(b *testing.B) {
					opts := Options{Dir: filepath.Join(b.TempDir(), "hints")}
					if fsName == "mem" {
						opts.FS, opts.Dir = vfs.NewMem(), testDir
					}
					s := mustOpen(b, opts)
					defer mustClose(b, s)
					ids := make([]string, targets)
					for i := range ids {
						ids[i] = fmt.Sprintf("10.0.0.%d:7000", i+1)
					}
					b.SetBytes(int64(size))
					b.ReportAllocs()
					b.ResetTimer()
					if !parallel {
						for i := range b.N {
							if err := s.Add(ids[i%targets], m); err != nil {
								b.Fatal(err)
							}
						}
						return
					}
					var n atomic.Int64
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if err := s.Add(ids[int(n.Add(1))%targets], m); err != nil {
								b.Error(err)
								return
							}
						}
					})
				})
			}
		}
	}
}

// BenchmarkReplay measures Replay of 10,000 hints from files (MemFS) to a
// send that does nothing.
func BenchmarkReplay(b *testing.B) {
	m := testMut(3)
	m.Partition.Rows[0].Cells[0].Value = make([]byte, 150)
	const hints = 10000
	b.ReportAllocs()
	for range b.N {
		b.StopTimer()
		s := mustOpen(b, Options{FS: vfs.NewMem(), Dir: testDir})
		for range hints {
			if err := s.Add("a", m); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		n, err := s.Replay(b.Context(), "a", func(_ context.Context, batch []*mutation.Mutation) error { return nil })
		if err != nil || n != hints {
			b.Fatalf("Replay: %d, %v", n, err)
		}
		b.StopTimer()
		mustClose(b, s)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*hints), "ns/hint")
}
