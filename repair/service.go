package repair

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"wcdb/mutation"
	"wcdb/storage"
	"wcdb/streaming"
)

// SessionTimeout is how long a replica keeps a session's tree unused
// before it drops it (an initiator that died never says finish).
const SessionTimeout = 10 * time.Minute

// fetchRetries is how many times a pull retries a broken stream.
const fetchRetries = 3

// ErrNoSession is a call for a session the replica does not hold (never
// prepared, finished, or expired): the initiator's repair of that range
// fails, and a rerun prepares again.
var ErrNoSession = errors.New("repair: no such session")

// ErrBusy is a prepare for a range another repair is working on at this
// replica: that repair of the range fails, and is retried later.
var ErrBusy = errors.New("repair: range already being repaired")

// Peer is another replica as repair reaches it: messaging's Client.
type Peer interface {
	Call(ctx context.Context, method string, req []byte) ([]byte, error)
	Fetch(ctx context.Context, req []byte) (next func() ([]byte, error), close func(), err error)
}

// Config connects a Service to its node.
type Config struct {
	// Self is this node's host id, as pull requests name their source.
	Self string
	// Table returns the local store of a table, nil if there is none.
	Table func(mutation.TableID) *storage.Table
	// Peer returns a connection to another node, by host id.
	Peer func(host string) (Peer, error)
	// Names returns a table's keyspace and name, for netstats and logs;
	// nil: the table id.
	Names func(mutation.TableID) (keyspace, table string)
	// Streams records the streaming sessions of pulls for netstats; nil:
	// none are recorded.
	Streams *streaming.Registry
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// History records the successful repairs of ranges this node took
	// part in (tombstone_gc's repair mode reads it); nil: none recorded.
	History *History
	// Throttle paces the validation scans (repair.throughput); nil: none.
	// The differing data travels in streams, paced as every stream is.
	Throttle *streaming.Throttle
}

// Service is a node's side of repair: it answers other replicas' calls
// (Handle) and runs repairs of ranges it replicates (RepairRange).
type Service struct {
	cfg Config
	mu  sync.Mutex
	// sessions holds the trees of the sessions this node takes part in,
	// by session id.
	sessions map[string]*session
}

type session struct {
	tree     *Tree
	table    mutation.TableID
	lastUsed time.Time
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, sessions: map[string]*session{}}
}

func (s *Service) names(id mutation.TableID) (string, string) {
	if s.cfg.Names != nil {
		return s.cfg.Names(id)
	}
	return "", hex.EncodeToString(id[:])
}

// Handle answers a replica's call (messaging's ServerOptions.Call).
func (s *Service) Handle(ctx context.Context, method string, req []byte) ([]byte, error) {
	switch method {
	case MethodPrepare:
		r, err := decodePrepare(req)
		if err != nil {
			return nil, err
		}
		return s.prepare(ctx, r)
	case MethodDepth:
		sid, d, err := decodeHead(req)
		if err != nil {
			return nil, err
		}
		depth := int(d.Byte())
		if err := finish(&d, "depth"); err != nil {
			return nil, err
		}
		ss, err := s.session(sid)
		if err != nil {
			return nil, err
		}
		tree, err := NewTree(ss.tree.Range, depth, ss.tree.entries)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		ss.tree = tree
		s.mu.Unlock()
		return prepareResp{root: tree.Root(), partitions: uint64(tree.Partitions()), bytes: uint64(tree.Bytes)}.encode(), nil
	case MethodHashes:
		sid, level, idx, err := decodeHashes(req)
		if err != nil {
			return nil, err
		}
		ss, err := s.session(sid)
		if err != nil {
			return nil, err
		}
		out := make([]byte, 0, 8*len(idx))
		for _, i := range idx {
			h, ok := ss.tree.Hash(level, i)
			if !ok {
				return nil, fmt.Errorf("%w: no node %d at level %d of a tree of depth %d", ErrCorrupt, i, level, ss.tree.Depth)
			}
			out = appendUint64(out, h)
		}
		return out, nil
	case MethodLeaves:
		sid, idx, err := decodeLeaves(req)
		if err != nil {
			return nil, err
		}
		ss, err := s.session(sid)
		if err != nil {
			return nil, err
		}
		var out []byte
		for _, i := range idx {
			if _, ok := ss.tree.Hash(ss.tree.Depth, i); !ok {
				return nil, fmt.Errorf("%w: no leaf %d in a tree of depth %d", ErrCorrupt, i, ss.tree.Depth)
			}
			out = appendEntries(out, ss.tree.LeafEntries(i))
		}
		return out, nil
	case MethodPull:
		r, err := decodePull(req)
		if err != nil {
			return nil, err
		}
		ss, err := s.session(r.session)
		if err != nil {
			return nil, err
		}
		st, err := s.pull(ctx, r.session, ss.table, r.source, r.keys)
		if err != nil {
			return nil, err
		}
		return appendUvarints(nil, uint64(st.Partitions), uint64(st.FrameBytes)), nil
	case MethodFinish:
		sid, d, err := decodeHead(req)
		if err != nil {
			return nil, err
		}
		ok := d.Byte() == 1
		start := int64(d.Uint64BE())
		if err := finish(&d, "finish"); err != nil {
			return nil, err
		}
		s.mu.Lock()
		ss := s.sessions[sid]
		delete(s.sessions, sid)
		s.mu.Unlock()
		if ok && ss != nil && s.cfg.History != nil {
			if err := s.cfg.History.Record(ss.table, ss.tree.Range, start); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
	return nil, fmt.Errorf("repair: unknown method %q", method)
}

// prepare builds this replica's tree of a session's range.
func (s *Service) prepare(ctx context.Context, r prepareReq) ([]byte, error) {
	t := s.cfg.Table(r.table)
	if t == nil {
		return nil, fmt.Errorf("repair: no table %x here", r.table)
	}
	es, err := Scan(ctx, t, r.rng, s.cfg.Throttle)
	if err != nil {
		return nil, err
	}
	tree, err := NewTree(r.rng, r.depth, es)
	if err != nil {
		return nil, err
	}
	if err := s.hold(r.session, r.table, tree); err != nil {
		return nil, err
	}
	return prepareResp{root: tree.Root(), partitions: uint64(tree.Partitions()), bytes: uint64(tree.Bytes)}.encode(), nil
}

// hold keeps a session's tree, unless another session of an overlapping
// range of the table holds this replica: no two repairs of a range at
// once (Cassandra refuses so too).
func (s *Service) hold(sid string, table mutation.TableID, tree *Tree) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked()
	for id, o := range s.sessions {
		if id != sid && o.table == table && len(Intersect(o.tree.Range, tree.Range)) > 0 {
			return fmt.Errorf("%w: %v overlaps session %s", ErrBusy, tree.Range, id)
		}
	}
	s.sessions[sid] = &session{tree: tree, table: table, lastUsed: s.cfg.Now()}
	return nil
}

func (s *Service) session(id string) (*session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked()
	ss := s.sessions[id]
	if ss == nil {
		return nil, fmt.Errorf("%w %q", ErrNoSession, id)
	}
	ss.lastUsed = s.cfg.Now()
	return ss, nil
}

// expireLocked drops sessions unused for SessionTimeout.
func (s *Service) expireLocked() {
	now := s.cfg.Now()
	for id, ss := range s.sessions {
		if now.Sub(ss.lastUsed) > SessionTimeout {
			delete(s.sessions, id)
		}
	}
}

// Sessions returns how many sessions this node holds trees for.
func (s *Service) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// pull fetches the partitions of keys of a table from source into the
// local table, through streaming.
func (s *Service) pull(ctx context.Context, sid string, table mutation.TableID, source string, keys []mutation.Key) (streaming.RecvStats, error) {
	t := s.cfg.Table(table)
	if t == nil {
		return streaming.RecvStats{}, fmt.Errorf("repair: no table %x here", table)
	}
	p, err := s.cfg.Peer(source)
	if err != nil {
		return streaming.RecvStats{}, err
	}
	var prog *streaming.Progress
	if s.cfg.Streams != nil {
		ks, name := s.names(table)
		prog = s.cfg.Streams.Start(sid, source, streaming.Receiving, ks, name)
	}
	open := func(ctx context.Context, req []byte) (func() ([]byte, error), error) {
		next, _, err := p.Fetch(ctx, req) // ends with ctx, which Fetch cancels per attempt
		return next, err
	}
	st, err := streaming.Fetch(ctx, t, streaming.Request{Session: sid, Table: table, Keys: keys}, open, fetchRetries, prog)
	if prog != nil {
		prog.Finish(err)
	}
	if err != nil {
		return st, fmt.Errorf("repair: pull of %d partitions from %s: %w", len(keys), source, err)
	}
	return st, nil
}

func appendUint64(dst []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(dst, v) }

func appendUvarints(dst []byte, vs ...uint64) []byte {
	for _, v := range vs {
		dst = binary.AppendUvarint(dst, v)
	}
	return dst
}
