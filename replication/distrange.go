package replication

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"wcdb/internal/tracing"
	"wcdb/mutation"
	"wcdb/ring"
)

// ReadRange reads a page of partitions in ring order. The key range is cut
// at the ring's tokens; each piece is read from the replicas of its
// tokens at the level, reconciled, and repaired where replicas differ.
func (d *Distributed) ReadRange(ctx context.Context, cmd RangeCommand, cl Consistency) (RangeResult, error) {
	if cl == Any {
		return RangeResult{}, errors.New("replication: ANY ConsistencyLevel is only supported for writes")
	}
	if !cl.Valid() {
		return RangeResult{}, fmt.Errorf("replication: unknown consistency level %d", cl)
	}
	st, err := d.strategy(cmd.Keyspace)
	if err != nil {
		return RangeResult{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.RangeTimeout)
	defer cancel()
	m := d.c.Ring()
	if _, ok := st.(LocalStrategy); ok || m.Len() == 0 {
		if tr := tracing.From(ctx); tr != nil {
			tr.Eventf(tracing.Read, "Executing range read locally")
		}
		res, err := d.c.Replica(d.c.Local()).ReadRange(ctx, cmd)
		if err != nil {
			return res, localReadErr(err, cl)
		}
		return res, nil
	}
	var out RangeResult
	rows := 0
	if tr := tracing.From(ctx); tr != nil {
		tr.Eventf(tracing.Read, "Executing range read at consistency %s", cl)
	}
	for _, pc := range pieces(m, cmd) {
		sub := cmd
		sub.From, sub.To = pc.from, pc.to
		if cmd.After != nil && !pc.contains(cmd.After.Key) {
			sub.After = nil
		}
		if cmd.Limit > 0 {
			sub.Limit = cmd.Limit - rows
		}
		res, err := d.readPiece(ctx, sub, cl, pc.token)
		if err != nil {
			return RangeResult{}, err
		}
		for _, p := range res.Partitions {
			rows += max(len(p.Rows), 1)
		}
		out.Partitions = append(out.Partitions, res.Partitions...)
		if res.Next != nil {
			out.Next = res.Next
			return out, nil
		}
		if cmd.Limit > 0 && rows >= cmd.Limit {
			if n := len(out.Partitions); n > 0 {
				last := out.Partitions[n-1]
				out.Next = &Position{Key: last.Key}
				if len(last.Rows) > 0 {
					out.Next.Clustering = last.Rows[len(last.Rows)-1].Clustering
				}
			}
			return out, nil
		}
	}
	return out, nil
}

// piece is a part of a range read that one set of replicas holds: keys in
// [from, to) (nil is open), all of whose tokens have the replicas of token.
type piece struct {
	from, to *mutation.Key
	token    ring.Token
}

func (p piece) contains(k mutation.Key) bool {
	return (p.from == nil || k.Compare(*p.from) >= 0) && (p.to == nil || k.Compare(*p.to) < 0)
}

// keyAt is the smallest key of token t (a key with no bytes sorts first).
func keyAt(t ring.Token) *mutation.Key { return &mutation.Key{Token: t} }

// pieces cuts the command's key range at the ring's tokens, in ring
// order: [min, t0], (t0, t1], ..., (tn-1, max], the last going to t0's
// replicas as the wrapping range does.
func pieces(m *ring.Metadata, cmd RangeCommand) []piece {
	from, to := cmd.From, cmd.To
	if cmd.After != nil && (from == nil || cmd.After.Key.Compare(*from) > 0) {
		from = &cmd.After.Key
	}
	var out []piece
	add := func(lo, hi *mutation.Key, owner ring.Token) {
		// Intersect [lo, hi) with [from, to).
		if from != nil && (lo == nil || from.Compare(*lo) > 0) {
			lo = from
		}
		if to != nil && (hi == nil || to.Compare(*hi) < 0) {
			hi = to
		}
		if lo != nil && hi != nil && lo.Compare(*hi) >= 0 {
			return
		}
		out = append(out, piece{from: lo, to: hi, token: owner})
	}
	toks := m.Tokens()
	var lo *mutation.Key
	for _, t := range toks {
		var hi *mutation.Key
		if t < math.MaxInt64 {
			hi = keyAt(t + 1)
		}
		add(lo, hi, t)
		if hi == nil {
			return out
		}
		lo = hi
	}
	add(lo, nil, toks[0])
	return out
}

// rangeAnswer is one replica's answer to a piece.
type rangeAnswer struct {
	id  ring.NodeID
	res RangeResult
	err error
}

// readPiece reads one piece from as many replicas as the level needs
// (falling back to other live ones if some fail) and reconciles them.
func (d *Distributed) readPiece(ctx context.Context, cmd RangeCommand, cl Consistency, token ring.Token) (RangeResult, error) {
	p, err := d.place(cmd.Keyspace, token, cl)
	if err != nil {
		return RangeResult{}, err
	}
	if err := p.unavailable(cl, false); err != nil {
		return RangeResult{}, err
	}
	first, spare := p.targets()
	if tr := tracing.From(ctx); tr != nil {
		tr.Eventf(tracing.Read, "Range of token %d: asking %v (%d needed), spare %v", token, d.names(first), p.req.need, d.names(spare))
	}
	if len(first) == 1 && !cmd.Raw {
		res, err := d.c.Replica(first[0]).ReadRange(ctx, cmd)
		if err != nil {
			if tr := tracing.From(ctx); tr != nil {
				tr.Eventf(tracing.Read, "RANGE_SLICE from %s failed: %v", d.name(first[0]), err)
			}
		} else {
			if tr := tracing.From(ctx); tr != nil {
				tr.Eventf(tracing.Read, "RANGE_SLICE response from %s: %d partitions", d.name(first[0]), len(res.Partitions))
			}
		}
		return res, err
	}
	raw := cmd
	raw.Raw = true
	ch := make(chan rangeAnswer, len(first)+len(spare))
	ask := func(id ring.NodeID) {
		tracing.NoteReplica(ctx, string(id))
		if tr := tracing.From(ctx); tr != nil {
			tr.Eventf(tracing.Read, "Sending RANGE_SLICE message to %s", d.name(id))
		}
		go func() {
			res, err := d.c.Replica(id).ReadRange(ctx, raw)
			ch <- rangeAnswer{id, res, err}
		}()
	}
	for _, id := range first {
		ask(id)
	}
	pending := len(first)
	t := tally{r: &p.req}
	var answers []rangeAnswer
	var firstErr error
	for !t.met() {
		if pending == 0 {
			if len(spare) > 0 {
				ask(spare[0])
				spare = spare[1:]
				pending++
				continue
			}
			if isTimeout(firstErr) {
				return RangeResult{}, &ReadTimeoutError{Consistency: cl, Received: t.got, BlockFor: p.req.need, DataPresent: len(answers) > 0}
			}
			return RangeResult{}, &ReadFailureError{Consistency: cl, Received: t.got, BlockFor: p.req.need,
				Failures: 1, DataPresent: len(answers) > 0, Err: firstErr}
		}
		select {
		case a := <-ch:
			pending--
			if a.err != nil {
				if tr := tracing.From(ctx); tr != nil {
					tr.Eventf(tracing.Read, "RANGE_SLICE from %s failed: %v", d.name(a.id), a.err)
				}
				if firstErr == nil {
					firstErr = a.err
				}
				continue
			}
			if tr := tracing.From(ctx); tr != nil {
				tr.Eventf(tracing.Read, "RANGE_SLICE response from %s: %d partitions", d.name(a.id), len(a.res.Partitions))
			}
			t.add(p.dcOf(a.id))
			answers = append(answers, a)
		case <-ctx.Done():
			if tr := tracing.From(ctx); tr != nil {
				tr.Eventf(tracing.Read, "Timed out waiting for replicas: %d of %d answered", t.got, p.req.need)
			}
			return RangeResult{}, d.readErr(ctx, cl, t.got, p.req.need, len(answers) > 0)
		}
	}
	return d.resolveRange(ctx, cmd, cl, p, answers)
}

// resolveRange reconciles the replicas' pages partition by partition,
// keeps what every truncated page covers, repairs differing replicas, and
// returns the visible result (raw if the command asked).
func (d *Distributed) resolveRange(ctx context.Context, cmd RangeCommand, cl Consistency, p *placement, answers []rangeAnswer) (RangeResult, error) {
	// The cut: the earliest position at which a replica's page stopped.
	var cut *Position
	for _, a := range answers {
		if n := a.res.Next; n != nil && (cut == nil || comparePosition(n, cut) < 0) {
			cut = n
		}
	}
	// Group the partitions by key, in key order.
	type group struct {
		key   mutation.Key
		parts []*mutation.Partition // one per answer (nil: none)
	}
	var keys []mutation.Key
	byKey := map[string]*group{}
	for i, a := range answers {
		for _, part := range a.res.Partitions {
			if cut != nil && part.Key.Compare(cut.Key) > 0 {
				continue
			}
			g := byKey[string(part.Key.Bytes)]
			if g == nil {
				g = &group{key: part.Key, parts: make([]*mutation.Partition, len(answers))}
				byKey[string(part.Key.Bytes)] = g
				keys = append(keys, part.Key)
			}
			g.parts[i] = part
		}
	}
	sortKeys(keys)
	now := d.cfg.Now().Unix()
	var out RangeResult
	var repairs []*mutation.Mutation
	var targets [][]ring.NodeID
	for _, k := range keys {
		g := byKey[string(k.Bytes)]
		merged := reconcile(g.parts, false)
		if cut != nil && k.Equal(cut.Key) && cut.Clustering != nil {
			truncateAfter(merged, cut.Clustering, false)
		}
		want := PartitionDigest(cmd.Table, merged)
		var stale []ring.NodeID
		for i, part := range g.parts {
			if string(PartitionDigest(cmd.Table, part)) != string(want) {
				stale = append(stale, answers[i].id)
			}
		}
		// An index read's replicas answer what their own indexes list, so
		// a partition one lacks is no sign it is stale; the caller reads
		// the candidates again (with read repair) at the level.
		if len(stale) > 0 && merged != nil && cmd.Index == nil {
			repairs = append(repairs, &mutation.Mutation{Table: cmd.Table, Partition: *merged})
			targets = append(targets, stale)
		}
		if cmd.Raw {
			out.Partitions = append(out.Partitions, merged)
		} else if v := visible(merged, cmd.Columns, cmd.PerPartitionLimit, now, cmd.Versions); v != nil {
			out.Partitions = append(out.Partitions, v)
		}
	}
	if err := d.repairAll(ctx, cl, p, repairs, targets); err != nil {
		return RangeResult{}, err
	}
	out.Next = cut
	return out, nil
}

// repairAll writes each reconciled partition to its stale replicas and
// waits for them.
func (d *Distributed) repairAll(ctx context.Context, cl Consistency, p *placement, ms []*mutation.Mutation, targets [][]ring.NodeID) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for i, m := range ms {
		for _, id := range targets[i] {
			d.counters.readRepairs.Add(1)
			if tr := tracing.From(ctx); tr != nil {
				tr.Eventf(tracing.Repair, "Sending READ_REPAIR message to %s", d.name(id))
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := d.c.Replica(id).Apply(ctx, m); err != nil {
					if tr := tracing.From(ctx); tr != nil {
						tr.Eventf(tracing.Repair, "READ_REPAIR of %s failed: %v", d.name(id), err)
					}
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	if firstErr != nil {
		if ctx.Err() != nil || isTimeout(firstErr) {
			return &ReadTimeoutError{Consistency: cl, Received: p.req.need, BlockFor: p.req.need, DataPresent: true}
		}
		return fmt.Errorf("replication: read repair: %w", firstErr)
	}
	return nil
}

// comparePosition orders positions of a scan: by key, then clustering,
// where no clustering (the partition returned whole) sorts last.
func comparePosition(a, b *Position) int {
	if c := a.Key.Compare(b.Key); c != 0 {
		return c
	}
	switch {
	case a.Clustering == nil && b.Clustering == nil:
		return 0
	case a.Clustering == nil:
		return 1
	case b.Clustering == nil:
		return -1
	}
	return bytes.Compare(a.Clustering, b.Clustering)
}

func sortKeys(ks []mutation.Key) {
	slices.SortFunc(ks, func(a, b mutation.Key) int { return a.Compare(b) })
}
