package messaging

import (
	"context"
	"math/rand/v2"
	"reflect"
	"testing"

	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/schema/timeuuid"
)

// paxosEcho is a replica whose Paxos answers are fixed, recording what it
// was asked.
type paxosEcho struct {
	localReplicaStub
	promise  replication.Promise
	gotKey   replication.PaxosKey
	gotRead  *replication.ReadCommand
	gotProp  replication.Proposal
	accepted bool
}

type localReplicaStub struct{ replication.Replica }

func (e *paxosEcho) PaxosPrepare(_ context.Context, k replication.PaxosKey, _ replication.Ballot, read *replication.ReadCommand) (replication.Promise, error) {
	e.gotKey, e.gotRead = k, read
	return e.promise, nil
}

func (e *paxosEcho) PaxosPropose(_ context.Context, k replication.PaxosKey, p replication.Proposal) (bool, error) {
	e.gotKey, e.gotProp = k, p
	return e.accepted, nil
}

func (e *paxosEcho) PaxosCommit(_ context.Context, k replication.PaxosKey, p replication.Proposal) error {
	e.gotKey, e.gotProp = k, p
	return nil
}

// TestPaxosOverTheWire: prepares (with and without a read), proposals and
// commits reach a peer's replica through gRPC and the in-memory network
// as they were sent, and promises come back whole.
func TestPaxosOverTheWire(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	upd := randMutation(r)
	data := randPartition(r)
	acc := replication.Proposal{Ballot: timeuuid.New(), Update: upd}
	echo := &paxosEcho{localReplicaStub: localReplicaStub{openReplica(t)}, accepted: true,
		promise: replication.Promise{Promised: true, Ballot: timeuuid.New(), Accepted: &acc,
			MostRecentCommit: replication.Proposal{Ballot: timeuuid.New(), Update: randMutation(r)}, Data: data, HasData: true}}
	_, addr := startServer(t, echo, ServerOptions{})
	n := NewNetwork()
	if err := n.Register("b", echo, ServerOptions{}); err != nil {
		t.Fatal(err)
	}
	k := replication.PaxosKey{Table: upd.Table, Key: upd.Partition.Key}
	read := &replication.ReadCommand{Table: k.Table, Key: k.Key, Start: []byte{1}, End: nil, Reverse: true, Columns: []uint32{2, 5}, Raw: true}
	ctx := context.Background()
	for name, peer := range map[string]replication.PaxosReplica{"grpc": dial(t, addr, DialOptions{}), "network": n.Replica("a", "b")} {
		pr, err := peer.PaxosPrepare(ctx, k, timeuuid.New(), read)
		if err != nil {
			t.Fatalf("%s: prepare: %v", name, err)
		}
		want := echo.promise
		want.Data = &mutation.Partition{}
		*want.Data = *data
		if pr.Promised != want.Promised || pr.Ballot != want.Ballot || pr.Accepted == nil || pr.Accepted.Ballot != acc.Ballot ||
			!reflect.DeepEqual(mutation.AppendMutation(nil, &pr.Accepted.Update), mutation.AppendMutation(nil, &acc.Update)) ||
			pr.MostRecentCommit.Ballot != want.MostRecentCommit.Ballot || !pr.HasData ||
			!reflect.DeepEqual(mutation.AppendMutation(nil, &mutation.Mutation{Partition: *pr.Data}), mutation.AppendMutation(nil, &mutation.Mutation{Partition: *data})) {
			t.Errorf("%s: promise %+v, want %+v", name, pr, want)
		}
		if !reflect.DeepEqual(echo.gotKey, k) || echo.gotRead == nil || string(echo.gotRead.Start) != "\x01" || echo.gotRead.End != nil ||
			!echo.gotRead.Reverse || !reflect.DeepEqual(echo.gotRead.Columns, read.Columns) {
			t.Errorf("%s: the replica got key %+v, read %+v", name, echo.gotKey, echo.gotRead)
		}
		if _, err := peer.PaxosPrepare(ctx, k, timeuuid.New(), nil); err != nil || echo.gotRead != nil {
			t.Errorf("%s: a prepare without a read: %v, the replica got read %+v", name, err, echo.gotRead)
		}
		p := replication.Proposal{Ballot: timeuuid.New(), Update: upd}
		if ok, err := peer.PaxosPropose(ctx, k, p); err != nil || !ok || echo.gotProp.Ballot != p.Ballot {
			t.Errorf("%s: propose: %v, %v", name, ok, err)
		}
		if err := peer.PaxosCommit(ctx, k, p); err != nil || echo.gotProp.Ballot != p.Ballot {
			t.Errorf("%s: commit: %v", name, err)
		}
	}
}

// counterEcho leads counter writes by answering a fixed mutation.
type counterEcho struct {
	localReplicaStub
	got, answer mutation.Mutation
}

func (e *counterEcho) ApplyCounter(_ context.Context, m *mutation.Mutation) (*mutation.Mutation, error) {
	e.got = *m
	return &e.answer, nil
}

// TestCounterOverTheWire: a counter write reaches a peer leading it, over
// gRPC and the in-memory network, and its shards come back.
func TestCounterOverTheWire(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	echo := &counterEcho{localReplicaStub: localReplicaStub{openReplica(t)}, answer: randMutation(r)}
	_, addr := startServer(t, echo, ServerOptions{})
	n := NewNetwork()
	if err := n.Register("b", echo, ServerOptions{}); err != nil {
		t.Fatal(err)
	}
	for name, peer := range map[string]replication.CounterReplica{"grpc": dial(t, addr, DialOptions{}), "network": n.Replica("a", "b")} {
		m := randMutation(r)
		res, err := peer.ApplyCounter(context.Background(), &m)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(mutation.AppendMutation(nil, &echo.got), mutation.AppendMutation(nil, &m)) ||
			!reflect.DeepEqual(mutation.AppendMutation(nil, res), mutation.AppendMutation(nil, &echo.answer)) {
			t.Errorf("%s: the leader got or answered something else", name)
		}
	}
}
