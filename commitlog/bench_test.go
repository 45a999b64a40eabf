package commitlog

import (
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"wcdb/internal/vfs"
)

// BenchmarkAppend measures Append of a 1 KiB record, alone and from parallel
// goroutines, per mode, on the OS file system (in a temporary directory)
// and, to see the CPU cost alone, on MemFS. Run it briefly:
//
//	go test -run - -bench Append -benchtime 2000x ./commitlog/
func BenchmarkAppend(b *testing.B) {
	rec := make([]byte, 1024)
	for i := range rec {
		rec[i] = byte(i)
	}
	for _, fsName := range []string{"os", "mem"} {
		for _, mode := range allModes {
			for _, parallel := range []bool{false, true} {
				name := fmt.Sprintf("fs=%s/mode=%v/parallel=%v", fsName, mode, parallel)
				b.Run(name, func(b *testing.B) {
					opts := Options{Dir: filepath.Join(b.TempDir(), "cl"), Sync: mode, SyncPeriod: time.Second}
					if fsName == "mem" {
						opts.FS, opts.Dir = vfs.NewMem(), testDir
					}
					l, _ := openReplay(b, opts)
					defer l.Close()
					b.SetBytes(int64(len(rec)))
					b.ReportAllocs()
					b.ResetTimer()
					if !parallel {
						for range b.N {
							if _, err := l.Append(rec); err != nil {
								b.Fatal(err)
							}
						}
						return
					}
					b.SetParallelism(16) // 16 appenders per CPU: enough to share fsyncs
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if _, err := l.Append(rec); err != nil {
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

// BenchmarkWriters32 models the server under a write load: 32 writers, each
// appending a 1 KiB record and then spending some CPU (work, a stand-in for
// decoding the request, the memtable insert and the response) before its
// next append, on the OS file system. Periodic mode is the ceiling the
// durable modes are held to; the fsyncs/op metric shows how many writers
// share an fsync. Compare modes within one run, and run it several times
// (other work on the machine moves the figures):
//
//	go test -run - -bench Writers32 -benchtime 20000x ./commitlog/
func BenchmarkWriters32(b *testing.B) {
	rec := make([]byte, 1024)
	for i := range rec {
		rec[i] = byte(i)
	}
	for _, work := range []int{0, 50000} {
		for _, mode := range allModes {
			b.Run(fmt.Sprintf("work=%d/mode=%v", work, mode), func(b *testing.B) {
				l, _ := openReplay(b, Options{Dir: filepath.Join(b.TempDir(), "cl"), Sync: mode, SyncPeriod: time.Second})
				defer l.Close()
				const writers = 32
				var next atomic.Int64
				var wg sync.WaitGroup
				var sink atomic.Uint64
				syncs0 := l.Metrics().SyncLatency.Snapshot().Count
				cpu0 := cpuTime()
				b.ResetTimer()
				for range writers {
					wg.Go(func() {
						h := uint64(1)
						for next.Add(1) <= int64(b.N) {
							if _, err := l.Append(rec); err != nil {
								b.Error(err)
								return
							}
							for i := range work {
								h = h*31 + uint64(i)
							}
						}
						sink.Add(h)
					})
				}
				wg.Wait()
				b.StopTimer()
				snap := l.Metrics().SyncLatency.Snapshot()
				syncs := snap.Count - syncs0
				if snap.Count > 0 {
					b.ReportMetric(float64(snap.Sum)/float64(snap.Count), "µs/fsync")
				}
				b.ReportMetric(float64(syncs)/float64(b.N), "fsyncs/op")
				b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
			})
		}
	}
}

// cpuTime returns the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
