package hints_test

import (
	"context"
	"fmt"
	"log"

	"wcdb/internal/hints"
	"wcdb/internal/vfs"
	"wcdb/mutation"
)

func Example() {
	opts := hints.Options{FS: vfs.NewMem(), Dir: "/data/hints"}
	s, err := hints.Open(opts)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	// The coordinator could not reach node n2 for two writes.
	for _, key := range []string{"alice", "bob"} {
		m := &mutation.Mutation{Partition: mutation.Partition{Key: mutation.Key{Bytes: []byte(key)}, Deletion: mutation.Live}}
		if err := s.Add("n2", m); err != nil {
			log.Fatal(err)
		}
	}
	n, _ := s.Pending("n2")
	fmt.Println(s.Targets(), n, "pending")

	// n2 is back: hand the hints off.
	sent, err := s.Replay(context.Background(), "n2", func(_ context.Context, batch []*mutation.Mutation) error {
		for _, m := range batch {
			fmt.Printf("send %s\n", m.Partition.Key.Bytes)
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	n, _ = s.Pending("n2")
	fmt.Println(sent, "sent,", n, "pending")
	// Output:
	// [n2] 2 pending
	// send alice
	// send bob
	// 2 sent, 0 pending
}
