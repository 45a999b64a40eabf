package commitlog_test

import (
	"fmt"
	"log"

	"wcdb/commitlog"
	"wcdb/internal/vfs"
)

func Example() {
	fs := vfs.NewMem()
	opts := commitlog.Options{FS: fs, Dir: "/data/commitlog", Sync: commitlog.Batch}

	// First run: nothing to replay; append two records.
	l, err := commitlog.Open(opts)
	if err != nil {
		log.Fatal(err)
	}
	if err := l.Replay(func(commitlog.Position, []byte) error { return nil }); err != nil {
		log.Fatal(err)
	}
	for _, rec := range []string{"first mutation", "second mutation"} {
		if _, err := l.Append([]byte(rec)); err != nil {
			log.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		log.Fatal(err)
	}

	// After a restart: replay, then release what the flushed memtables hold.
	l, err = commitlog.Open(opts)
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	err = l.Replay(func(pos commitlog.Position, rec []byte) error {
		fmt.Printf("%v %s\n", pos, rec)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := l.Release(l.Current()); err != nil {
		log.Fatal(err)
	}
	// Output:
	// 1:24 first mutation
	// 1:50 second mutation
}
