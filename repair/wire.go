package repair

import (
	"encoding/binary"
	"fmt"

	"wcdb/internal/bin"
	"wcdb/internal/corrupt"
	"wcdb/mutation"
	"wcdb/ring"
)

// ErrCorrupt marks a repair message that does not decode.
var ErrCorrupt = corrupt.New("repair: corrupt message")

// wireVersion is the version of the messages below; a replica refuses
// another.
const wireVersion = 1

// Method names of the calls between replicas (messaging's Call).
const (
	MethodPrepare = "repair.prepare"
	MethodDepth   = "repair.depth"
	MethodHashes  = "repair.hashes"
	MethodLeaves  = "repair.leaves"
	MethodPull    = "repair.pull"
	MethodFinish  = "repair.finish"
)

/*
The messages, version 1. Integers are unsigned LEB128 varints ("uv")
unless a width is given (big-endian); "key" is token i64 | uv len | bytes.
Every request starts with

	version u8 | uv len | session id

and then, by method:

	prepare  table (16 bytes) | start i64 | end i64 | depth u8
	         answer: root u64 | uv partitions | uv bytes
	depth    depth u8 (the tree rebuilt at that depth from the data
	         prepare read)
	         answer: root u64 | uv partitions | uv bytes
	hashes   level u8 | uv n | n × uv index (each as its difference from
	         the previous one; ascending)
	         answer: n × hash u64 (in the order asked)
	leaves   uv n | n × uv index (as in hashes; of the leaf level)
	         answer: per leaf asked, uv m | m × (key | hash u64 | uv size)
	pull     uv len | source host id | uv n | n × key (ring order)
	         answer: uv partitions | uv bytes received
	finish   ok u8 | start i64 (ok 1: the repair of the range succeeded;
	         it started at start, unix seconds, which the replica records
	         in its History; 0: it failed, start is 0)
	         answer: empty

A session is one range of one table: prepare builds the replica's tree
(Tree) and keeps it under the session id until finish, or until it has
not been used for SessionTimeout.
*/

func appendHead(dst []byte, session string) []byte {
	dst = append(dst, wireVersion)
	dst = binary.AppendUvarint(dst, uint64(len(session)))
	return append(dst, session...)
}

func decodeHead(b []byte) (session string, d bin.Decoder, err error) {
	d = bin.NewDecoder(b)
	if v := d.Byte(); !d.Failed() && v != wireVersion {
		return "", d, fmt.Errorf("%w: message version %d (this node speaks %d)", ErrCorrupt, v, wireVersion)
	}
	session = string(d.Bytes())
	if d.Failed() {
		return "", d, fmt.Errorf("%w: short message", ErrCorrupt)
	}
	return session, d, nil
}

func finish(d *bin.Decoder, what string) error {
	if !d.Done() {
		return fmt.Errorf("%w: malformed %s", ErrCorrupt, what)
	}
	return nil
}

func appendKey(dst []byte, k mutation.Key) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(k.Token))
	dst = binary.AppendUvarint(dst, uint64(len(k.Bytes)))
	return append(dst, k.Bytes...)
}

func decodeKey(d *bin.Decoder) mutation.Key {
	tok := int64(d.Uint64BE())
	return mutation.Key{Token: tok, Bytes: d.Bytes()}
}

type prepareReq struct {
	session string
	table   mutation.TableID
	rng     ring.Range
	depth   int
}

func (r prepareReq) encode() []byte {
	b := appendHead(nil, r.session)
	b = append(b, r.table[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(r.rng.Start))
	b = binary.BigEndian.AppendUint64(b, uint64(r.rng.End))
	return append(b, byte(r.depth))
}

func decodePrepare(b []byte) (prepareReq, error) {
	var r prepareReq
	s, d, err := decodeHead(b)
	if err != nil {
		return r, err
	}
	r.session = s
	copy(r.table[:], d.Take(16))
	r.rng.Start = int64(d.Uint64BE())
	r.rng.End = int64(d.Uint64BE())
	r.depth = int(d.Byte())
	return r, finish(&d, "prepare")
}

type prepareResp struct {
	root              uint64
	partitions, bytes uint64
}

func (r prepareResp) encode() []byte {
	b := binary.BigEndian.AppendUint64(nil, r.root)
	b = binary.AppendUvarint(b, r.partitions)
	return binary.AppendUvarint(b, r.bytes)
}

func decodePrepareResp(b []byte) (prepareResp, error) {
	d := bin.NewDecoder(b)
	r := prepareResp{root: d.Uint64BE(), partitions: d.Uvarint(), bytes: d.Uvarint()}
	return r, finish(&d, "prepare answer")
}

// appendIndices encodes ascending indices as differences.
func appendIndices(dst []byte, idx []int) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(idx)))
	prev := 0
	for _, i := range idx {
		dst = binary.AppendUvarint(dst, uint64(i-prev))
		prev = i
	}
	return dst
}

func decodeIndices(d *bin.Decoder) []int {
	n := d.Count()
	out := make([]int, 0, n)
	prev := uint64(0)
	for range n {
		v := prev + d.Uvarint()
		if v < prev || v > 1<<MaxDepth {
			d.Fail()
			return nil
		}
		out = append(out, int(v))
		prev = v
	}
	return out
}

func encodeHashes(session string, level int, idx []int) []byte {
	b := appendHead(nil, session)
	b = append(b, byte(level))
	return appendIndices(b, idx)
}

func decodeHashes(b []byte) (session string, level int, idx []int, err error) {
	session, d, err := decodeHead(b)
	if err != nil {
		return "", 0, nil, err
	}
	level = int(d.Byte())
	idx = decodeIndices(&d)
	return session, level, idx, finish(&d, "hashes")
}

func encodeLeaves(session string, idx []int) []byte {
	return appendIndices(appendHead(nil, session), idx)
}

func decodeLeaves(b []byte) (session string, idx []int, err error) {
	session, d, err := decodeHead(b)
	if err != nil {
		return "", nil, err
	}
	idx = decodeIndices(&d)
	return session, idx, finish(&d, "leaves")
}

func appendEntries(dst []byte, es []Entry) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(es)))
	for _, e := range es {
		dst = appendKey(dst, e.Key)
		dst = binary.BigEndian.AppendUint64(dst, e.Hash)
		dst = binary.AppendUvarint(dst, uint64(e.Size))
	}
	return dst
}

// decodeLeavesResp decodes n leaves' entries.
func decodeLeavesResp(b []byte, n int) ([][]Entry, error) {
	d := bin.NewDecoder(b)
	out := make([][]Entry, n)
	for i := range out {
		m := d.Count()
		es := make([]Entry, 0, m)
		for range m {
			k := decodeKey(&d)
			h := d.Uint64BE()
			sz := d.Uvarint()
			es = append(es, Entry{Key: k, Hash: h, Size: int(sz)})
		}
		out[i] = es
	}
	return out, finish(&d, "leaves answer")
}

type pullReq struct {
	session string
	source  string
	keys    []mutation.Key
}

func (r pullReq) encode() []byte {
	b := appendHead(nil, r.session)
	b = binary.AppendUvarint(b, uint64(len(r.source)))
	b = append(b, r.source...)
	b = binary.AppendUvarint(b, uint64(len(r.keys)))
	for _, k := range r.keys {
		b = appendKey(b, k)
	}
	return b
}

func decodePull(b []byte) (pullReq, error) {
	var r pullReq
	s, d, err := decodeHead(b)
	if err != nil {
		return r, err
	}
	r.session = s
	r.source = string(d.Bytes())
	n := d.Count()
	r.keys = make([]mutation.Key, 0, n)
	for range n {
		r.keys = append(r.keys, decodeKey(&d))
	}
	return r, finish(&d, "pull")
}

// decodePullResp returns the bytes a pull received.
func decodePullResp(b []byte) (int64, error) {
	d := bin.NewDecoder(b)
	d.Uvarint() // partitions
	n := d.Uvarint()
	return int64(n), finish(&d, "pull answer")
}

func uint64FromBE(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

func encodeFinish(session string, ok bool, start int64) []byte {
	b := appendHead(nil, session)
	if ok {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	return binary.BigEndian.AppendUint64(b, uint64(start))
}
