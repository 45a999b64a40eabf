package commitlog

import (
	"fmt"
	"path/filepath"
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
