package streaming_test

import (
	"context"
	"fmt"
	"io"
	"log"

	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/ring"
	"wcdb/storage"
	"wcdb/streaming"
)

// Example streams the token range (0, MaxToken] of a table from one node's
// engine to another's. The transport here is a function call: the
// requester's open hands the encoded request to the sender, which answers
// with frames.
func Example() {
	table := mutation.TableID{1}
	var engines []*storage.Engine
	open := func(name string) *storage.Table {
		o := storage.DefaultOptions("/" + name)
		o.FS = vfs.NewMem()
		e, err := storage.Open(o)
		if err != nil {
			log.Fatal(err)
		}
		engines = append(engines, e)
		tb, err := e.CreateTable(table, storage.TableOptions{})
		if err != nil {
			log.Fatal(err)
		}
		return tb
	}
	defer func() {
		for _, e := range engines {
			e.Close()
		}
	}()
	src, dst := open("a"), open("b")
	for i := range 10 {
		key := []byte{byte('a' + i)}
		row := mutation.NewRow([]byte{1})
		row.Cells = []mutation.Cell{{Column: 1, Timestamp: 1, LocalDeletionTime: mutation.NoDeletionTime, Value: []byte("v")}}
		m := &mutation.Mutation{Table: table, Partition: mutation.Partition{
			Key: mutation.Key{Token: ring.Murmur3(key), Bytes: key}, Deletion: mutation.Live, Rows: []mutation.Row{row}}}
		if err := src.Apply(m); err != nil {
			log.Fatal(err)
		}
	}
	th := streaming.NewThrottle(streaming.DefaultThroughput) // one per node

	// The sending node: decode the request, send the frames.
	serve := func(ctx context.Context, enc []byte) (func() ([]byte, error), error) {
		req, err := streaming.DecodeRequest(enc)
		if err != nil {
			return nil, err
		}
		var frames [][]byte
		_, err = streaming.Send(ctx, src, req, th, func(f []byte) error {
			frames = append(frames, append([]byte(nil), f...)) // a transport copies
			return nil
		})
		return func() ([]byte, error) {
			if len(frames) == 0 {
				return nil, io.EOF
			}
			f := frames[0]
			frames = frames[1:]
			return f, nil
		}, err
	}

	// The receiving node.
	reg := streaming.NewRegistry()
	prog := reg.Start("join-1", "node-a", streaming.Receiving, "ks", "t")
	req := streaming.Request{Session: "join-1", Table: table, Ranges: []ring.Range{{Start: 0, End: ring.MaxToken}}}
	st, err := streaming.Fetch(context.Background(), dst, req, serve, 3, prog)
	prog.Finish(err)
	if err != nil {
		log.Fatal(err)
	}
	n := 0
	dst.Scan(storage.ScanQuery{}, func(p *mutation.Partition) bool {
		if p.Key.Token <= 0 {
			log.Fatal("partition outside the range")
		}
		n++
		return true
	})
	info := reg.Snapshot()[0]
	fmt.Printf("%d partitions received in %d section(s), %d partitions readable, session %s %s\n",
		st.Partitions, len(st.Completed), n, info.ID, info.State)
	// Output: 2 partitions received in 1 section(s), 2 partitions readable, session join-1 done
}
