package localnode

import (
	"bytes"
	"context"
	"testing"
	"time"

	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/ring"
	"wcdb/storage"
)

var tid = mutation.TableID{'t'}

func openReplica(t *testing.T) Replica {
	o := storage.DefaultOptions("/db")
	o.FS = vfs.NewMem()
	e, err := storage.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	if _, err := e.CreateTable(tid, storage.TableOptions{}); err != nil {
		t.Fatal(err)
	}
	return Replica{E: e}
}

func key(s string) mutation.Key {
	return mutation.Key{Token: ring.Murmur3([]byte(s)), Bytes: []byte(s)}
}

func write(t *testing.T, r Replica, k string, ts int64, v string) {
	row := mutation.NewRow([]byte{})
	row.Liveness = mutation.Liveness{Timestamp: ts, ExpiresAt: mutation.NoDeletionTime}
	row.Cells = []mutation.Cell{{Column: 1, Timestamp: ts, LocalDeletionTime: mutation.NoDeletionTime, Value: []byte(v)}}
	m := &mutation.Mutation{Table: tid, Partition: mutation.Partition{Key: key(k), Deletion: mutation.Live, Rows: []mutation.Row{row}}}
	if err := r.Apply(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

// TestDigest checks that replicas with the same data agree on a digest,
// that a difference in value or timestamp changes it, and that a raw read
// carries a partition deletion a visible read hides.
func TestDigest(t *testing.T) {
	ctx := context.Background()
	a, b := openReplica(t), openReplica(t)
	write(t, a, "k", 10, "x")
	write(t, b, "k", 10, "x")
	cmd := replication.ReadCommand{Table: tid, Key: key("k"), Raw: true}
	da, err := a.Digest(ctx, cmd)
	if err != nil {
		t.Fatal(err)
	}
	db, err := b.Digest(ctx, cmd)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(da, db) {
		t.Fatalf("digests of equal data differ: %x %x", da, db)
	}
	write(t, b, "k", 11, "x")
	if db, _ = b.Digest(ctx, cmd); bytes.Equal(da, db) {
		t.Fatalf("digest unchanged by a newer timestamp: %x", da)
	}
	empty, _ := a.Digest(ctx, replication.ReadCommand{Table: tid, Key: key("none"), Raw: true})
	if bytes.Equal(empty, da) {
		t.Fatalf("digest of no data equals digest of data")
	}

	del := &mutation.Mutation{Table: tid, Partition: mutation.Partition{Key: key("k"),
		Deletion: mutation.Deletion{Timestamp: 20, LocalDeletionTime: time.Now().Unix()}}} // recent: a raw read keeps it
	if err := a.Apply(ctx, del); err != nil {
		t.Fatal(err)
	}
	p, err := a.Read(ctx, replication.ReadCommand{Table: tid, Key: key("k")})
	if err != nil || p != nil {
		t.Fatalf("visible read after partition deletion: %v, %v; want nil", p, err)
	}
	p, err = a.Read(ctx, cmd)
	if err != nil || p == nil || p.Deletion.Timestamp != 20 {
		t.Fatalf("raw read after partition deletion: %+v, %v; want the deletion at 20", p, err)
	}
}

// TestPools counts the calls served, Digest's read once, and drops the
// calls whose deadline passed before they began.
func TestPools(t *testing.T) {
	r := openReplica(t)
	r.Pools = new(Pools)
	write(t, r, "a", 1, "x")
	write(t, r, "b", 1, "y")
	ctx := context.Background()
	cmd := replication.ReadCommand{Table: tid, Key: key("a")}
	if _, err := r.Read(ctx, cmd); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Digest(ctx, cmd); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadRange(ctx, replication.RangeCommand{Table: tid}); err != nil {
		t.Fatal(err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if err := r.Apply(done, &mutation.Mutation{Table: tid, Partition: mutation.Partition{Key: key("c")}}); err == nil {
		t.Error("an apply after its deadline succeeded")
	}
	if _, err := r.Read(done, cmd); err == nil {
		t.Error("a read after its deadline succeeded")
	}
	if got, want := r.Pools.Mutations.Stats(), (StageStats{Completed: 2, Dropped: 1}); got != want {
		t.Errorf("mutations: got %+v, want %+v", got, want)
	}
	if got, want := r.Pools.Reads.Stats(), (StageStats{Completed: 3, Dropped: 1}); got != want {
		t.Errorf("reads: got %+v, want %+v", got, want)
	}
}

// TestApplyAll: the mutations are each applied and each a completed task;
// one that fails (a counter update) does not keep the others out, and its
// error is returned.
func TestApplyAll(t *testing.T) {
	r := openReplica(t)
	r.Pools = new(Pools)
	var ms []*mutation.Mutation
	for _, k := range []string{"a", "b", "c"} {
		row := mutation.NewRow([]byte{})
		row.Liveness = mutation.Liveness{Timestamp: 1, ExpiresAt: mutation.NoDeletionTime}
		row.Cells = []mutation.Cell{{Column: 1, Timestamp: 1, LocalDeletionTime: mutation.NoDeletionTime, Value: []byte(k)}}
		if k == "b" {
			row.Cells[0].Flags = mutation.CellCounterUpdate
		}
		ms = append(ms, &mutation.Mutation{Table: tid, Partition: mutation.Partition{Key: key(k), Deletion: mutation.Live, Rows: []mutation.Row{row}}})
	}
	ctx := context.Background()
	if err := r.ApplyAll(ctx, ms); err == nil {
		t.Error("a counter update was applied as a mutation")
	}
	for k, want := range map[string]int{"a": 1, "b": 0, "c": 1} {
		p, err := r.Read(ctx, replication.ReadCommand{Table: tid, Key: key(k)})
		if err != nil {
			t.Fatal(err)
		}
		if got := rowsOf(p); got != want {
			t.Errorf("%s: got %d rows, want %d", k, got, want)
		}
	}
	if got, want := r.Pools.Mutations.Stats(), (StageStats{Completed: 3}); got != want {
		t.Errorf("mutations: got %+v, want %+v", got, want)
	}
}

func rowsOf(p *mutation.Partition) int {
	if p == nil {
		return 0
	}
	return len(p.Rows)
}
