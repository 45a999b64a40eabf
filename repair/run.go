package repair

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"

	"wcdb/mutation"
	"wcdb/ring"
	"wcdb/storage"
)

// descentStep is how many levels one hashes call descends: each differing
// node's 16 descendants four levels down are asked for at once.
const descentStep = 4

// maxIndices bounds the nodes or leaves one call asks for.
const maxIndices = 1 << 16

// callTimeout bounds one call to a peer: a prepare scans the peer's data
// in the range.
const callTimeout = 10 * time.Minute

// RangeJob is the repair of one table's data in one token range among the
// range's replicas, this node (the initiator) and Peers.
type RangeJob struct {
	// Session names the repair of this range on every replica; unique.
	Session string
	Table   mutation.TableID
	Range   ring.Range
	// Peers are the host ids of the range's other replicas.
	Peers []string
}

// RangeStats say what the repair of a range found and exchanged.
type RangeStats struct {
	// Partitions and DataBytes are this node's data in the range.
	Partitions int
	DataBytes  int64
	// DifferingLeaves counts the leaves where some replica differed from
	// this node, Differing the partitions in them that did.
	DifferingLeaves, Differing int
	// Pulled is how many partitions this node fetched from peers, Pushed
	// how many it sent (counted once per peer).
	Pulled, Pushed int
	// TreeBytes are the bytes of the calls (requests and answers): tree
	// hashes and leaf listings. StreamBytes are those of the streams that
	// carried the differing partitions, both ways. DiffBytes is the size
	// of the partitions that had to move (each version sent, as the
	// replica holding it encodes it): the difference itself, what the
	// other two are measured against.
	TreeBytes, StreamBytes, DiffBytes int64
	Duration                          time.Duration
}

// Add sums up ranges' stats.
func (a *RangeStats) Add(b RangeStats) {
	a.Partitions += b.Partitions
	a.DataBytes += b.DataBytes
	a.DifferingLeaves += b.DifferingLeaves
	a.Differing += b.Differing
	a.Pulled += b.Pulled
	a.Pushed += b.Pushed
	a.TreeBytes += b.TreeBytes
	a.StreamBytes += b.StreamBytes
	a.DiffBytes += b.DiffBytes
	a.Duration += b.Duration
}

// peerState is what the initiator knows of a peer in one range repair.
type peerState struct {
	host       string
	p          Peer
	root       uint64
	partitions int
	leaves     []int // differing leaves, ascending
	// listed[leaf] are the peer's entries of a differing leaf.
	listed map[int][]Entry
}

// keyID identifies a partition in maps.
type keyID struct {
	token int64
	key   string
}

func idOf(k mutation.Key) keyID { return keyID{k.Token, string(k.Bytes)} }

// version is a replica's version of a partition: its hash, or absent.
type version struct {
	hash    uint64
	present bool
}

// diffKey is a partition that differs between this node and some peer.
type diffKey struct {
	key   mutation.Key
	local version
	// peers[i] is peer i's version (this node's original where the peer's
	// leaf matched), sizes[i] its size as the peer listed it.
	peers []version
	sizes []int
}

// RepairRange repairs one range: every replica builds its tree, this node
// compares its tree with each peer's top-down to find the leaves that
// differ, gets the peers' listings of those leaves, fetches every version
// it lacks (once per distinct version), then sends its merged version of
// each differing partition to every peer whose version is not that. The
// differing partitions travel through streaming, both ways. A peer that
// fails fails the range (nothing half-applied matters: what was streamed
// merges by timestamp); a rerun starts over.
func (s *Service) RepairRange(ctx context.Context, job RangeJob) (RangeStats, error) {
	start := s.cfg.Now()
	var st RangeStats
	t := s.cfg.Table(job.Table)
	if t == nil {
		return st, fmt.Errorf("repair: no table %x here", job.Table)
	}
	peers := make([]*peerState, len(job.Peers))
	for i, h := range job.Peers {
		p, err := s.cfg.Peer(h)
		if err != nil {
			return st, fmt.Errorf("repair: replica %s: %w", h, err)
		}
		peers[i] = &peerState{host: h, p: p}
	}
	entries, err := Scan(ctx, t, job.Range, s.cfg.Throttle)
	if err != nil {
		return st, err
	}
	depth := DepthFor(len(entries))
	tree, err := NewTree(job.Range, depth, entries)
	if err != nil {
		return st, err
	}
	st.Partitions, st.DataBytes = tree.Partitions(), tree.Bytes
	// This replica's part is held as a session too, so that an overlapping
	// repair another node starts meanwhile is refused here.
	if err := s.hold(job.Session, job.Table, tree); err != nil {
		return st, err
	}
	defer func() {
		s.mu.Lock()
		delete(s.sessions, job.Session)
		s.mu.Unlock()
	}()
	succeeded := false
	defer func() { s.finishPeers(peers, job.Session, succeeded, start.Unix()) }()

	var tb trafficCounter
	// Every replica builds its tree at once.
	req := prepareReq{session: job.Session, table: job.Table, rng: job.Range, depth: depth}.encode()
	var wg sync.WaitGroup
	errs := make([]error, len(peers))
	for i, ps := range peers {
		wg.Go(func() {
			b, err := tb.call(ctx, ps.p, MethodPrepare, req)
			if err == nil {
				var r prepareResp
				if r, err = decodePrepareResp(b); err == nil {
					ps.root, ps.partitions = r.root, int(r.partitions)
				}
			}
			if err != nil {
				errs[i] = fmt.Errorf("repair: prepare on %s: %w", ps.host, err)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return st, err
		}
	}

	// The depth suits the replica that holds the most: a replica that
	// lost its data (or never got it) would otherwise compare leaves that
	// each hold many partitions.
	most := len(entries)
	for _, ps := range peers {
		most = max(most, ps.partitions)
	}
	if d := DepthFor(most); d > depth {
		if tree, err = s.redepth(ctx, &tb, peers, job.Session, tree, d); err != nil {
			return st, err
		}
	}
	union := map[int]bool{}
	for _, ps := range peers {
		if ps.root == tree.Root() {
			continue
		}
		if ps.leaves, err = s.descend(ctx, &tb, ps, job.Session, tree); err != nil {
			return st, err
		}
		if ps.listed, err = s.listLeaves(ctx, &tb, ps, job.Session); err != nil {
			return st, err
		}
		for _, l := range ps.leaves {
			union[l] = true
		}
	}
	st.DifferingLeaves = len(union)
	diffs := differing(tree, peers, union)
	st.Differing = len(diffs)
	if len(diffs) > 0 {
		if err := s.exchange(ctx, t, job, peers, diffs, &st); err != nil {
			st.TreeBytes = tb.bytes()
			return st, err
		}
	}
	st.TreeBytes = tb.bytes()
	st.Duration = s.cfg.Now().Sub(start)
	// Every replica now holds what any held when the repair started.
	if s.cfg.History != nil {
		if err := s.cfg.History.Record(job.Table, job.Range, start.Unix()); err != nil {
			return st, err
		}
	}
	succeeded = true
	return st, nil
}

// redepth rebuilds every replica's tree of the session at depth d.
func (s *Service) redepth(ctx context.Context, tb *trafficCounter, peers []*peerState, sid string, tree *Tree, d int) (*Tree, error) {
	req := append(appendHead(nil, sid), byte(d))
	for _, ps := range peers {
		b, err := tb.call(ctx, ps.p, MethodDepth, req)
		if err != nil {
			return nil, fmt.Errorf("repair: depth on %s: %w", ps.host, err)
		}
		r, err := decodePrepareResp(b)
		if err != nil {
			return nil, fmt.Errorf("repair: depth on %s: %w", ps.host, err)
		}
		ps.root = r.root
	}
	return NewTree(tree.Range, d, tree.entries)
}

// descend compares the peer's tree with this node's from the root down,
// descentStep levels a call, and returns the leaves where they differ.
func (s *Service) descend(ctx context.Context, tb *trafficCounter, ps *peerState, sid string, tree *Tree) ([]int, error) {
	frontier := []int{0}
	for level := 0; level < tree.Depth && len(frontier) > 0; {
		next := min(level+descentStep, tree.Depth)
		fan := 1 << (next - level)
		var idx []int
		for _, f := range frontier {
			for j := range fan {
				idx = append(idx, f*fan+j)
			}
		}
		var nf []int
		for chunk := range slices.Chunk(idx, maxIndices) {
			b, err := tb.call(ctx, ps.p, MethodHashes, encodeHashes(sid, next, chunk))
			if err != nil {
				return nil, fmt.Errorf("repair: hashes from %s: %w", ps.host, err)
			}
			if len(b) != 8*len(chunk) {
				return nil, fmt.Errorf("%w: %d bytes of hashes for %d nodes", ErrCorrupt, len(b), len(chunk))
			}
			for k, i := range chunk {
				mine, _ := tree.Hash(next, i)
				if uint64FromBE(b[8*k:]) != mine {
					nf = append(nf, i)
				}
			}
		}
		frontier, level = nf, next
	}
	return frontier, nil
}

// listLeaves gets the peer's entries of its differing leaves.
func (s *Service) listLeaves(ctx context.Context, tb *trafficCounter, ps *peerState, sid string) (map[int][]Entry, error) {
	out := make(map[int][]Entry, len(ps.leaves))
	for chunk := range slices.Chunk(ps.leaves, maxIndices) {
		b, err := tb.call(ctx, ps.p, MethodLeaves, encodeLeaves(sid, chunk))
		if err != nil {
			return nil, fmt.Errorf("repair: leaves from %s: %w", ps.host, err)
		}
		lists, err := decodeLeavesResp(b, len(chunk))
		if err != nil {
			return nil, fmt.Errorf("repair: leaves from %s: %w", ps.host, err)
		}
		for k, l := range chunk {
			out[l] = lists[k]
		}
	}
	return out, nil
}

// differing returns, in ring order, the partitions of the differing leaves
// whose versions are not all alike.
func differing(tree *Tree, peers []*peerState, union map[int]bool) []*diffKey {
	byID := map[keyID]*diffKey{}
	var all []*diffKey
	get := func(k mutation.Key) *diffKey {
		id := idOf(k)
		d := byID[id]
		if d == nil {
			d = &diffKey{key: k, peers: make([]version, len(peers)), sizes: make([]int, len(peers))}
			byID[id] = d
			all = append(all, d)
		}
		return d
	}
	for l := range union {
		for _, e := range tree.LeafEntries(l) {
			get(e.Key).local = version{hash: e.Hash, present: true}
		}
	}
	for i, ps := range peers {
		for _, es := range ps.listed {
			for _, e := range es {
				d := get(e.Key)
				d.peers[i] = version{hash: e.Hash, present: true}
				d.sizes[i] = e.Size
			}
		}
	}
	var out []*diffKey
	for _, d := range all {
		leaf := tree.Leaf(d.key.Token)
		same := true
		for i, ps := range peers {
			// A peer that listed the leaf has the versions it listed and
			// lacks the others; one whose leaf matched has this node's.
			if _, listed := ps.listed[leaf]; !listed {
				d.peers[i] = d.local
			}
			if d.peers[i] != d.local {
				same = false
			}
		}
		if !same {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b *diffKey) int { return a.key.Compare(b.key) })
	return out
}

// exchange fetches what this node lacks of the differing partitions, then
// sends its merged versions to the peers that differ from them.
func (s *Service) exchange(ctx context.Context, t *storage.Table, job RangeJob, peers []*peerState, diffs []*diffKey, st *RangeStats) error {
	// Pull every version this node does not hold, once per distinct one.
	pulls := make([][]mutation.Key, len(peers))
	for _, d := range diffs {
		var seen []uint64
		for i, v := range d.peers {
			if !v.present || v == d.local || slices.Contains(seen, v.hash) {
				continue
			}
			seen = append(seen, v.hash)
			pulls[i] = append(pulls[i], d.key)
			st.DiffBytes += int64(d.sizes[i])
		}
	}
	for i, keys := range pulls {
		if len(keys) == 0 {
			continue
		}
		rs, err := s.pull(ctx, job.Session, job.Table, peers[i].host, keys)
		st.StreamBytes += rs.FrameBytes
		if err != nil {
			return err
		}
		st.Pulled += len(keys)
	}
	// Push the merged versions.
	var buf []byte
	pushes := make([][]mutation.Key, len(peers))
	for _, d := range diffs {
		p, err := t.Read(storage.Query{Key: d.key, Raw: true})
		if err != nil {
			return fmt.Errorf("repair: read: %w", err)
		}
		if p == nil {
			continue
		}
		buf = mutation.AppendMutation(buf[:0], &mutation.Mutation{Partition: *p})
		merged := version{hash: xxhash.Sum64(buf), present: true}
		for i, v := range d.peers {
			if v != merged {
				pushes[i] = append(pushes[i], d.key)
				st.DiffBytes += int64(len(buf))
			}
		}
	}
	for i, keys := range pushes {
		if len(keys) == 0 {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		b, err := peers[i].p.Call(cctx, MethodPull, pullReq{session: job.Session, source: s.cfg.Self, keys: keys}.encode())
		cancel()
		if err != nil {
			return fmt.Errorf("repair: push of %d partitions to %s: %w", len(keys), peers[i].host, err)
		}
		bytes, err := decodePullResp(b)
		if err != nil {
			return fmt.Errorf("repair: push to %s: %w", peers[i].host, err)
		}
		st.StreamBytes += bytes
		st.Pushed += len(keys)
	}
	return nil
}

// finishPeers tells the peers to drop the session and, if it succeeded,
// to record it in their history, whatever the caller's context: a finish
// that fails only leaves a tree to expire, and the range repaired later.
func (s *Service) finishPeers(peers []*peerState, sid string, ok bool, start int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := encodeFinish(sid, ok, start)
	for _, ps := range peers {
		ps.p.Call(ctx, MethodFinish, req)
	}
}

// trafficCounter sums the bytes of calls, requests and answers.
type trafficCounter struct {
	mu sync.Mutex
	n  int64
}

func (c *trafficCounter) call(ctx context.Context, p Peer, method string, req []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	b, err := p.Call(ctx, method, req)
	c.mu.Lock()
	c.n += int64(len(req) + len(b))
	c.mu.Unlock()
	return b, err
}

func (c *trafficCounter) bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
