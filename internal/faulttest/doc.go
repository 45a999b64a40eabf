// Package faulttest holds the cluster fault tests: each builds the wcdb
// command once, runs a cluster of three or four nodes as separate
// processes, puts a client load on it and injects one fault or change — a
// node killed with SIGKILL and restarted, a node cut from the others by a
// network partition (in network namespaces), a node paused with SIGSTOP
// past the request timeout, a datacenter made unreachable, a node joining
// (and killed in the middle of its streams), a node decommissioning, a
// power loss of one node or of all (on a lazy FUSE file system,
// powerloss_test.go) — and then checks what the clients were told against what the cluster holds.
//
// Every write has a key and a value of its own and is recorded as ok,
// failed or unknown. Ok writes must all be readable with their value;
// failed ones (Unavailable, or never sent) must not be there, as
// Unavailable means the coordinator wrote nothing; unknown ones (timeouts,
// broken connections) may be either. The package has only tests: go test
// ./internal/faulttest, skipped under -short.
package faulttest
