package storage

import (
	"errors"
	"io/fs"
	"os"
	"syscall"

	"wcdb/internal/corrupt"
)

// Disk failures. The engine tells its owner of every I/O error it meets
// (Options.CommitFailure for the commit log, Options.DiskFailure for
// SSTables), which applies the node's commit_failure_policy and
// disk_failure_policy; the engine itself carries on: a failed flush keeps
// its memtable and is tried again (see bgWork.flushLoop), a failed
// compaction leaves its inputs live, a failed read fails that read, and
// the commit log writes again by itself once it can (see
// commitlog.Log.Append).
//
// Corruption is not a disk failure: a corrupt SSTable is set aside
// (never compaction input again) and reads of it fail, as Cassandra does
// under every disk_failure_policy but stop_paranoid.

// errCompactionStopped ends a compaction cut short by Close.
var errCompactionStopped = errors.New("storage: compaction stopped")

// DiskFailure operations, as Options.DiskFailure is told them.
const (
	OpFlush      = "flush"
	OpCompaction = "compaction"
	OpCleanup    = "cleanup"
	OpRead       = "read"
	// OpImport: writing an SSTable streamed from another node (bootstrap,
	// decommission, repair, rebuild), as Cassandra applies the policy to
	// a stream's file writes.
	OpImport = "import"
)

// isIOError reports whether err is the file system's failure (ENOSPC, EIO,
// a read-only file system...) rather than corruption, a stopped task or a
// caller's mistake.
func isIOError(err error) bool {
	if err == nil || errors.Is(err, corrupt.Err) {
		return false
	}
	var pe *fs.PathError
	var le *os.LinkError
	var se *os.SyscallError
	var errno syscall.Errno
	return errors.As(err, &pe) || errors.As(err, &le) || errors.As(err, &se) || errors.As(err, &errno)
}

// diskFailure tells Options.DiskFailure of err, the error of op on the
// files of table t, if it is an I/O error.
func (t *Table) diskFailure(op string, err error) {
	if isIOError(err) {
		t.e.opts.DiskFailure(op, t.dir, err)
	}
}

// importFailed tells DiskFailure of an import's err if it is an I/O
// error, and returns it.
func (t *Table) importFailed(err error) error {
	t.diskFailure(OpImport, err)
	return err
}

// readFailed is deferred by the reads with their error: an I/O error is a
// disk failure.
func (t *Table) readFailed(err *error) {
	if *err != nil {
		t.diskFailure(OpRead, *err)
	}
}
