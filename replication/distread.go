package replication

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"wcdb/internal/tracing"
	"wcdb/mutation"
	"wcdb/ring"
)

// targets picks the replicas a read asks, in proximity order: the fewest
// that meet the level, and the other live ones that count, for speculative
// retries.
func (p *placement) targets() (first, spare []ring.NodeID) {
	first = p.buf[1][:0]
	var t tally
	t.r = &p.req
	for _, id := range p.live {
		dc := p.dcOf(id)
		if !p.req.counts(dc) {
			continue
		}
		if t.met() {
			spare = append(spare, id)
			continue
		}
		before := t.got
		t.add(dc)
		if t.got > before {
			first = append(first, id)
		} else {
			spare = append(spare, id)
		}
	}
	return first, spare
}

// answer is one replica's answer to a read.
type answer struct {
	id     ring.NodeID
	data   bool // p holds data; else digest
	p      *mutation.Partition
	digest []byte
	err    error
}

// Read reads one partition. At a level one replica meets, the nearest
// replica answers (another is asked if it is slow); otherwise the nearest
// sends data and the others digests, and on a mismatch every contacted
// replica sends data, which is reconciled and written back to the stale
// ones before the answer.
func (d *Distributed) Read(ctx context.Context, cmd ReadCommand, cl Consistency) (*mutation.Partition, error) {
	if cl == Any {
		return nil, errors.New("replication: ANY ConsistencyLevel is only supported for writes")
	}
	if cl == Serial || cl == LocalSerial {
		return d.serialRead(ctx, cmd, cl)
	}
	p, err := d.place(cmd.Keyspace, cmd.Key.Token, cl)
	if err != nil {
		return nil, err
	}
	if err := p.unavailable(cl, false); err != nil {
		return nil, err
	}
	first, spare := p.targets()
	if tr := tracing.From(ctx); tr != nil {
		tr.Eventf(tracing.Read, "Reading at consistency %s (%d needed of %d replicas) from %v, spare %v", cl, p.req.need, len(first)+len(spare), d.names(first), d.names(spare))
	}
	if len(first) == 1 && len(spare) == 0 && first[0] == d.c.Local() && !cmd.Raw {
		// This node is the one replica to ask and there is no other to
		// speculate on: a local read, as the local coordinator does it.
		tracing.NoteReplica(ctx, string(first[0]))
		if tr := tracing.From(ctx); tr != nil {
			tr.Eventf(tracing.Read, "Executing single-partition query locally")
		}
		r, err := d.c.Replica(first[0]).Read(ctx, cmd)
		if err != nil {
			if tr := tracing.From(ctx); tr != nil {
				tr.Eventf(tracing.Read, "Local read failed: %v", err)
			}
			return nil, localReadErr(err, cl)
		}
		d.traceRows(ctx, d.c.Local(), r)
		return r, nil
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.ReadTimeout)
	defer cancel()
	start := time.Now()
	defer func() { d.lat.record(time.Since(start)) }()
	if len(first) == 1 && !cmd.Raw {
		return d.readNearest(ctx, cmd, p, cl, first[0], spare)
	}
	return d.readResolved(ctx, cmd, p, cl, first, spare)
}

// speculateAfter is how long to wait for replicas before asking another.
func (d *Distributed) speculateAfter() time.Duration {
	switch {
	case d.cfg.SpeculativeRetry < 0:
		return 0
	case d.cfg.SpeculativeRetry > 0:
		return d.cfg.SpeculativeRetry
	}
	return d.lat.p99()
}

// readNearest asks one replica for visible data, and one more if it has
// not answered when reads usually have.
func (d *Distributed) readNearest(ctx context.Context, cmd ReadCommand, p *placement, cl Consistency, id ring.NodeID, spare []ring.NodeID) (*mutation.Partition, error) {
	ch := make(chan answer, 2)
	ask := func(id ring.NodeID) {
		tracing.NoteReplica(ctx, string(id))
		if tr := tracing.From(ctx); tr != nil {
			tr.Eventf(tracing.Read, "Sending READ message to %s", d.name(id))
		}
		go func() {
			r, err := d.c.Replica(id).Read(ctx, cmd)
			ch <- answer{id: id, data: true, p: r, err: err}
		}()
	}
	ask(id)
	pending := 1
	var spec <-chan time.Time
	if after := d.speculateAfter(); after > 0 && len(spare) > 0 {
		t := time.NewTimer(after)
		defer t.Stop()
		spec = t.C
	}
	var firstErr error
	failures := 0
	for pending > 0 {
		select {
		case a := <-ch:
			pending--
			if a.err == nil {
				d.traceRows(ctx, a.id, a.p)
				return a.p, nil
			}
			if tr := tracing.From(ctx); tr != nil {
				tr.Eventf(tracing.Read, "READ from %s failed: %v", d.name(a.id), a.err)
			}
			if firstErr == nil {
				firstErr = a.err
			}
			failures++
		case <-spec:
			spec = nil
			d.counters.speculativeRetries.Add(1)
			if tr := tracing.From(ctx); tr != nil {
				tr.Eventf(tracing.Read, "Speculative retry after %v", d.speculateAfter())
			}
			ask(spare[0])
			pending++
		case <-ctx.Done():
			if tr := tracing.From(ctx); tr != nil {
				tr.Eventf(tracing.Read, "Timed out waiting for READ responses")
			}
			return nil, d.readErr(ctx, cl, 0, p.req.need, false)
		}
	}
	if isTimeout(firstErr) {
		return nil, &ReadTimeoutError{Consistency: cl, BlockFor: p.req.need}
	}
	return nil, &ReadFailureError{Consistency: cl, BlockFor: p.req.need, Failures: failures, Err: firstErr}
}

func isTimeout(err error) bool {
	return errors.Is(err, context.DeadlineExceeded)
}

// readErr is the error of a read whose context ended: a ReadTimeout if the
// deadline passed, the caller's cancellation otherwise.
func (d *Distributed) readErr(ctx context.Context, cl Consistency, received, blockFor int, data bool) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &ReadTimeoutError{Consistency: cl, Received: received, BlockFor: blockFor, DataPresent: data}
	}
	return ctx.Err()
}

// readResolved reads at a level several replicas meet, in rounds: a round
// reads a slice raw (tombstones included) from the replicas, reconciles,
// and keeps what every truncated answer covers; another round follows if
// the limit is not reached and a replica may hold more.
func (d *Distributed) readResolved(ctx context.Context, cmd ReadCommand, p *placement, cl Consistency, first, spare []ring.NodeID) (*mutation.Partition, error) {
	now := d.cfg.Now().Unix()
	var out *mutation.Partition
	rc := cmd
	rc.Raw = true
	for round := 0; ; round++ {
		merged, cut, truncated, err := d.readRound(ctx, rc, p, cl, first, spare)
		if err != nil {
			return nil, err
		}
		if cmd.Raw {
			// A coordinator's caller asking for raw data gets one round.
			return merged, nil
		}
		if truncated {
			truncateAfter(merged, cut, cmd.Reverse)
		}
		limit := 0
		if cmd.Limit > 0 {
			limit = cmd.Limit
			if out != nil {
				limit -= len(out.Rows)
			}
		}
		v := visible(merged, cmd.Columns, limit, now, cmd.Versions)
		switch {
		case out == nil:
			out = v
		case v != nil:
			out.Rows = append(out.Rows, v.Rows...)
		}
		if !truncated || cmd.Limit > 0 && out != nil && len(out.Rows) >= cmd.Limit || round >= 64 {
			return out, nil
		}
		// Continue after the cut.
		if cmd.Reverse {
			rc.End = cut
		} else {
			rc.Start = append(slices.Clip(cut), 0)
		}
		if rc.Start != nil && rc.End != nil && string(rc.Start) >= string(rc.End) {
			return out, nil
		}
	}
}

// readRound does one data + digests exchange, resolving mismatches. It
// returns the reconciled raw partition, and whether some answer was cut by
// the limit, with the clustering key up to which every answer is
// complete.
func (d *Distributed) readRound(ctx context.Context, cmd ReadCommand, p *placement, cl Consistency, first, spare []ring.NodeID) (*mutation.Partition, []byte, bool, error) {
	ch := make(chan answer, len(first)+len(spare))
	askNow := func(id ring.NodeID, data bool) {
		tracing.NoteReplica(ctx, string(id))
		if data {
			if tr := tracing.From(ctx); tr != nil {
				tr.Eventf(tracing.Read, "Sending READ message for data to %s", d.name(id))
			}
		} else {
			if tr := tracing.From(ctx); tr != nil {
				tr.Eventf(tracing.Read, "Sending READ message for a digest to %s", d.name(id))
			}
		}
		a := answer{id: id, data: data}
		if data {
			a.p, a.err = d.c.Replica(id).Read(ctx, cmd)
		} else {
			a.digest, a.err = d.c.Replica(id).Digest(ctx, cmd)
		}
		ch <- a
	}
	ask := func(id ring.NodeID, data bool) { go askNow(id, data) }
	// The other replicas are asked first; this node's part, if any, is
	// then done here rather than on a goroutine of its own.
	local := -1
	for i, id := range first {
		if id == d.c.Local() && local < 0 {
			local = i
			continue
		}
		ask(id, i == 0)
	}
	if local >= 0 {
		askNow(first[local], local == 0)
	}
	pending := len(first)
	var spec <-chan time.Time
	if after := d.speculateAfter(); after > 0 && len(spare) > 0 {
		t := time.NewTimer(after)
		defer t.Stop()
		spec = t.C
	}
	t := tally{r: &p.req}
	var data *answer
	var digests []answer
	var firstErr error
	failures := 0
	for !(t.met() && data != nil) {
		if pending == 0 {
			if len(spare) > 0 && data == nil {
				// The data replica failed: ask a spare for data.
				ask(spare[0], true)
				spare = spare[1:]
				pending++
				continue
			}
			if isTimeout(firstErr) {
				return nil, nil, false, &ReadTimeoutError{Consistency: cl, Received: t.got, BlockFor: p.req.need, DataPresent: data != nil}
			}
			return nil, nil, false, &ReadFailureError{Consistency: cl, Received: t.got, BlockFor: p.req.need,
				Failures: failures, DataPresent: data != nil, Err: firstErr}
		}
		select {
		case a := <-ch:
			pending--
			if a.err != nil {
				if tr := tracing.From(ctx); tr != nil {
					tr.Eventf(tracing.Read, "READ from %s failed: %v", d.name(a.id), a.err)
				}
				if firstErr == nil {
					firstErr = a.err
				}
				failures++
				continue
			}
			if a.data {
				d.traceRows(ctx, a.id, a.p)
			} else {
				if tr := tracing.From(ctx); tr != nil {
					tr.Eventf(tracing.Read, "Digest response from %s", d.name(a.id))
				}
			}
			t.add(p.dcOf(a.id))
			if a.data && data == nil {
				data = &a
			} else if a.data {
				// A second data answer (a speculative one): keep as digest.
				digests = append(digests, answer{id: a.id, digest: PartitionDigest(cmd.Table, a.p), p: a.p, data: true})
			} else {
				digests = append(digests, a)
			}
		case <-spec:
			spec = nil
			if len(spare) > 0 {
				d.counters.speculativeRetries.Add(1)
				if tr := tracing.From(ctx); tr != nil {
					tr.Eventf(tracing.Read, "Speculative retry on %s", d.name(spare[0]))
				}
				ask(spare[0], data == nil)
				spare = spare[1:]
				pending++
			}
		case <-ctx.Done():
			if tr := tracing.From(ctx); tr != nil {
				tr.Eventf(tracing.Read, "Timed out waiting for replicas: %d of %d answered", t.got, p.req.need)
			}
			return nil, nil, false, d.readErr(ctx, cl, t.got, p.req.need, data != nil)
		}
	}
	answers := []answer{*data}
	want := PartitionDigest(cmd.Table, data.p)
	match := true
	for _, a := range digests {
		answers = append(answers, a)
		if string(a.digest) != string(want) {
			match = false
		}
	}
	if match {
		cut, truncated := cutOf(cmd, answers[:1])
		return data.p, cut, truncated, nil
	}
	// Mismatch: data from every replica that answered with a digest.
	if tr := tracing.From(ctx); tr != nil {
		tr.Eventf(tracing.Read, "Digest mismatch: reading data from all %d replicas that answered", len(answers))
	}
	if err := d.fetchData(ctx, cmd, cl, p, answers); err != nil {
		return nil, nil, false, err
	}
	ps := make([]*mutation.Partition, len(answers))
	for i := range answers {
		ps[i] = answers[i].p
	}
	merged := reconcile(ps, cmd.Reverse)
	if err := d.repair(ctx, cmd, cl, p, answers, merged); err != nil {
		return nil, nil, false, err
	}
	cut, truncated := cutOf(cmd, answers)
	return merged, cut, truncated, nil
}

// fetchData replaces digest answers with data answers.
func (d *Distributed) fetchData(ctx context.Context, cmd ReadCommand, cl Consistency, p *placement, answers []answer) error {
	var wg sync.WaitGroup
	for i := range answers {
		if answers[i].data {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i].p, answers[i].err = d.c.Replica(answers[i].id).Read(ctx, cmd)
			answers[i].data = true
		}()
	}
	wg.Wait()
	got := 0
	for _, a := range answers {
		if a.err == nil {
			got++
		}
	}
	for _, a := range answers {
		if a.err != nil {
			if ctx.Err() != nil || isTimeout(a.err) {
				return &ReadTimeoutError{Consistency: cl, Received: got, BlockFor: p.req.need, DataPresent: true}
			}
			return &ReadFailureError{Consistency: cl, Received: got, BlockFor: p.req.need,
				Failures: len(answers) - got, DataPresent: true, Err: a.err}
		}
	}
	return nil
}

// repair writes the reconciled partition to each replica whose answer
// differs from it, and waits for them (blocking read repair: a following
// read at the same level cannot see older data).
func (d *Distributed) repair(ctx context.Context, cmd ReadCommand, cl Consistency, p *placement, answers []answer, merged *mutation.Partition) error {
	if merged == nil {
		return nil
	}
	want := PartitionDigest(cmd.Table, merged)
	m := &mutation.Mutation{Table: cmd.Table, Partition: *merged}
	if cmd.Reverse {
		// Mutations hold rows in ascending order.
		m.Partition.Rows = slices.Clone(merged.Rows)
		slices.Reverse(m.Partition.Rows)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(answers))
	for i, a := range answers {
		if string(PartitionDigest(cmd.Table, a.p)) == string(want) {
			continue
		}
		d.counters.readRepairs.Add(1)
		if tr := tracing.From(ctx); tr != nil {
			tr.Eventf(tracing.Repair, "Sending READ_REPAIR message to %s", d.name(a.id))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = d.c.Replica(a.id).Apply(ctx, m)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			if tr := tracing.From(ctx); tr != nil {
				tr.Eventf(tracing.Repair, "READ_REPAIR of %s failed: %v", d.name(answers[i].id), err)
			}
			if ctx.Err() != nil || isTimeout(err) {
				return &ReadTimeoutError{Consistency: cl, Received: len(answers), BlockFor: p.req.need, DataPresent: true}
			}
			return fmt.Errorf("replication: read repair: %w", err)
		}
	}
	return nil
}

// cutOf returns, when some answer was cut short by the limit, the
// clustering key up to which all answers are complete: the earliest (in
// read order) last row of a truncated answer.
func cutOf(cmd ReadCommand, answers []answer) ([]byte, bool) {
	if cmd.Limit <= 0 {
		return nil, false
	}
	var cut []byte
	truncated := false
	for _, a := range answers {
		if a.p == nil || len(a.p.Rows) < cmd.Limit {
			continue
		}
		last := a.p.Rows[len(a.p.Rows)-1].Clustering
		if !truncated || cmd.Reverse && string(last) > string(cut) || !cmd.Reverse && string(last) < string(cut) {
			cut = last
		}
		truncated = true
	}
	return cut, truncated
}

// latencies keeps recent read latencies for the speculative-retry
// threshold.
type latencies struct {
	mu    sync.Mutex
	ring  [1024]time.Duration
	n     int
	cache time.Duration
	stale int
}

func (l *latencies) record(d time.Duration) {
	l.mu.Lock()
	l.ring[l.n%len(l.ring)] = d
	l.n++
	l.stale++
	l.mu.Unlock()
}

// p99 returns the 99th percentile of the recent latencies (0 until there
// are enough), recomputed every 100 reads.
func (l *latencies) p99() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n < 100 {
		return 0
	}
	if l.stale >= 100 || l.cache == 0 {
		k := min(l.n, len(l.ring))
		s := slices.Clone(l.ring[:k])
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		l.cache = s[k*99/100]
		l.stale = 0
	}
	return l.cache
}
