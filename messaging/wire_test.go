package messaging

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/mem"

	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/schema"
)

const roundTrips = 300

// warningsOf returns a read answer's warnings.
func warningsOf(m message) []string {
	switch m := m.(type) {
	case *partitionMsg:
		return m.warnings
	case *digestMsg:
		return m.warnings
	case *rangeResultMsg:
		return m.warnings
	}
	return nil
}

// randWarnings returns none half the time, else one to three texts.
func randWarnings(r *rand.Rand) []string {
	var ws []string
	for i := range r.IntN(4) * r.IntN(2) {
		ws = append(ws, fmt.Sprintf("Read %d live rows and %d tombstone cells (%d)", r.IntN(100), r.IntN(1000), i))
	}
	return ws
}

// roundTrip encodes in, decodes it into out, and checks that out encodes
// to the same bytes and that truncations of them fail to decode, but for
// the one that cuts off a read answer's optional warnings whole.
func roundTrip(t *testing.T, in, out message, fresh func() message) {
	t.Helper()
	b := encodeMessage(nil, in)
	if err := decodeMessage(b, out); err != nil {
		t.Fatalf("decode: got %v, want nil (% x)", err, b)
	}
	if b2 := encodeMessage(nil, out); !bytes.Equal(b, b2) {
		t.Fatalf("re-encoding: got % x, want % x", b2, b)
	}
	// Every truncation of short messages; of long ones, some 40 spread
	// over the message and the last bytes.
	step := max(1, len(b)/32)
	for i := 0; i < len(b); i += step {
		if i+8 >= len(b) {
			step = 1
		}
		m := fresh()
		if err := decodeMessage(b[:i], m); err == nil &&
			(warningsOf(in) == nil || warningsOf(m) != nil || !bytes.Equal(encodeMessage(nil, m), b[:i])) {
			t.Fatalf("decoding %d of %d bytes: got nil error, want one", i, len(b))
		}
	}
	if err := decodeMessage(append(b, 0), fresh()); err == nil && in.kind() != kindMutation {
		t.Fatalf("decoding with a trailing byte: got nil error, want one")
	}
}

func TestRoundTripMutation(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range roundTrips {
		m := randMutation(r)
		var out mutationMsg
		roundTrip(t, &mutationMsg{m: &m}, &out, func() message { return &mutationMsg{} })
		if out.m.Table != m.Table || !samePartition(&out.m.Partition, &m.Partition) {
			t.Fatalf("got %+v, want %+v", out.m, m)
		}
	}
}

func TestRoundTripMutations(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for range roundTrips / 10 {
		var ms []mutation.Mutation
		for range r.IntN(5) {
			ms = append(ms, randMutation(r))
		}
		var out mutationsMsg
		roundTrip(t, &mutationsMsg{ms: ms}, &out, func() message { return &mutationsMsg{} })
		if len(out.ms) != len(ms) {
			t.Fatalf("got %d mutations, want %d", len(out.ms), len(ms))
		}
		for i := range ms {
			if out.ms[i].Table != ms[i].Table || !samePartition(&out.ms[i].Partition, &ms[i].Partition) {
				t.Fatalf("mutation %d: got %+v, want %+v", i, out.ms[i], ms[i])
			}
		}
	}
}

func TestRoundTripReadCommand(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 2))
	for range roundTrips {
		cmd := randReadCommand(r)
		var out readMsg
		roundTrip(t, &readMsg{cmd: cmd}, &out, func() message { return &readMsg{} })
		normKey(&cmd.Key)
		normKey(&out.cmd.Key)
		if !reflect.DeepEqual(out.cmd, cmd) {
			t.Fatalf("got %+v, want %+v", out.cmd, cmd)
		}
	}
}

func TestRoundTripRangeCommand(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2))
	for range roundTrips {
		cmd := randRangeCommand(r)
		var out rangeMsg
		roundTrip(t, &rangeMsg{cmd: cmd}, &out, func() message { return &rangeMsg{} })
		for _, c := range []*replication.RangeCommand{&cmd, &out.cmd} {
			normKey(c.From)
			normKey(c.To)
			if c.After != nil {
				normKey(&c.After.Key)
			}
		}
		if !reflect.DeepEqual(out.cmd, cmd) {
			t.Fatalf("got %+v, want %+v", out.cmd, cmd)
		}
	}
}

func TestRoundTripPartition(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 2))
	for i := range roundTrips {
		var p *mutation.Partition
		if i > 0 {
			p = randPartition(r)
		}
		ws := randWarnings(r)
		var out partitionMsg
		roundTrip(t, &partitionMsg{p: p, warnings: ws}, &out, func() message { return &partitionMsg{} })
		if (out.p == nil) != (p == nil) || !samePartition(out.p, p) {
			t.Fatalf("got %+v, want %+v", out.p, p)
		}
		if !reflect.DeepEqual(out.warnings, ws) {
			t.Fatalf("warnings: got %q, want %q", out.warnings, ws)
		}
	}
}

func TestRoundTripRangeResult(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 2))
	for range roundTrips / 3 {
		res, ws := randRangeResult(r), randWarnings(r)
		var out rangeResultMsg
		roundTrip(t, &rangeResultMsg{res: res, warnings: ws}, &out, func() message { return &rangeResultMsg{} })
		if !reflect.DeepEqual(out.warnings, ws) {
			t.Fatalf("warnings: got %q, want %q", out.warnings, ws)
		}
		if len(out.res.Partitions) != len(res.Partitions) {
			t.Fatalf("got %d partitions, want %d", len(out.res.Partitions), len(res.Partitions))
		}
		for i := range res.Partitions {
			if !samePartition(out.res.Partitions[i], res.Partitions[i]) {
				t.Fatalf("partition %d: got %+v, want %+v", i, out.res.Partitions[i], res.Partitions[i])
			}
		}
		if res.Next != nil {
			normKey(&res.Next.Key)
			normKey(&out.res.Next.Key)
		}
		if !reflect.DeepEqual(out.res.Next, res.Next) {
			t.Fatalf("next: got %+v, want %+v", out.res.Next, res.Next)
		}
	}
}

func TestRoundTripSmall(t *testing.T) {
	var d digestMsg
	sum := replication.PartitionDigest(testTable, nil)
	roundTrip(t, &digestMsg{digest: sum}, &d, func() message { return &digestMsg{} })
	if !bytes.Equal(d.digest, sum) {
		t.Fatalf("digest: got %x, want %x", d.digest, sum)
	}
	ws := []string{"over the threshold", ""}
	roundTrip(t, &digestMsg{digest: sum, warnings: ws}, &d, func() message { return &digestMsg{} })
	if !bytes.Equal(d.digest, sum) || !reflect.DeepEqual(d.warnings, ws) {
		t.Fatalf("digest with warnings: got %x %q, want %x %q", d.digest, d.warnings, sum, ws)
	}
	var v versionMsg
	want := Version{Wire: WireVersion, Node: "node-1", Release: "0.1.0"}
	roundTrip(t, &versionMsg{v: want}, &v, func() message { return &versionMsg{} })
	if v.v != want {
		t.Fatalf("version: got %+v, want %+v", v.v, want)
	}
	roundTrip(t, &emptyMsg{}, &emptyMsg{}, func() message { return &emptyMsg{} })
	var a argsMsg
	roundTrip(t, &argsMsg{args: []string{"getendpoints", "", "ks"}}, &a, func() message { return &argsMsg{} })
	if len(a.args) != 3 || a.args[0] != "getendpoints" || a.args[1] != "" || a.args[2] != "ks" {
		t.Fatalf("args: got %q", a.args)
	}
	var fr frameMsg
	roundTrip(t, &frameMsg{id: 77, op: 2, code: 4, timeout: 1500 * time.Microsecond, msg: "late", out: &digestMsg{digest: []byte{1, 2}}}, &fr, func() message { return &frameMsg{} })
	var inner digestMsg
	if fr.id != 77 || fr.op != 2 || fr.code != 4 || fr.timeout != 1500*time.Microsecond || fr.msg != "late" ||
		decodeMessage(fr.in, &inner) != nil || !bytes.Equal(inner.digest, []byte{1, 2}) {
		t.Fatalf("frame: got %+v", fr)
	}
	var bl blobMsg
	roundTrip(t, &blobMsg{b: []byte(`{"x":1}`)}, &bl, func() message { return &blobMsg{} })
	if string(bl.b) != `{"x":1}` {
		t.Fatalf("blob: got %q", bl.b)
	}
}

// TestKeyspaceNotSent checks that a command's keyspace stays with the
// coordinator.
func TestKeyspaceNotSent(t *testing.T) {
	ks := &schema.Keyspace{Name: "ks"}
	var out readMsg
	if err := decodeMessage(encodeMessage(nil, &readMsg{cmd: replication.ReadCommand{Keyspace: ks}}), &out); err != nil {
		t.Fatal(err)
	}
	if out.cmd.Keyspace != nil {
		t.Fatalf("keyspace: got %+v, want nil", out.cmd.Keyspace)
	}
}

// TestWireExample checks the example drawn in wire.go.
func TestWireExample(t *testing.T) {
	var table mutation.TableID
	for i := range table {
		table[i] = 1
	}
	cmd := replication.ReadCommand{Table: table, Key: mutation.Key{Token: 5, Bytes: []byte("k")}, Limit: 10}
	got := hex.EncodeToString(encodeMessage(nil, &readMsg{cmd: cmd}))
	want := "010104" + strings.Repeat("01", 16) + "0000000000000005016b" + "00" + "0000" + "14"
	if got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

// TestWarningsField checks the read answers' optional warnings field:
// without warnings an answer is the bytes a node that predates the field
// sends and reads, with them the field follows, and a count of 0 is
// corrupt (each list has one encoding).
func TestWarningsField(t *testing.T) {
	for _, c := range []struct {
		m    message
		want string
	}{
		{&digestMsg{digest: []byte{0xaa}}, "010106" + "01aa"},
		{&partitionMsg{}, "010105" + "00"},
		{&rangeResultMsg{}, "010108" + "00" + "00"},
		{&digestMsg{digest: []byte{0xaa}, warnings: []string{"w", "xy"}}, "010106" + "01aa" + "02" + "0177" + "027879"},
		{&partitionMsg{warnings: []string{"w"}}, "010105" + "00" + "01" + "0177"},
		{&rangeResultMsg{warnings: []string{"w"}}, "010108" + "00" + "00" + "01" + "0177"},
	} {
		if got := hex.EncodeToString(encodeMessage(nil, c.m)); got != c.want {
			t.Errorf("%T %q: got %s, want %s", c.m, warningsOf(c.m), got, c.want)
		}
	}
	for _, m := range []message{&digestMsg{}, &partitionMsg{}, &rangeResultMsg{}} {
		b := append(encodeMessage(nil, m), 0)
		if err := decodeMessage(b, m); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%T with 0 warnings: got %v, want ErrCorrupt", m, err)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	b := encodeMessage(nil, &readMsg{cmd: replication.ReadCommand{Table: testTable, Key: key("k")}})
	if err := decodeMessage(b, &rangeMsg{}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("wrong kind: got %v, want ErrCorrupt", err)
	}
	bad := append([]byte{WireVersion + 1}, b[1:]...)
	if err := decodeMessage(bad, &readMsg{}); err == nil || !strings.Contains(err.Error(), "wire version") {
		t.Fatalf("wrong version: got %v, want a wire version error", err)
	}
	bad = append([]byte(nil), b...)
	bad[1] = mutation.EncodingVersion + 1
	if err := decodeMessage(bad, &readMsg{}); err == nil {
		t.Fatalf("wrong mutation encoding version: got nil error, want one")
	}
	// A count claiming more items than bytes allocates nothing.
	huge := []byte{WireVersion, mutation.EncodingVersion, kindMutations, 0xff, 0xff, 0xff, 0xff, 0x0f}
	if err := decodeMessage(huge, &mutationsMsg{}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("huge count: got %v, want ErrCorrupt", err)
	}
}

// TestCodec runs messages through the gRPC codec: pooled and unpooled
// encodings, and decoding from data split over several buffers.
func TestCodec(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 2))
	var c codec
	for i := range 50 {
		m := randMutation(r)
		if i%2 == 0 {
			// Large enough for gRPC to pool its buffer.
			m.Partition.Rows = append(m.Partition.Rows, mutation.Row{Clustering: []byte{0xff, 0xff},
				Liveness: mutation.NoLiveness, Deletion: mutation.Live,
				Cells: []mutation.Cell{{Column: 1, Timestamp: 1, LocalDeletionTime: mutation.NoDeletionTime,
					Value: bytes.Repeat([]byte{'v'}, 4000)}}})
		}
		data, err := c.Marshal(&mutationMsg{m: &m})
		if err != nil {
			t.Fatal(err)
		}
		b := data.Materialize()
		split := r.IntN(len(b))
		var out mutationMsg
		err = c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(b[:split]), mem.SliceBuffer(b[split:])}, &out)
		data.Free()
		if err != nil {
			t.Fatal(err)
		}
		if !samePartition(&out.m.Partition, &m.Partition) {
			t.Fatalf("got %+v, want %+v", out.m.Partition, m.Partition)
		}
	}
	if _, err := c.Marshal("text"); err == nil {
		t.Fatalf("marshal of a string: got nil error, want one")
	}
	if err := c.Unmarshal(nil, new(int)); err == nil {
		t.Fatalf("unmarshal into an int: got nil error, want one")
	}
}

// FuzzDecode feeds every decoder arbitrary bytes: none may panic, and what
// decodes must encode to bytes that decode to the same encoding again.
func FuzzDecode(f *testing.F) {
	r := rand.New(rand.NewPCG(8, 2))
	for range 5 {
		m := randMutation(r)
		f.Add(encodeMessage(nil, &mutationMsg{m: &m}))
		f.Add(encodeMessage(nil, &mutationsMsg{ms: []mutation.Mutation{m}}))
		f.Add(encodeMessage(nil, &readMsg{cmd: randReadCommand(r)}))
		f.Add(encodeMessage(nil, &rangeMsg{cmd: randRangeCommand(r)}))
		f.Add(encodeMessage(nil, &partitionMsg{p: randPartition(r), warnings: randWarnings(r)}))
		f.Add(encodeMessage(nil, &rangeResultMsg{res: randRangeResult(r), warnings: randWarnings(r)}))
	}
	f.Add(encodeMessage(nil, &digestMsg{digest: []byte{1, 2, 3}}))
	f.Add(encodeMessage(nil, &digestMsg{digest: []byte{1, 2, 3}, warnings: []string{"w", ""}}))
	f.Add(encodeMessage(nil, &versionMsg{v: Version{Wire: 1, Node: "n"}}))
	f.Add(encodeMessage(nil, &emptyMsg{}))
	fresh := []func() message{
		func() message { return &emptyMsg{} },
		func() message { return &mutationMsg{} },
		func() message { return &mutationsMsg{} },
		func() message { return &readMsg{} },
		func() message { return &partitionMsg{} },
		func() message { return &digestMsg{} },
		func() message { return &rangeMsg{} },
		func() message { return &rangeResultMsg{} },
		func() message { return &versionMsg{} },
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		b := append([]byte(nil), in...)
		for _, newMsg := range fresh {
			// Let the envelope match the type, so bodies get exercised.
			if len(b) >= envelopeLen {
				b[0], b[1], b[2] = WireVersion, mutation.EncodingVersion, newMsg().kind()
			}
			m := newMsg()
			if decodeMessage(b, m) != nil {
				continue
			}
			b1 := encodeMessage(nil, m)
			m2 := newMsg()
			if err := decodeMessage(b1, m2); err != nil {
				t.Fatalf("%T: re-encoding does not decode: %v", m, err)
			}
			if b2 := encodeMessage(nil, m2); !bytes.Equal(b1, b2) {
				t.Fatalf("%T: encoding unstable:\n% x\n% x", m, b1, b2)
			}
		}
	})
}
