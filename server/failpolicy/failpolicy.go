// Package failpolicy applies commit_failure_policy (commitlog.failure_policy) and
// disk_failure_policy (storage.disk_failure_policy) to the failures the
// storage engine reports, as Cassandra does:
//
//   - stop: log at ERROR, stop the CQL server (clients are disconnected and
//     the port refuses connections) and gossip (memberlist shuts down
//     without leaving, so the other nodes see this one DOWN, keep its
//     tokens, and hint the writes meant for it), and keep the process up
//     so that an operator can look at it (wcdb admin still answers on the
//     internode port). A stopped node stays stopped until it is restarted.
//   - die: log at ERROR, stop the transports as stop does, and ask the
//     process to exit (Node.Fatal; the server package never exits itself).
//   - ignore: log at ERROR and go on: the commit log writes again, and
//     failed flushes are tried again, once the disk allows.
//
// Cassandra's best_effort and stop_paranoid (disk_failure_policy) and
// stop_commit (commit_failure_policy) are refused by Validate: wcdb keeps
// its data in one directory, so there is no other disk to go on with, and
// corrupt SSTables are set aside rather than counted as disk failures.
package failpolicy

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"wcdb/server/config"
	"wcdb/storage"
)

// failureLogInterval spaces the ERROR lines of repeated failures of one
// kind (a full disk fails every write): the first is logged at once, the
// next at most one per interval with a count of those left out.
const failureLogInterval = 10 * time.Second

// Handler applies the policies. It exists before the node it stops (the
// engine reports failures from its replay on), whose transports Attach
// gives it once started; a stop asked before is carried out then.
type Handler struct {
	log          *slog.Logger
	commitPolicy string
	diskPolicy   string
	// fatal is closed when a die policy fires; fatalErr says why.
	fatal    chan struct{}
	fatalErr error

	mu struct {
		sync.Mutex
		stopper  func() // stops the node's transports; nil before Attach
		stop     bool   // a stop (or die) was asked for
		stopped  bool   // the transports are stopped
		lastLog  map[string]time.Time
		unlogged map[string]int
		dieOnce  bool
	}
}

// New returns the handler of a node's policies.
func New(commitPolicy, diskPolicy string, log *slog.Logger) *Handler {
	h := &Handler{log: log, commitPolicy: commitPolicy, diskPolicy: diskPolicy, fatal: make(chan struct{})}
	h.mu.lastLog = map[string]time.Time{}
	h.mu.unlogged = map[string]int{}
	return h
}

// Set makes the engine report its failures to h.
func (h *Handler) Set(o *storage.Options) {
	o.CommitFailure = h.CommitFailure
	o.DiskFailure = h.DiskFailure
}

// CommitFailure is storage.Options.CommitFailure.
func (h *Handler) CommitFailure(err error) {
	h.apply("commit_failure_policy", h.commitPolicy, "commit log write", failedPath(err, ""), err)
}

// DiskFailure is storage.Options.DiskFailure.
func (h *Handler) DiskFailure(op, dir string, err error) {
	h.apply("disk_failure_policy", h.diskPolicy, "SSTable "+op, failedPath(err, dir), err)
}

// failedPath is the file an error names, or def.
func failedPath(err error, def string) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Path
	}
	return def
}

// apply logs a failure at ERROR and does what policy says. It returns at
// once: the engine calls it from its own goroutines (the commit log's
// waits for it).
func (h *Handler) apply(setting, policy, what, path string, err error) {
	h.mu.Lock()
	now := time.Now()
	key := setting + " " + what
	logIt := now.Sub(h.mu.lastLog[key]) >= failureLogInterval
	unlogged := h.mu.unlogged[key]
	if logIt {
		h.mu.lastLog[key] = now
		h.mu.unlogged[key] = 0
	} else {
		h.mu.unlogged[key]++
	}
	first := !h.mu.stop && policy != config.PolicyIgnore
	if policy != config.PolicyIgnore {
		h.mu.stop = true
	}
	die := policy == config.PolicyDie && !h.mu.dieOnce
	if die {
		h.mu.dieOnce = true
		h.fatalErr = fmt.Errorf("%s failed (%s: die): %s: %w", what, setting, path, err)
	}
	stopper := h.mu.stopper
	h.mu.Unlock()

	if logIt {
		args := []any{"setting", setting, "policy", policy, "path", path, "err", err}
		if unlogged > 0 {
			args = append(args, "not_logged_since_last", unlogged)
		}
		h.log.Error(what+" failed", args...)
	}
	if first {
		switch policy {
		case config.PolicyStop:
			h.log.Error("stopping the node's transports ("+setting+"=stop): the CQL server and gossip stop, the other nodes see this one down and hint its writes; the process stays up for inspection (wcdb admin answers); restart it once the disk is fixed",
				"cause", what, "path", path)
		case config.PolicyDie:
			h.log.Error("stopping the node's transports and exiting ("+setting+"=die)", "cause", what, "path", path)
		}
		if stopper != nil {
			go h.stopAfterFailure()
		}
	}
	if die {
		close(h.fatal)
	}
}

// Attach gives h what stops the started node's transports (the CQL
// server, gossip and background work: see StopTransports), and stops them
// if a failure asked for it meanwhile.
func (h *Handler) Attach(stopper func()) {
	h.mu.Lock()
	h.mu.stopper = stopper
	stop := h.mu.stop
	h.mu.Unlock()
	if stop {
		h.stopAfterFailure()
	}
}

// stopAfterFailure stops the transports for a failure policy.
func (h *Handler) stopAfterFailure() {
	if h.StopTransports() {
		h.log.Error("node stopped after a disk failure: CQL, gossip, repair and hint replay are down; restart the process once the disk is fixed")
	}
}

// Stopped reports whether the node's transports were stopped.
func (h *Handler) Stopped() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.mu.stopped
}

// StopTransports stops the CQL server (clients are disconnected, the port
// refuses connections) and gossip, without leaving the cluster: the other
// nodes see this one DOWN, keep its tokens and hint its writes (a LEFT
// node would lose its tokens). The internode service stays up, for wcdb
// admin and the calls in flight. wcdb admin drain stops them so too. It
// reports whether it stopped them (false: they were already, or the node
// is not attached).
func (h *Handler) StopTransports() bool {
	h.mu.Lock()
	if h.mu.stopped || h.mu.stopper == nil {
		h.mu.Unlock()
		return false
	}
	h.mu.stopped = true
	stopper := h.mu.stopper
	h.mu.Unlock()
	stopper()
	return true
}

// Fatal is closed when a failure policy of die fires: the process should
// exit with a non-zero status. FatalError tells why.
func (h *Handler) Fatal() <-chan struct{} { return h.fatal }

// FatalError is why Fatal was closed, nil before.
func (h *Handler) FatalError() error {
	select {
	case <-h.fatal:
		return h.fatalErr
	default:
		return nil
	}
}
