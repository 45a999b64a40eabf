package streaming

import (
	"context"
	"fmt"
	"io"
	"math/rand"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/ring"
	"wcdb/sstable"
	"wcdb/storage"
)

// benchData writes about size bytes of rows (values half random, half
// repetitive, so snappy has something to do) into tb, flushed into files.
func benchData(b *testing.B, tb *storage.Table, size int) {
	rng := rand.New(rand.NewSource(1))
	val := make([]byte, 200)
	written := 0
	for p := 0; written < size; p++ {
		part := mutation.Partition{Key: pkey(p), Deletion: mutation.Live}
		for c := range 10 {
			rng.Read(val[:100])
			for i := 100; i < len(val); i++ {
				val[i] = byte('a' + (p+i)%4)
			}
			r := mutation.NewRow(ckey(c))
			r.Liveness = mutation.Liveness{Timestamp: int64(p), ExpiresAt: mutation.NoDeletionTime}
			r.Cells = []mutation.Cell{
				{Column: 1, Timestamp: int64(p), LocalDeletionTime: mutation.NoDeletionTime, Value: append([]byte(nil), val...)},
				{Column: 2, Timestamp: int64(p), LocalDeletionTime: mutation.NoDeletionTime, Value: []byte(fmt.Sprint(p * c))},
			}
			part.Rows = append(part.Rows, r)
			written += len(val) + 40
		}
		if err := tb.Apply(&mutation.Mutation{Table: tb.ID(), Partition: part}); err != nil {
			b.Fatal(err)
		}
	}
	if err := tb.Flush(); err != nil {
		b.Fatal(err)
	}
}

// defaultBlocks keeps the engine's default block size (16 KiB).
func defaultBlocks(o *storage.Options) { o.BlockSize = 0 }

// chanTransport carries frames between goroutines as a transport would:
// each frame is copied into a buffer of its own (messaging's codec does the
// same), recycled once the receiver is done with it.
type chanTransport struct {
	ch   chan []byte
	pool sync.Pool
	prev []byte
}

func newChanTransport() *chanTransport {
	return &chanTransport{ch: make(chan []byte, 4)}
}

func (c *chanTransport) send(f []byte) error {
	bp, _ := c.pool.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	buf := append((*bp)[:0], f...)
	c.ch <- buf
	return nil
}

func (c *chanTransport) next() ([]byte, error) {
	if c.prev != nil {
		p := c.prev
		c.pool.Put(&p)
		c.prev = nil
	}
	f, ok := <-c.ch
	if !ok {
		return nil, io.EOF
	}
	c.prev = f
	return f, nil
}

// BenchmarkStream streams about 64 MiB of rows (35 MiB of snappy SSTables)
// between two engines on disk, sender and receiver in two goroutines joined
// by a copying channel, with sections as entries, as blocks (all the ring
// but token 0, so that no file goes whole) and as whole files. MB/s
// is of the sender's SSTable bytes (what cp would copy). After the loop the
// same files are copied as cp copies (read, write, no fsync: cp-MB/s) and
// with an fsync per file (cp+sync-MB/s; an import is synced), in the same
// run for comparison.
func BenchmarkStream(b *testing.B) {
	_, src := openEngine(b, defaultBlocks)
	benchData(b, src, 64<<20)
	var onDisk int64
	var paths []string
	for _, f := range src.Files() {
		onDisk += f.Meta.FileSize
		paths = append(paths, f.Path)
	}
	e, _ := openEngine(b, defaultBlocks)
	whole := []ring.Range{{Start: ring.MinToken, End: ring.MinToken}}
	// All but token 0: no file lies in one range, so none goes whole.
	split := []ring.Range{{Start: ring.MinToken, End: -1}, {Start: 0, End: ring.MinToken}}
	for _, c := range []struct {
		name   string
		format uint32
		ranges []ring.Range
	}{{"entries", 0, whole}, {"blocks", sstable.FormatVersion, split}, {"whole-files", sstable.FormatVersion, whole}} {
		b.Run(c.name, func(b *testing.B) {
			req := Request{Session: "bench", Table: testTable, Ranges: c.ranges, SSTableFormat: c.format}
			var entryBytes int64
			b.SetBytes(onDisk)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				dst := recreate(b, e)
				b.StartTimer()
				tr := newChanTransport()
				var sendErr error
				var wg sync.WaitGroup
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, sendErr = Send(context.Background(), src, req, nil, tr.send)
					close(tr.ch)
				}()
				st, err := Receive(context.Background(), dst, tr.next, nil)
				for range tr.ch {
				}
				wg.Wait()
				if err != nil || sendErr != nil {
					b.Fatal(err, sendErr)
				}
				entryBytes = st.Bytes
			}
			b.StopTimer()
			b.ReportMetric(float64(entryBytes)/(1<<20), "streamed-MiB/op")
			b.ReportMetric(float64(onDisk)/(1<<20), "sstable-MiB/op")
			cpTime := func(sync bool) time.Duration {
				dir := b.TempDir()
				start := time.Now()
				for _, p := range paths {
					if err := copyFile(p, filepath.Join(dir, filepath.Base(p)), sync); err != nil {
						b.Fatal(err)
					}
				}
				return time.Since(start)
			}
			b.ReportMetric(float64(onDisk)/1e6/cpTime(false).Seconds(), "cp-MB/s")
			b.ReportMetric(float64(onDisk)/1e6/cpTime(true).Seconds(), "cp+sync-MB/s")
		})
	}
}

// copyFile copies as cp does, 128 KiB at a time.
func copyFile(from, to string, sync bool) error {
	in, err := vfs.Default.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := vfs.Default.Create(to)
	if err != nil {
		return err
	}
	buf := make([]byte, 128<<10)
	if _, err := io.CopyBuffer(struct{ io.Writer }{out}, struct{ io.Reader }{in}, buf); err != nil {
		out.Close()
		return err
	}
	if sync {
		if err := out.Sync(); err != nil {
			out.Close()
			return err
		}
	}
	return out.Close()
}
