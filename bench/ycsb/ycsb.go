// Package ycsb runs YCSB's core workloads against a database over the
// network and measures them as YCSB does, with coordinated omission kept
// out of the latencies.
//
// Workloads (YCSB's workloads/workload[a-f]; records of Fields fields of
// FieldLength printable bytes, keys "user" + the FNV-64 hash of the insert
// sequence number, YCSB's hashed insert order):
//
//	load  insert Records records
//	a     50% read, 50% update, zipfian
//	b     95% read, 5% update, zipfian
//	c     100% read, zipfian
//	d     95% read, 5% insert, latest
//	e     95% scan (length uniform in [1, MaxScanLength]), 5% insert, zipfian
//	f     50% read, 50% read-modify-write, zipfian
//
// A read reads all fields, an update writes one field chosen uniformly,
// an insert writes all fields, a read-modify-write reads the record and
// then updates one field (its READ and UPDATE are also recorded as such,
// as YCSB does). Zipfian is YCSB's scrambled zipfian (constant 0.99) over
// the records plus room for twice the expected inserts, redrawn while the
// draw lies beyond the last acknowledged insert; latest is YCSB's skewed
// latest, a zipfian over the records counted back from the newest
// acknowledged insert. Inserts during a run take sequence numbers from an
// acknowledged counter: a key is offered to readers only once every insert
// up to it has returned (as YCSB, also when the insert failed; a read of
// such a key then counts as a not_found error).
//
// Phases run in the order given, against one database: run phases see the
// records of the load and of earlier phases' inserts.
//
// Timing: with a target rate each worker has a schedule of intended start
// times (Target/Threads per second, the workers' schedules offset from
// each other); a worker ahead of its schedule sleeps, one behind it starts
// at once. Latency is measured from the intended start, so a stall of the
// database shows in the latency of every operation it delayed rather than
// only the one it hit (coordinated omission); service time, from the
// actual start, is recorded beside it. Without a target the intended start
// is the actual start.
package ycsb

import (
	"context"
	"errors"
	"net"
	"os"
)

// Field is one field of a record: its name and value. Values are views
// of a shared buffer and must not be modified or kept after the call.
type Field struct {
	Name  string
	Value string
}

// Client is one worker's connection to the database. A Client is used by
// one goroutine at a time.
type Client interface {
	// Insert writes a new record with all its fields.
	Insert(ctx context.Context, key string, fields []Field) error
	// Read reads all fields of a record; a missing record is an error
	// matching ErrNotFound.
	Read(ctx context.Context, key string) error
	// Update writes the given fields of a record.
	Update(ctx context.Context, key string, fields []Field) error
	// Scan reads up to n records with all their fields, starting at key in
	// the database's scan order, and returns how many it read.
	Scan(ctx context.Context, key string, n int) (int, error)
	Close() error
}

// DB is a database under test: it hands out a Client per worker.
type DB interface {
	// Client returns a new client for one worker.
	Client(ctx context.Context) (Client, error)
	// Facts describes the database and its settings as they bear on the
	// figures (version, durability settings), for the result.
	Facts(ctx context.Context) map[string]string
	Close() error
}

// Errors a driver wraps its errors in so that they are counted by kind.
var (
	ErrNotFound    = errors.New("ycsb: record not found")
	ErrTimeout     = errors.New("ycsb: timeout")
	ErrUnavailable = errors.New("ycsb: unavailable")
)

// ErrorKind is how a failed operation is counted.
type ErrorKind int

// Error kinds.
const (
	KindTimeout ErrorKind = iota
	KindUnavailable
	KindNotFound
	KindOther
	numKinds
)

var kindNames = [numKinds]string{"timeout", "unavailable", "not_found", "other"}

func (k ErrorKind) String() string { return kindNames[k] }

// Classify returns the kind of a failed operation's error: the driver's
// wrapping first, then context deadlines and network timeouts, then
// refused connections as unavailable.
func Classify(err error) ErrorKind {
	switch {
	case errors.Is(err, ErrNotFound):
		return KindNotFound
	case errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return KindTimeout
	case errors.Is(err, ErrUnavailable):
		return KindUnavailable
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return KindTimeout
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return KindUnavailable
	}
	return KindOther
}
