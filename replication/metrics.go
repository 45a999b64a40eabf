package replication

import "sync/atomic"

// Metrics are the coordinator's counters since it started (Cassandra's
// ReadRepair and speculative retry metrics).
type Metrics struct {
	// ReadRepairs counts the replicas a read wrote the reconciled data to
	// because their answer differed (blocking read repair; range reads
	// included).
	ReadRepairs int64
	// SpeculativeRetries counts reads that asked one more replica because
	// the first were slow.
	SpeculativeRetries int64
}

type counters struct {
	readRepairs, speculativeRetries atomic.Int64
}

// Metrics returns the coordinator's counters.
func (d *Distributed) Metrics() Metrics {
	return Metrics{ReadRepairs: d.counters.readRepairs.Load(), SpeculativeRetries: d.counters.speculativeRetries.Load()}
}
