package streaming

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Direction says which way a session's data flows.
type Direction uint8

const (
	// Sending: this node sends the data.
	Sending Direction = iota
	// Receiving: this node receives and imports the data.
	Receiving
)

func (d Direction) String() string {
	if d == Sending {
		return "sending"
	}
	return "receiving"
}

// MarshalText gives "sending" or "receiving".
func (d Direction) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads what MarshalText gives (netstats' JSON, read back
// by wcdb admin).
func (d *Direction) UnmarshalText(b []byte) error {
	switch string(b) {
	case "sending":
		*d = Sending
	case "receiving":
		*d = Receiving
	default:
		return fmt.Errorf("streaming: unknown direction %q", b)
	}
	return nil
}

// State is a session's state.
type State uint8

const (
	// Running: the session is under way.
	Running State = iota
	// Done: the session finished without error.
	Done
	// Failed: the session ended with an error.
	Failed
)

func (s State) String() string {
	switch s {
	case Running:
		return "running"
	case Done:
		return "done"
	}
	return "failed"
}

// MarshalText gives "running", "done" or "failed".
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads what MarshalText gives.
func (s *State) UnmarshalText(b []byte) error {
	switch string(b) {
	case "running":
		*s = Running
	case "done":
		*s = Done
	case "failed":
		*s = Failed
	default:
		return fmt.Errorf("streaming: unknown state %q", b)
	}
	return nil
}

// SessionInfo is a snapshot of a session's progress, for `wcdb admin
// netstats` (JSON) and logs (String).
type SessionInfo struct {
	ID        string    `json:"id"`
	Peer      string    `json:"peer"`
	Direction Direction `json:"direction"`
	Keyspace  string    `json:"keyspace,omitempty"`
	Table     string    `json:"table,omitempty"`
	// FilesTotal is the number of file sections planned (known once the
	// sender has announced them); FilesDone those sent or imported whole.
	FilesTotal int64 `json:"files_total"`
	FilesDone  int64 `json:"files_done"`
	// BytesTotal is the sender's estimate of the sections' on-disk bytes;
	// BytesDone the progress against it (each finished section counts its
	// estimate). For the share done, not for accounting.
	BytesTotal int64 `json:"bytes_total"`
	BytesDone  int64 `json:"bytes_done"`
	// BytesStreamed counts the bytes of the frames actually sent or received.
	BytesStreamed int64 `json:"bytes_streamed"`
	// Rate is BytesStreamed per second since Start.
	Rate  float64   `json:"rate_bytes_per_sec"`
	Start time.Time `json:"start"`
	// End is when the session finished; zero while running.
	End   time.Time `json:"end,omitzero"`
	State State     `json:"state"`
	Error string    `json:"error,omitempty"`
}

// Percent is the share of BytesTotal done, 0 to 100.
func (s SessionInfo) Percent() float64 {
	if s.BytesTotal <= 0 {
		if s.State == Done {
			return 100
		}
		return 0
	}
	return min(100, 100*float64(s.BytesDone)/float64(s.BytesTotal))
}

// String formats the session as a log line, e.g.
//
//	streaming: session X receiving from P (ks.t): 3/10 files, 120.5/400.0 MiB (30%), 25.1 MiB/s
func (s SessionInfo) String() string {
	var b strings.Builder
	prep := "to"
	if s.Direction == Receiving {
		prep = "from"
	}
	fmt.Fprintf(&b, "streaming: session %s %s %s %s", s.ID, s.Direction, prep, s.Peer)
	if s.Keyspace != "" || s.Table != "" {
		fmt.Fprintf(&b, " (%s.%s)", s.Keyspace, s.Table)
	}
	const mib = 1 << 20
	fmt.Fprintf(&b, ": %d/%d files, %.1f/%.1f MiB (%.0f%%), %.1f MiB/s",
		s.FilesDone, s.FilesTotal, float64(s.BytesDone)/mib, float64(s.BytesTotal)/mib, s.Percent(), s.Rate/mib)
	switch s.State {
	case Done:
		b.WriteString(", done")
	case Failed:
		fmt.Fprintf(&b, ", failed: %s", s.Error)
	}
	return b.String()
}

// Progress is the live state of one session. Send and Receive update it as
// frames go by (atomically; Info may be called at any time); the caller
// ends it with Finish. A nil *Progress is valid and records nothing.
type Progress struct {
	reg   *Registry
	id    string
	peer  string
	dir   Direction
	ks    string
	table string
	start time.Time

	filesTotal, filesDone atomic.Int64
	bytesTotal, bytesDone atomic.Int64 // bytesDone: finished sections' estimates
	curEst, curDone       atomic.Int64 // the section under way
	streamed              atomic.Int64

	mu struct {
		sync.Mutex
		state State
		err   string
		end   time.Time
	}
}

// plan records that files sections of about bytes are coming (a retry
// plans the rest: what is already done stays counted).
func (p *Progress) plan(files, bytes int64) {
	if p == nil {
		return
	}
	p.filesTotal.Store(p.filesDone.Load() + files)
	p.bytesTotal.Store(p.bytesDone.Load() + bytes)
}

func (p *Progress) fileStart(est int64) {
	if p == nil {
		return
	}
	p.curDone.Store(0)
	p.curEst.Store(est)
}

// data records n bytes of frames, of which entries belong to the section.
func (p *Progress) data(n, entries int) {
	if p == nil {
		return
	}
	p.streamed.Add(int64(n))
	p.curDone.Add(int64(entries))
}

// frame records a control frame of n bytes.
func (p *Progress) frame(n int) {
	if p != nil {
		p.streamed.Add(int64(n))
	}
}

func (p *Progress) fileDone() {
	if p == nil {
		return
	}
	p.fileCommitted(p.curEst.Load())
	p.endCurrent()
}

// fileCommitted counts a section of estimated size est as done (a receiver
// commits a section while it receives the next one).
func (p *Progress) fileCommitted(est int64) {
	if p == nil {
		return
	}
	p.bytesDone.Add(est)
	p.filesDone.Add(1)
}

// endCurrent forgets the section under way (received, or abandoned).
func (p *Progress) endCurrent() {
	if p == nil {
		return
	}
	p.curEst.Store(0)
	p.curDone.Store(0)
}

// Finish ends the session: done if err is nil, else failed. A session of a
// Registry moves to its recently finished ones. Later calls do nothing.
func (p *Progress) Finish(err error) {
	if p == nil {
		return
	}
	p.mu.Lock()
	if p.mu.state != Running {
		p.mu.Unlock()
		return
	}
	p.mu.state = Done
	if err != nil {
		p.mu.state, p.mu.err = Failed, err.Error()
	}
	p.mu.end = p.now()
	p.mu.Unlock()
	p.endCurrent()
	if p.reg != nil {
		p.reg.finished(p, err != nil)
	}
}

func (p *Progress) now() time.Time {
	if p.reg != nil {
		return p.reg.now()
	}
	return time.Now()
}

// Info returns a snapshot of the session.
func (p *Progress) Info() SessionInfo {
	if p == nil {
		return SessionInfo{}
	}
	s := SessionInfo{ID: p.id, Peer: p.peer, Direction: p.dir, Keyspace: p.ks, Table: p.table,
		FilesTotal: p.filesTotal.Load(), FilesDone: p.filesDone.Load(),
		BytesTotal: p.bytesTotal.Load(), BytesStreamed: p.streamed.Load(), Start: p.start}
	s.BytesDone = p.bytesDone.Load() + min(p.curDone.Load(), p.curEst.Load())
	p.mu.Lock()
	s.State, s.Error, s.End = p.mu.state, p.mu.err, p.mu.end
	p.mu.Unlock()
	end := s.End
	if end.IsZero() {
		end = p.now()
	}
	if el := end.Sub(s.Start).Seconds(); el > 0 {
		s.Rate = float64(s.BytesStreamed) / el
	}
	return s
}

// Registry holds a node's streaming sessions, running and recently
// finished, for netstats. Its methods are safe for concurrent use.
type Registry struct {
	now  func() time.Time
	keep int

	mu struct {
		sync.Mutex
		active []*Progress
		done   []*Progress // oldest first, at most keep
		// finished and failed count the sessions ended since the start.
		finished, failed int64
	}
}

// KeepFinished is how many finished sessions a Registry remembers.
const KeepFinished = 32

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{now: time.Now, keep: KeepFinished} }

// Start registers a running session and returns its Progress, to pass to
// Send, Receive or Fetch and to Finish when the session ends.
func (r *Registry) Start(id, peer string, dir Direction, keyspace, table string) *Progress {
	p := &Progress{reg: r, id: id, peer: peer, dir: dir, ks: keyspace, table: table, start: r.now()}
	r.mu.Lock()
	r.mu.active = append(r.mu.active, p)
	r.mu.Unlock()
	return p
}

func (r *Registry) finished(p *Progress, failed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if i := slices.Index(r.mu.active, p); i >= 0 {
		r.mu.active = slices.Delete(r.mu.active, i, i+1)
	}
	r.mu.done = append(r.mu.done, p)
	r.mu.finished++
	if failed {
		r.mu.failed++
	}
	if n := len(r.mu.done) - r.keep; n > 0 {
		r.mu.done = slices.Delete(r.mu.done, 0, n)
	}
}

// Counts returns the sessions running now, and those finished and failed
// since the registry was made.
func (r *Registry) Counts() (running int, finished, failed int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.mu.active), r.mu.finished, r.mu.failed
}

// Snapshot returns the running sessions, oldest first, then the recently
// finished ones, oldest first.
func (r *Registry) Snapshot() []SessionInfo {
	r.mu.Lock()
	ps := append(slices.Clone(r.mu.active), r.mu.done...)
	r.mu.Unlock()
	out := make([]SessionInfo, len(ps))
	for i, p := range ps {
		out[i] = p.Info()
	}
	return out
}
