package replication

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"wcdb/internal/tracing"
	"wcdb/mutation"
	"wcdb/ring"
	"wcdb/schema/timeuuid"
)

// Cassandra's Paxos for lightweight transactions (StorageProxy.cas), per
// partition, among its replicas (natural and pending, as a write):
//
//  1. prepare: a new ballot, higher than any seen, to every participant;
//     a quorum of promises is needed (one refusal means another proposer
//     is ahead: back off and retry with a higher ballot);
//  2. repair: a proposal accepted by a promiser and newer than every
//     commit the promisers saw is re-proposed with our ballot and
//     committed, and the round starts again; promisers that missed the
//     newest commit get it (so that the quorum read sees it);
//  3. read the partition at the serial level's quorum; the query layer
//     decides (the conditions) on what it read;
//  4. propose the update with our ballot; a quorum of accepts is needed
//     (a refusal: retry from 1);
//  5. commit at the statement's consistency level: every participant
//     applies the update and records the commit.
//
// A serial read is 1-3. Rounds are retried until cas_contention_timeout;
// each phase waits at most the write timeout. A proposal that some
// replicas accepted and that timed out is an uncertain outcome: a later
// round may complete it. Both end in a WriteTimeout with write type CAS.

// paxosGroup is the participants of one partition's Paxos: its live
// natural and pending replicas, of which need must answer (a quorum of
// the natural ones, plus the pending ones).
type paxosGroup struct {
	key          PaxosKey
	participants []ring.NodeID
	need         int
}

// paxosGroupFor places a partition's Paxos: the live natural and pending
// replicas (those of the local datacenter for LOCAL_SERIAL), and how many
// must answer.
func (d *Distributed) paxosGroupFor(req *ReadCommand, serial Consistency) (*paxosGroup, error) {
	p, err := d.placeWrite(req.Keyspace, req.Key.Token, serial)
	if err != nil {
		return nil, err
	}
	g := &paxosGroup{key: PaxosKey{Table: req.Table, Key: req.Key}, need: p.req.need}
	localDC := ""
	if serial == LocalSerial {
		m := d.c.Ring()
		n, _ := m.Node(d.c.Local())
		localDC = n.DC
	}
	for _, ids := range [...][]ring.NodeID{p.live, p.pending} {
		for _, id := range ids {
			if localDC == "" || p.dcOf(id) == localDC {
				g.participants = append(g.participants, id)
			}
		}
	}
	if len(g.participants) < g.need {
		return nil, &UnavailableError{Consistency: serial, Required: g.need, Alive: len(g.participants)}
	}
	return g, nil
}

// quorumOf is the level of the read a serial level makes.
func quorumOf(serial Consistency) Consistency {
	if serial == LocalSerial {
		return LocalQuorum
	}
	return Quorum
}

// CAS runs a lightweight transaction.
func (d *Distributed) CAS(ctx context.Context, req CASRequest, serial, commit Consistency) (CASResult, error) {
	if serial != Serial && serial != LocalSerial {
		return CASResult{}, fmt.Errorf("replication: %s is not a serial consistency level", serial)
	}
	if commit == Serial || commit == LocalSerial {
		return CASResult{}, fmt.Errorf("replication: the commit of a lightweight transaction cannot be at %s", commit)
	}
	var res CASResult
	var seen Ballot
	deadline := d.cfg.Now().Add(d.cfg.CASContentionTimeout)
	for {
		g, err := d.paxosGroupFor(&req.Read, serial)
		if err != nil {
			return res, err
		}
		ballot, ok, cur, err := d.paxosBegin(ctx, g, serial, commit, &seen, &res, &req.Read)
		if err != nil {
			return res, err
		}
		if ok {
			res.Current = cur
			upd, err := req.Decide(cur, timeuuid.Micros(ballot))
			if err != nil || upd == nil {
				return res, err
			}
			prop := Proposal{Ballot: ballot, Update: *upd}
			accepted, err := d.paxosPropose(ctx, g, serial, &prop, &res)
			if err != nil {
				return res, err
			}
			if accepted {
				if err := d.paxosCommit(ctx, g, commit, &prop, &res); err != nil {
					return res, err
				}
				res.Applied = true
				return res, nil
			}
		}
		if err := d.paxosBackoff(ctx, deadline, g, serial); err != nil {
			return res, err
		}
	}
}

// serialRead reads a partition at SERIAL or LOCAL_SERIAL: a Paxos round
// that completes any transaction left in progress, then a quorum read.
func (d *Distributed) serialRead(ctx context.Context, cmd ReadCommand, serial Consistency) (*mutation.Partition, error) {
	var res CASResult
	var seen Ballot
	deadline := d.cfg.Now().Add(d.cfg.CASContentionTimeout)
	for {
		g, err := d.paxosGroupFor(&cmd, serial)
		if err != nil {
			return nil, err
		}
		_, ok, cur, err := d.paxosBegin(ctx, g, serial, quorumOf(serial), &seen, &res, &cmd)
		if err != nil {
			return nil, err
		}
		if ok {
			return cur, nil
		}
		if err := d.paxosBackoff(ctx, deadline, g, serial); err != nil {
			var wt *WriteTimeoutError
			if errors.As(err, &wt) {
				return nil, &ReadTimeoutError{Consistency: serial, BlockFor: g.need}
			}
			return nil, err
		}
	}
}

// paxosBackoff waits a random while before the next round, as Cassandra
// (up to 100 ms), or fails with a CAS WriteTimeout once the contention
// timeout is up.
func (d *Distributed) paxosBackoff(ctx context.Context, deadline time.Time, g *paxosGroup, serial Consistency) error {
	wait := time.Duration(rand.Int64N(int64(100 * time.Millisecond)))
	if d.cfg.Now().Add(wait).After(deadline) {
		return &WriteTimeoutError{Consistency: serial, BlockFor: g.need, WriteType: WriteCAS}
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return &WriteTimeoutError{Consistency: serial, BlockFor: g.need, WriteType: WriteCAS}
	}
}

// paxosAnswer is one participant's answer in a phase.
type paxosAnswer struct {
	id      ring.NodeID
	promise Promise
	ok      bool
	err     error
}

// paxosAsk sends a phase's message to every participant and gathers
// answers until stop says enough, all have answered, the write timeout
// passes or ctx ends; timedOut reports the last two. The calls go on
// after an early return, until they end or time out: a commit must reach
// the participants the level did not wait for.
func (d *Distributed) paxosAsk(ctx context.Context, g *paxosGroup, ask func(context.Context, PaxosReplica) paxosAnswer,
	stop func([]paxosAnswer) bool) (answers []paxosAnswer, timedOut bool) {
	callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.WriteTimeout)
	ch := make(chan paxosAnswer, len(g.participants))
	var running sync.WaitGroup
	for _, id := range g.participants {
		tracing.NoteReplica(ctx, string(id))
		pr, ok := paxosOf(d.c.Replica(id))
		if !ok {
			ch <- paxosAnswer{id: id, err: errors.New("replication: the replica does not take part in Paxos")}
			continue
		}
		running.Add(1)
		go func() {
			defer running.Done()
			a := ask(callCtx, pr)
			a.id = id
			ch <- a
		}()
	}
	go func() {
		running.Wait()
		cancel()
	}()
	// The calls' context ends when they are all done: the wait has its
	// own timer.
	timer := time.NewTimer(d.cfg.WriteTimeout)
	defer timer.Stop()
	for range g.participants {
		select {
		case a := <-ch:
			answers = append(answers, a)
			if stop(answers) {
				return answers, false
			}
		case <-timer.C:
			return answers, true
		case <-ctx.Done():
			return answers, true
		}
	}
	return answers, false
}

// paxosBegin runs the prepare phase and the repairs it calls for, and
// reads the partition as read says. ok is false when the round lost to a
// higher ballot (seen is raised to it) or repaired an in-progress
// proposal: the caller backs off and retries.
//
// The read rides on the prepare (as Cassandra's Paxos v2 does): each
// promise carries the replica's data, read under the lock its Paxos state
// is read under. When every promiser has seen the newest commit, their
// data reconciled is the partition as of the ballot, and the round needs
// no read of its own; otherwise (a promiser behind, which the round brings
// up to date) it reads at the serial level's quorum after the repair.
func (d *Distributed) paxosBegin(ctx context.Context, g *paxosGroup, serial, commit Consistency, seen *Ballot, res *CASResult,
	read *ReadCommand) (ballot Ballot, ok bool, current *mutation.Partition, err error) {
	ballot, ok, fresh, err := d.paxosPrepare(ctx, g, serial, commit, seen, res, read)
	if err != nil || !ok {
		return ballot, ok, nil, err
	}
	if fresh != nil {
		return ballot, true, fresh.current, nil
	}
	res.RoundTrips++
	current, err = d.Read(ctx, *read, quorumOf(serial))
	return ballot, err == nil, current, err
}

// promisedRead is the partition as the promises carried it.
type promisedRead struct{ current *mutation.Partition }

// paxosPrepare is paxosBegin's prepare and repairs; fresh is the read the
// promises carried, when it can stand for a quorum read.
func (d *Distributed) paxosPrepare(ctx context.Context, g *paxosGroup, serial, commit Consistency, seen *Ballot, res *CASResult,
	read *ReadCommand) (Ballot, bool, *promisedRead, error) {
	withData := read
	if read.Limit > 0 || read.Raw {
		withData = nil // a short read would need the coordinator's rounds
	}
	ballot := timeuuid.FromTicks(timeuuid.ReserveFrom(timeuuid.Ticks(*seen) + 1))
	if tr := tracing.From(ctx); tr != nil {
		tr.Eventf(tracing.Mutation, "Preparing Paxos ballot %x with %d participants, %d needed", ballot, len(g.participants), g.need)
	}
	res.RoundTrips++
	answers, timedOut := d.paxosAsk(ctx, g, func(ctx context.Context, pr PaxosReplica) paxosAnswer {
		p, err := pr.PaxosPrepare(ctx, g.key, ballot, withData)
		return paxosAnswer{promise: p, ok: err == nil && p.Promised, err: err}
	}, func(as []paxosAnswer) bool {
		promised := 0
		for _, a := range as {
			if a.err == nil && !a.promise.Promised {
				return true // a higher ballot: this round is lost
			}
			if a.ok {
				promised++
			}
		}
		return promised >= g.need
	})
	var promises []paxosAnswer
	failures := 0
	for _, a := range answers {
		switch {
		case a.err != nil:
			failures++
		case !a.promise.Promised:
			if CompareBallots(a.promise.Ballot, *seen) > 0 {
				*seen = a.promise.Ballot
			}
		default:
			promises = append(promises, a)
		}
	}
	if len(promises) < g.need {
		if len(promises)+failures < len(answers) {
			return ballot, false, nil, nil // refused by a higher ballot
		}
		if timedOut || failures > len(g.participants)-g.need {
			return ballot, false, nil, &WriteTimeoutError{Consistency: serial, Received: len(promises), BlockFor: g.need, WriteType: WriteCAS}
		}
		return ballot, false, nil, nil
	}
	// The newest commit the promisers know of, and the newest proposal
	// they accepted.
	var mrc Proposal
	var inProgress *Proposal
	for _, a := range promises {
		if CompareBallots(a.promise.MostRecentCommit.Ballot, mrc.Ballot) > 0 {
			mrc = a.promise.MostRecentCommit
		}
		if acc := a.promise.Accepted; acc != nil && (inProgress == nil || CompareBallots(acc.Ballot, inProgress.Ballot) > 0) {
			inProgress = acc
		}
	}
	if inProgress != nil && CompareBallots(inProgress.Ballot, mrc.Ballot) > 0 && !emptyUpdate(&inProgress.Update.Partition) {
		// Finish what another proposer left: its update, our ballot.
		if tr := tracing.From(ctx); tr != nil {
			tr.Eventf(tracing.Mutation, "Finishing incomplete Paxos round %x", inProgress.Ballot)
		}
		redo := Proposal{Ballot: ballot, Update: inProgress.Update}
		accepted, err := d.paxosPropose(ctx, g, serial, &redo, res)
		var wt *WriteTimeoutError
		if errors.As(err, &wt) {
			// Not this transaction's update: a round to come finishes it.
			return ballot, false, nil, nil
		}
		if err != nil {
			return ballot, false, nil, err
		}
		if accepted {
			if err := d.paxosCommit(ctx, g, commit, &redo, res); err != nil {
				return ballot, false, nil, err
			}
		}
		return ballot, false, nil, nil
	}
	// Promisers behind the newest commit get it before the read.
	if mrc.Ballot != (Ballot{}) {
		var behind []ring.NodeID
		for _, a := range promises {
			if CompareBallots(a.promise.MostRecentCommit.Ballot, mrc.Ballot) < 0 {
				behind = append(behind, a.id)
			}
		}
		if len(behind) > 0 {
			if tr := tracing.From(ctx); tr != nil {
				tr.Eventf(tracing.Mutation, "Sending the most recent Paxos commit to %d replicas that lack it", len(behind))
			}
			sub := &paxosGroup{key: g.key, participants: behind, need: len(behind)}
			if err := d.paxosCommit(ctx, sub, All, &mrc, res); err != nil {
				return ballot, false, nil, err
			}
			return ballot, true, nil, nil // their data is older than the commit
		}
	}
	if withData == nil {
		return ballot, true, nil, nil
	}
	datas := make([]*mutation.Partition, 0, len(promises))
	for _, a := range promises {
		if !a.promise.HasData {
			return ballot, true, nil, nil
		}
		datas = append(datas, a.promise.Data)
	}
	merged := reconcile(datas, read.Reverse)
	return ballot, true, &promisedRead{current: visible(merged, read.Columns, 0, d.cfg.Now().Unix(), read.Versions)}, nil
}

// paxosPropose asks the participants to accept p; accepted is whether a
// quorum did. Short of a quorum it waits for every answer: a proposal
// that any participant accepted, or may have (a call that failed), may be
// completed by a later round, so the outcome is unknown (a CAS
// WriteTimeout); only one refused by all may be retried.
func (d *Distributed) paxosPropose(ctx context.Context, g *paxosGroup, serial Consistency, p *Proposal, res *CASResult) (bool, error) {
	res.RoundTrips++
	count := func(as []paxosAnswer) (acc int) {
		for _, a := range as {
			if a.ok {
				acc++
			}
		}
		return acc
	}
	answers, _ := d.paxosAsk(ctx, g, func(ctx context.Context, pr PaxosReplica) paxosAnswer {
		ok, err := pr.PaxosPropose(ctx, g.key, *p)
		return paxosAnswer{ok: ok, err: err}
	}, func(as []paxosAnswer) bool { return count(as) >= g.need })
	acc, refused := count(answers), 0
	for _, a := range answers {
		if !a.ok && (a.err == nil || errors.Is(a.err, ErrNotDelivered)) {
			refused++
		}
	}
	switch {
	case acc >= g.need:
		return true, nil
	case refused == len(g.participants):
		// Refused by every participant (or never delivered): nothing of
		// ours stands. A failed call may have been accepted before its
		// answer was lost, so it leaves the outcome unknown.
		return false, nil
	}
	return false, &WriteTimeoutError{Consistency: serial, Received: acc, BlockFor: g.need, WriteType: WriteCAS}
}

// paxosCommit sends the commit to every participant and waits for cl's
// count of them (a WriteTimeout of type SIMPLE otherwise, as Cassandra's).
// Participants that fail or are late are hinted the update.
func (d *Distributed) paxosCommit(ctx context.Context, g *paxosGroup, cl Consistency, p *Proposal, res *CASResult) error {
	res.RoundTrips++
	need := len(g.participants)
	if cl != All {
		need = min(need, g.need)
		if cl == One || cl == LocalOne || cl == Any {
			need = 1
		}
	}
	// Commits outlive the request: a participant left behind still gets it.
	sendCtx := context.WithoutCancel(ctx)
	answers, timedOut := d.paxosAsk(sendCtx, g, func(ctx context.Context, pr PaxosReplica) paxosAnswer {
		err := pr.PaxosCommit(ctx, g.key, *p)
		return paxosAnswer{ok: err == nil, err: err}
	}, func(as []paxosAnswer) bool {
		n := 0
		for _, a := range as {
			if a.ok {
				n++
			}
		}
		return n >= need
	})
	acked := 0
	done := map[ring.NodeID]bool{}
	for _, a := range answers {
		if a.ok {
			acked++
			done[a.id] = true
		}
	}
	if acked >= need {
		return nil
	}
	for _, id := range g.participants {
		if !done[id] {
			d.hint(id, &p.Update)
		}
	}
	if timedOut {
		return &WriteTimeoutError{Consistency: cl, Received: acked, BlockFor: need, WriteType: WriteSimple}
	}
	return &WriteFailureError{Consistency: cl, Received: acked, BlockFor: need, Failures: len(answers) - acked, WriteType: WriteSimple}
}

// emptyUpdate reports whether a proposal changes nothing.
func emptyUpdate(p *mutation.Partition) bool {
	return p.Deletion.IsLive() && len(p.RangeTombstones) == 0 && (p.Static == nil || p.Static.IsEmpty()) && len(p.Rows) == 0
}
