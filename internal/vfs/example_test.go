package vfs_test

import (
	"errors"
	"fmt"

	"wcdb/internal/vfs"
)

func ExampleMemFS_Crash() {
	m := vfs.NewMem()
	m.MkdirAll("/db", 0o755) // durable at once in MemFS

	f, _ := m.Create("/db/log")
	m.SyncDir("/db") // the name "log" is durable
	f.Write([]byte("synced;"))
	f.Sync()
	f.Write([]byte("lost;"))
	f.Close()
	m.Rename("/db/log", "/db/log.old") // not durable: /db is not synced again

	c := m.Crash()
	names, _ := c.List("/db")
	data, _ := vfs.ReadFile(c, "/db/log")
	fmt.Println(names, string(data))
	// Output: [log] synced;
}

func ExampleErrorFS() {
	// Fail the second mutating operation: the Write inside WriteFileAtomic.
	e := vfs.NewErrorFS(vfs.NewMem(), vfs.WritesOnly(vfs.OnIndex(1)))
	err := vfs.WriteFileAtomic(e, "/MANIFEST", []byte("v1"))
	fmt.Println(err, errors.Is(err, vfs.ErrInjected))
	// Output: write /MANIFEST.tmp: vfs: injected error (op #1 write /MANIFEST.tmp) true
}
