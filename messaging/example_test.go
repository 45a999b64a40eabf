package messaging_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"wcdb/internal/localnode"
	"wcdb/internal/vfs"
	"wcdb/messaging"
	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/storage"
)

var table = mutation.TableID{1}

// engineReplica returns a node's replica on an in-memory engine, and a
// function that closes it.
func engineReplica() (localnode.Replica, func()) {
	o := storage.DefaultOptions("/db")
	o.FS = vfs.NewMem()
	e, err := storage.Open(o)
	if err != nil {
		panic(err)
	}
	if _, err := e.CreateTable(table, storage.TableOptions{}); err != nil {
		panic(err)
	}
	return localnode.Replica{E: e}, func() { e.Close() }
}

func write(key, value string) *mutation.Mutation {
	ts := time.Now().UnixMicro()
	row := mutation.NewRow([]byte{0})
	row.Liveness = mutation.Liveness{Timestamp: ts, ExpiresAt: mutation.NoDeletionTime}
	row.Cells = []mutation.Cell{{Column: 1, Timestamp: ts, LocalDeletionTime: mutation.NoDeletionTime, Value: []byte(value)}}
	return &mutation.Mutation{Table: table, Partition: mutation.Partition{
		Key: mutation.Key{Token: int64(len(key)), Bytes: []byte(key)}, Deletion: mutation.Live, Rows: []mutation.Row{row}}}
}

// A node serves its replica over gRPC; a peer dials it and uses it as a
// replication.Replica.
func ExampleDial() {
	local, closeEngine := engineReplica()
	defer closeEngine()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv, err := messaging.NewServer(local, messaging.ServerOptions{Node: "node-1"})
	if err != nil {
		panic(err)
	}
	go srv.Serve(l)
	defer srv.Stop()

	peer, err := messaging.Dial(l.Addr().String(), messaging.DialOptions{Timeout: 2 * time.Second})
	if err != nil {
		panic(err)
	}
	defer peer.Close()
	ctx := context.Background()
	m := write("alice", "hello")
	if err := peer.Apply(ctx, m); err != nil {
		panic(err)
	}
	p, err := peer.Read(ctx, replication.ReadCommand{Table: table, Key: m.Partition.Key})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s\n", p.Rows[0].Cells[0].Value)
	// Output: hello
}

// A coordinator test cuts a replica off and sees the kind of error a real
// network would give.
func ExampleNetwork() {
	local, closeEngine := engineReplica()
	defer closeEngine()
	n := messaging.NewNetwork()
	defer n.Close()
	n.Register("n1", local, messaging.ServerOptions{Node: "n1"})
	peer := n.Replica("n2", "n1")

	v, err := peer.Ping(context.Background())
	fmt.Println(v.Node, err)

	n.Partition("n1", "n2")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err = peer.Apply(ctx, write("bob", "lost"))
	fmt.Println(messaging.KindOf(err))

	n.SetFailFast(true)
	_, err = peer.Ping(context.Background())
	fmt.Println(messaging.KindOf(err))
	// Output:
	// n1 <nil>
	// timeout
	// unavailable
}
