package messaging

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"reflect"
	"testing"
	"time"

	"go.uber.org/goleak"

	"wcdb/internal/localnode"
	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/ring"
	"wcdb/storage"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var testTable = mutation.TableID{0x77, 't'}

// openReplica returns a localnode replica on an in-memory engine with
// testTable created.
func openReplica(tb testing.TB) localnode.Replica {
	tb.Helper()
	o := storage.DefaultOptions("/db")
	o.FS = vfs.NewMem()
	e, err := storage.Open(o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { e.Close() })
	if _, err := e.CreateTable(testTable, storage.TableOptions{}); err != nil {
		tb.Fatal(err)
	}
	return localnode.Replica{E: e}
}

// startServer serves local on a free loopback port until the test ends.
func startServer(tb testing.TB, local replication.Replica, opts ServerOptions) (*Server, string) {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	return serveOn(tb, l, local, opts), l.Addr().String()
}

func serveOn(tb testing.TB, l net.Listener, local replication.Replica, opts ServerOptions) *Server {
	tb.Helper()
	s, err := NewServer(local, opts)
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	tb.Cleanup(func() {
		s.Stop()
		if err := <-done; err != nil {
			tb.Errorf("serve: got %v, want nil", err)
		}
	})
	return s
}

func dial(tb testing.TB, addr string, opts DialOptions) *Client {
	tb.Helper()
	c, err := Dial(addr, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

func key(s string) mutation.Key {
	return mutation.Key{Token: ring.Murmur3([]byte(s)), Bytes: []byte(s)}
}

// Generators of random data: every kind of tombstone, TTLs, collection
// cells with paths, static rows. They produce values in the canonical form
// decoding gives (a live cell's deletion time is NoDeletionTime, and so
// on), so that a round trip must give them back exactly, up to nil versus
// empty slices.

func randBytes(r *rand.Rand, maxLen int) []byte {
	b := make([]byte, r.IntN(maxLen+1))
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

func randTimestamp(r *rand.Rand) int64 {
	switch r.IntN(4) {
	case 0:
		return r.Int64() - r.Int64() // anywhere, deltas overflow
	case 1:
		return int64(r.IntN(10))
	default:
		return 1_700_000_000_000_000 + int64(r.IntN(1_000_000))
	}
}

// recentDeletion is a local deletion time that raw reads keep (within
// gc_grace_seconds of now).
var recentDeletion = time.Now().Unix() - 1000

func randDeletion(r *rand.Rand) mutation.Deletion {
	return mutation.Deletion{Timestamp: randTimestamp(r), LocalDeletionTime: recentDeletion + int64(r.IntN(1000))}
}

func randCell(r *rand.Rand, col uint32, ts int64, path []byte) mutation.Cell {
	c := mutation.Cell{Column: col, Path: path, Timestamp: ts, LocalDeletionTime: mutation.NoDeletionTime}
	if r.IntN(3) == 0 {
		c.Timestamp = randTimestamp(r)
	}
	switch r.IntN(6) {
	case 0:
		c.Flags = mutation.CellTombstone
		c.LocalDeletionTime = 1_700_000_000 + int64(r.IntN(1000))
	case 1:
		c.Flags = mutation.CellExpiring
		c.TTL = int32(1 + r.IntN(86400))
		c.LocalDeletionTime = 1_700_000_000 + int64(r.IntN(100000))
		c.Value = randBytes(r, 20)
	default:
		c.Value = randBytes(r, 40)
	}
	return c
}

func randRow(r *rand.Rand, clustering []byte) mutation.Row {
	row := mutation.NewRow(clustering)
	ts := randTimestamp(r)
	switch r.IntN(4) {
	case 0:
	case 1:
		row.Liveness = mutation.Liveness{Timestamp: ts, TTL: int32(1 + r.IntN(1000)), ExpiresAt: 1_700_000_000 + int64(r.IntN(1000))}
	default:
		row.Liveness = mutation.Liveness{Timestamp: ts, ExpiresAt: mutation.NoDeletionTime}
	}
	if r.IntN(5) == 0 {
		row.Deletion = randDeletion(r)
	}
	col := uint32(0)
	for range r.IntN(6) {
		col += 1 + uint32(r.IntN(3))
		if r.IntN(4) > 0 {
			row.Cells = append(row.Cells, randCell(r, col, ts, nil))
			continue
		}
		// A collection column: maybe a column deletion, then elements.
		if r.IntN(2) == 0 {
			row.Cells = append(row.Cells, mutation.Cell{Column: col, Flags: mutation.CellColumnDeletion,
				Timestamp: ts - 1, LocalDeletionTime: recentDeletion})
		}
		var path []byte
		for range 1 + r.IntN(4) {
			path = append(mutation.PrefixEnd(path), byte(r.IntN(256)))
			row.Cells = append(row.Cells, randCell(r, col, ts, path))
		}
	}
	return row
}

func randPartition(r *rand.Rand) *mutation.Partition {
	p := &mutation.Partition{Key: key(string(randBytes(r, 12))), Deletion: mutation.Live}
	if r.IntN(5) == 0 {
		p.Deletion = randDeletion(r)
	}
	for range r.IntN(3) {
		rt := mutation.RangeTombstone{Start: randBytes(r, 6), Deletion: randDeletion(r)}
		if r.IntN(2) == 0 {
			rt.End = append(rt.Start, randBytes(r, 3)...)
		}
		p.RangeTombstones = append(p.RangeTombstones, rt)
	}
	if r.IntN(3) == 0 {
		s := randRow(r, nil)
		p.Static = &s
	}
	var c []byte
	for range r.IntN(8) {
		c = append(mutation.PrefixEnd(append(c, 0)), randBytes(r, 3)...)
		p.Rows = append(p.Rows, randRow(r, append([]byte(nil), c...)))
	}
	return p
}

func randMutation(r *rand.Rand) mutation.Mutation {
	var t mutation.TableID
	for i := range t {
		t[i] = byte(r.IntN(256))
	}
	return mutation.Mutation{Table: t, Partition: *randPartition(r)}
}

func randOptBytes(r *rand.Rand) []byte {
	if r.IntN(3) == 0 {
		return nil
	}
	return randBytes(r, 8) // may be empty, not nil
}

func randColumns(r *rand.Rand) []uint32 {
	if r.IntN(3) == 0 {
		return nil
	}
	cols := []uint32{}
	c := uint32(0)
	for range r.IntN(5) {
		c += 1 + uint32(r.IntN(1<<r.IntN(32)))
		cols = append(cols, c)
	}
	return cols
}

func randLimit(r *rand.Rand) int {
	switch r.IntN(3) {
	case 0:
		return 0
	case 1:
		return r.IntN(1000)
	}
	return int(r.Int64())
}

func randReadCommand(r *rand.Rand) replication.ReadCommand {
	return replication.ReadCommand{Table: randMutation(r).Table, Key: key(string(randBytes(r, 10))),
		Start: randOptBytes(r), End: randOptBytes(r), Reverse: r.IntN(2) == 0, Limit: randLimit(r),
		Columns: randColumns(r), Raw: r.IntN(2) == 0}
}

func randPosition(r *rand.Rand) *replication.Position {
	return &replication.Position{Key: key(string(randBytes(r, 10))), Clustering: randOptBytes(r)}
}

func randRangeCommand(r *rand.Rand) replication.RangeCommand {
	c := replication.RangeCommand{Table: randMutation(r).Table, Start: randOptBytes(r), End: randOptBytes(r),
		Columns: randColumns(r), Limit: randLimit(r), PerPartitionLimit: randLimit(r), Raw: r.IntN(2) == 0}
	if r.IntN(2) == 0 {
		k := key(string(randBytes(r, 10)))
		c.From = &k
	}
	if r.IntN(2) == 0 {
		k := mutation.Key{Token: r.Int64()}
		c.To = &k
	}
	if r.IntN(2) == 0 {
		c.After = randPosition(r)
	}
	if r.IntN(2) == 0 {
		c.Index = &replication.IndexQuery{Name: string(randBytes(r, 8)), Lo: randOptBytes(r), Hi: randOptBytes(r),
			LoExclusive: r.IntN(2) == 0, HiExclusive: r.IntN(2) == 0}
	}
	return c
}

func randRangeResult(r *rand.Rand) replication.RangeResult {
	var res replication.RangeResult
	for range r.IntN(5) {
		res.Partitions = append(res.Partitions, randPartition(r))
	}
	if r.IntN(2) == 0 {
		res.Next = randPosition(r)
	}
	return res
}

// normBytes maps empty slices to nil: the encoding keeps them apart only
// where nil means something (optional bounds), and there the tests compare
// without normalizing.
func normBytes(b *[]byte) {
	if len(*b) == 0 {
		*b = nil
	}
}

func normRow(r *mutation.Row) {
	normBytes(&r.Clustering)
	if len(r.Cells) == 0 {
		r.Cells = nil
	}
	for i := range r.Cells {
		normBytes(&r.Cells[i].Path)
		normBytes(&r.Cells[i].Value)
	}
}

// normPartition normalizes p in place, for comparison.
func normPartition(p *mutation.Partition) {
	if p == nil {
		return
	}
	normBytes(&p.Key.Bytes)
	if len(p.RangeTombstones) == 0 {
		p.RangeTombstones = nil
	}
	for i := range p.RangeTombstones {
		normBytes(&p.RangeTombstones[i].Start)
	}
	if p.Static != nil {
		normRow(p.Static)
	}
	if len(p.Rows) == 0 {
		p.Rows = nil
	}
	for i := range p.Rows {
		normRow(&p.Rows[i])
	}
}

func clonePartition(p *mutation.Partition) *mutation.Partition {
	if p == nil {
		return nil
	}
	m, err := mutation.DecodeMutation(mutation.AppendMutation(nil, &mutation.Mutation{Partition: *p}))
	if err != nil {
		panic(err)
	}
	return &m.Partition
}

func samePartition(a, b *mutation.Partition) bool {
	a, b = clonePartition(a), clonePartition(b)
	normPartition(a)
	normPartition(b)
	return reflect.DeepEqual(a, b)
}

func normKey(k *mutation.Key) {
	if k != nil {
		normBytes(&k.Bytes)
	}
}

// replicaFunc is a Replica whose methods tests set one by one; unset
// methods fail.
type replicaFunc struct {
	apply     func(context.Context, *mutation.Mutation) error
	read      func(context.Context, replication.ReadCommand) (*mutation.Partition, error)
	digest    func(context.Context, replication.ReadCommand) ([]byte, error)
	readRange func(context.Context, replication.RangeCommand) (replication.RangeResult, error)
}

var errUnset = errors.New("unset replica method")

func (f *replicaFunc) Apply(ctx context.Context, m *mutation.Mutation) error {
	if f.apply == nil {
		return errUnset
	}
	return f.apply(ctx, m)
}

func (f *replicaFunc) Read(ctx context.Context, cmd replication.ReadCommand) (*mutation.Partition, error) {
	if f.read == nil {
		return nil, errUnset
	}
	return f.read(ctx, cmd)
}

func (f *replicaFunc) Digest(ctx context.Context, cmd replication.ReadCommand) ([]byte, error) {
	if f.digest == nil {
		return nil, errUnset
	}
	return f.digest(ctx, cmd)
}

func (f *replicaFunc) ReadRange(ctx context.Context, cmd replication.RangeCommand) (replication.RangeResult, error) {
	if f.readRange == nil {
		return replication.RangeResult{}, errUnset
	}
	return f.readRange(ctx, cmd)
}

// blocking returns a replica whose calls wait until their ctx ends (and
// then return its error), counting them in started.
func blocking(started chan<- struct{}) *replicaFunc {
	wait := func(ctx context.Context) error {
		if started != nil {
			started <- struct{}{}
		}
		<-ctx.Done()
		return ctx.Err()
	}
	return &replicaFunc{
		apply: func(ctx context.Context, _ *mutation.Mutation) error { return wait(ctx) },
		read: func(ctx context.Context, _ replication.ReadCommand) (*mutation.Partition, error) {
			return nil, wait(ctx)
		},
	}
}
