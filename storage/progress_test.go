package storage

import (
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"wcdb/internal/vfs"
)

// TestCompactionProgress holds a major compaction at its output's second
// write: Compactions lists it with its inputs and a share done strictly
// between 0 and 1; once released it is gone from the list.
func TestCompactionProgress(t *testing.T) {
	mem := vfs.NewMem()
	var hold atomic.Bool
	var writes atomic.Int32
	reached := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	inj := vfs.InjectorFunc(func(op vfs.Op) error {
		if hold.Load() && op.Kind == vfs.OpWrite && strings.HasSuffix(op.Path, ".sst.tmp") && writes.Add(1) == 2 {
			once.Do(func() { close(reached) })
			<-release
		}
		return nil
	})
	e := openTest(t, vfs.NewErrorFS(mem, inj), func(o *Options) { o.DisableAutoCompaction = true })
	defer e.Close()
	tb, _ := e.CreateTable(testTable, TableOptions{Compression: "none"})
	// Incompressible rows, so that the output takes several writes.
	r := rand.New(rand.NewPCG(1, 2))
	v := make([]byte, 1<<10)
	for round := range 2 {
		for p := range 1000 {
			for i := range v {
				v[i] = byte(r.Uint32())
			}
			if err := e.Apply(rowMut(p, round, int64(round+1), string(v))); err != nil {
				t.Fatal(err)
			}
		}
		if err := tb.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.Compactions(); len(got) != 0 {
		t.Fatalf("before: %+v", got)
	}
	hold.Store(true)
	done := make(chan error, 1)
	go func() { done <- tb.Compact() }()
	<-reached
	got := e.Compactions()
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("during the compaction: %+v; want one", got)
	}
	c := got[0]
	if c.Table != testTable || c.Files != 2 || c.Bytes <= 2<<20 || c.Done <= 0 || c.Done >= 1 {
		t.Errorf("listed %+v; want 2 files of table %x, over 2 MiB, partly done", c, testTable)
	}
	t.Logf("held at %.0f%% done", 100*c.Done)
	if got := e.Compactions(); len(got) != 0 {
		t.Errorf("after: %+v", got)
	}
}
