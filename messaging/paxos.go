package messaging

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"wcdb/mutation"
	"wcdb/replication"
)

// Paxos between nodes (replication.PaxosReplica): a peer's Client and the
// in-memory network's peers send the messages below as Calls of methods
// named "paxos.*"; the handler answers them with the node's replica.

// Method names of the Paxos messages.
const (
	methodPaxosPrepare = "paxos.prepare"
	methodPaxosPropose = "paxos.propose"
	methodPaxosCommit  = "paxos.commit"
	paxosMethodPrefix  = "paxos."
)

// caller is what carries a Call: a Client or a network peer.
type caller interface {
	Call(ctx context.Context, method string, req []byte) ([]byte, error)
}

// streamCalls makes a client's Calls on its streams, as hot calls go (a
// unary gRPC call costs a stream of its own): Paxos messages are three
// round trips of every lightweight transaction. Only nodes that know
// Paxos take these calls, and every such node serves Call on its streams.
type streamCalls struct{ c *Client }

func (s streamCalls) Call(ctx context.Context, method string, req []byte) ([]byte, error) {
	var resp blobMsg
	if err := s.c.stream(ctx, opCall, &argsMsg{args: []string{method, string(req)}}, &resp); err != nil {
		return nil, err
	}
	return resp.b, nil
}

// PaxosPrepare implements replication.PaxosReplica.
func (c *Client) PaxosPrepare(ctx context.Context, k replication.PaxosKey, b replication.Ballot, read *replication.ReadCommand) (replication.Promise, error) {
	return remotePaxos{streamCalls{c}}.PaxosPrepare(ctx, k, b, read)
}

// PaxosPropose implements replication.PaxosReplica.
func (c *Client) PaxosPropose(ctx context.Context, k replication.PaxosKey, p replication.Proposal) (bool, error) {
	return remotePaxos{streamCalls{c}}.PaxosPropose(ctx, k, p)
}

// PaxosCommit implements replication.PaxosReplica.
func (c *Client) PaxosCommit(ctx context.Context, k replication.PaxosKey, p replication.Proposal) error {
	return remotePaxos{streamCalls{c}}.PaxosCommit(ctx, k, p)
}

// PaxosPrepare implements replication.PaxosReplica.
func (p *netPeer) PaxosPrepare(ctx context.Context, k replication.PaxosKey, b replication.Ballot, read *replication.ReadCommand) (replication.Promise, error) {
	return remotePaxos{p}.PaxosPrepare(ctx, k, b, read)
}

// PaxosPropose implements replication.PaxosReplica.
func (p *netPeer) PaxosPropose(ctx context.Context, k replication.PaxosKey, pr replication.Proposal) (bool, error) {
	return remotePaxos{p}.PaxosPropose(ctx, k, pr)
}

// PaxosCommit implements replication.PaxosReplica.
func (p *netPeer) PaxosCommit(ctx context.Context, k replication.PaxosKey, pr replication.Proposal) error {
	return remotePaxos{p}.PaxosCommit(ctx, k, pr)
}

// Paxos messages, each the method's request or answer:
//
//	prepare request:  table[16] key ballot[16] hasRead[1] [read]
//	propose request:  table[16] key proposal
//	commit request:   table[16] key proposal
//	prepare answer:   promised[1] ballot[16] hasAccepted[1] [proposal] proposal(most recent commit)
//	                  hasData[1] [mutation(the data)]
//	propose answer:   accepted[1]
//	commit answer:    empty
//
// key is the partition key: uvarint length, bytes, then the token as
// 8 bytes big endian; proposal is ballot[16], then the update's mutation;
// a mutation is its encoding (mutation.AppendMutation) behind a uvarint
// length. read is a slice of the partition: start and end (each a flag
// byte, 1 for a bound, then uvarint length and bytes), reverse[1], and the
// columns (uvarint count, uvarint each); its Limit is not sent (prepares
// only read without one).

func appendPaxosKey(b []byte, k replication.PaxosKey) []byte {
	b = append(b, k.Table[:]...)
	b = binary.AppendUvarint(b, uint64(len(k.Key.Bytes)))
	b = append(b, k.Key.Bytes...)
	return binary.BigEndian.AppendUint64(b, uint64(k.Key.Token))
}

func appendRead(b []byte, r *replication.ReadCommand) []byte {
	for _, bound := range [][]byte{r.Start, r.End} {
		if bound == nil {
			b = append(b, 0)
			continue
		}
		b = append(b, 1)
		b = binary.AppendUvarint(b, uint64(len(bound)))
		b = append(b, bound...)
	}
	rev := byte(0)
	if r.Reverse {
		rev = 1
	}
	b = append(b, rev)
	b = binary.AppendUvarint(b, uint64(len(r.Columns)))
	for _, c := range r.Columns {
		b = binary.AppendUvarint(b, uint64(c))
	}
	return b
}

func (d *paxosDecoder) read(k replication.PaxosKey) *replication.ReadCommand {
	r := &replication.ReadCommand{Table: k.Table, Key: k.Key, Raw: true}
	for _, bound := range []*[]byte{&r.Start, &r.End} {
		if f := d.take(1); f != nil && f[0] == 1 {
			*bound = bytes.Clone(d.take(d.uvarint()))
			if *bound == nil {
				*bound = []byte{}
			}
		}
	}
	if f := d.take(1); f != nil {
		r.Reverse = f[0] == 1
	}
	n := d.uvarint()
	for range n {
		v, w := binary.Uvarint(d.b)
		if w <= 0 {
			d.err = errors.New("replication: bad column in a Paxos read")
			return r
		}
		d.b = d.b[w:]
		r.Columns = append(r.Columns, uint32(v))
	}
	return r
}

func appendMutationBlob(b []byte, m *mutation.Mutation) []byte {
	enc := mutation.AppendMutation(nil, m)
	b = binary.AppendUvarint(b, uint64(len(enc)))
	return append(b, enc...)
}

func appendProposal(b []byte, p *replication.Proposal) []byte {
	b = append(b, p.Ballot[:]...)
	enc := mutation.AppendMutation(nil, &p.Update)
	b = binary.AppendUvarint(b, uint64(len(enc)))
	return append(b, enc...)
}

// paxosDecoder reads a message; the first error sticks.
type paxosDecoder struct {
	b   []byte
	err error
}

func (d *paxosDecoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || len(d.b) < n {
		d.err = errors.New("replication: truncated Paxos message")
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *paxosDecoder) uvarint() int {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > uint64(len(d.b)) {
		d.err = errors.New("replication: bad length in a Paxos message")
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

func (d *paxosDecoder) ballot() (b replication.Ballot) {
	copy(b[:], d.take(16))
	return b
}

func (d *paxosDecoder) key() (k replication.PaxosKey) {
	copy(k.Table[:], d.take(16))
	k.Key.Bytes = bytes.Clone(d.take(d.uvarint()))
	if t := d.take(8); t != nil {
		k.Key.Token = int64(binary.BigEndian.Uint64(t))
	}
	return k
}

func (d *paxosDecoder) proposal() (p replication.Proposal) {
	p.Ballot = d.ballot()
	enc := d.take(d.uvarint())
	if d.err != nil {
		return p
	}
	m, err := mutation.DecodeMutation(enc)
	if err != nil {
		d.err = fmt.Errorf("replication: Paxos proposal: %w", err)
		return p
	}
	p.Update = m
	return p
}

func (d *paxosDecoder) done() error {
	if d.err == nil && len(d.b) != 0 {
		d.err = errors.New("replication: trailing bytes in a Paxos message")
	}
	return d.err
}

// remotePaxos sends Paxos messages through a peer's Call.
type remotePaxos struct{ c caller }

func (r remotePaxos) PaxosPrepare(ctx context.Context, k replication.PaxosKey, ballot replication.Ballot, read *replication.ReadCommand) (replication.Promise, error) {
	req := append(appendPaxosKey(nil, k), ballot[:]...)
	if read != nil {
		req = appendRead(append(req, 1), read)
	} else {
		req = append(req, 0)
	}
	b, err := r.c.Call(ctx, methodPaxosPrepare, req)
	if err != nil {
		return replication.Promise{}, err
	}
	d := paxosDecoder{b: b}
	var pr replication.Promise
	flag := d.take(1)
	pr.Promised = flag != nil && flag[0] == 1
	pr.Ballot = d.ballot()
	if has := d.take(1); has != nil && has[0] == 1 {
		a := d.proposal()
		pr.Accepted = &a
	}
	pr.MostRecentCommit = d.proposal()
	if has := d.take(1); has != nil && has[0] == 1 {
		pr.HasData = true
		enc := d.take(d.uvarint())
		if d.err == nil && len(enc) > 0 {
			m, err := mutation.DecodeMutation(enc)
			if err != nil {
				return pr, fmt.Errorf("replication: Paxos promise data: %w", err)
			}
			pr.Data = &m.Partition
		}
	}
	return pr, d.done()
}

func (r remotePaxos) PaxosPropose(ctx context.Context, k replication.PaxosKey, p replication.Proposal) (bool, error) {
	b, err := r.c.Call(ctx, methodPaxosPropose, appendProposal(appendPaxosKey(nil, k), &p))
	if err != nil {
		return false, err
	}
	if len(b) != 1 {
		return false, errors.New("replication: bad Paxos propose answer")
	}
	return b[0] == 1, nil
}

func (r remotePaxos) PaxosCommit(ctx context.Context, k replication.PaxosKey, p replication.Proposal) error {
	_, err := r.c.Call(ctx, methodPaxosCommit, appendProposal(appendPaxosKey(nil, k), &p))
	return err
}

// servePaxos answers a Paxos message (a Call of one of the Paxos methods) with the node's own replica.
func servePaxos(ctx context.Context, local replication.PaxosReplica, method string, req []byte) ([]byte, error) {
	d := paxosDecoder{b: req}
	k := d.key()
	switch method {
	case methodPaxosPrepare:
		ballot := d.ballot()
		var read *replication.ReadCommand
		if has := d.take(1); has != nil && has[0] == 1 {
			read = d.read(k)
		}
		if err := d.done(); err != nil {
			return nil, err
		}
		pr, err := local.PaxosPrepare(ctx, k, ballot, read)
		if err != nil {
			return nil, err
		}
		b := []byte{0}
		if pr.Promised {
			b[0] = 1
		}
		b = append(b, pr.Ballot[:]...)
		if pr.Accepted != nil {
			b = appendProposal(append(b, 1), pr.Accepted)
		} else {
			b = append(b, 0)
		}
		b = appendProposal(b, &pr.MostRecentCommit)
		switch {
		case !pr.HasData:
			b = append(b, 0)
		case pr.Data == nil:
			b = append(b, 1, 0) // an empty partition: a zero-length mutation
		default:
			b = appendMutationBlob(append(b, 1), &mutation.Mutation{Table: k.Table, Partition: *pr.Data})
		}
		return b, nil
	case methodPaxosPropose:
		p := d.proposal()
		if err := d.done(); err != nil {
			return nil, err
		}
		ok, err := local.PaxosPropose(ctx, k, p)
		if err != nil {
			return nil, err
		}
		if ok {
			return []byte{1}, nil
		}
		return []byte{0}, nil
	case methodPaxosCommit:
		p := d.proposal()
		if err := d.done(); err != nil {
			return nil, err
		}
		return []byte{}, local.PaxosCommit(ctx, k, p)
	}
	return nil, fmt.Errorf("replication: unknown Paxos method %q", method)
}
