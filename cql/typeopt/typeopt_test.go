package typeopt

import (
	"bytes"
	"encoding/hex"
	"testing"

	"wcdb/schema"
)

// optionCases are types as written and their [option] bytes (protocol v4
// section 4.2.5.2): text goes as varchar, duration as a custom type.
var optionCases = []struct{ typ, hex string }{
	{"int", "0009"},
	{"INT", "0009"},
	{"VarChar", "000d"},
	{"text", "000d"},
	{"ascii", "0001"},
	{"bigint", "0002"},
	{"blob", "0003"},
	{"boolean", "0004"},
	{"counter", "0005"},
	{"date", "0011"},
	{"decimal", "0006"},
	{"double", "0007"},
	{"float", "0008"},
	{"inet", "0010"},
	{"smallint", "0013"},
	{"time", "0012"},
	{"timestamp", "000b"},
	{"timeuuid", "000f"},
	{"tinyint", "0014"},
	{"uuid", "000c"},
	{"varint", "000e"},
	{"list<int>", "00200009"},
	{"set<text>", "0022000d"},
	{"map<text, int>", "0021000d0009"},
	{"map<text,frozen<list<int>>>", "0021000d00200009"},
	{"  map < text , frozen < list < int > > >", "0021000d00200009"},
	{"frozen<list<int>>", "00200009"},
	{"frozen<list<list<int>>>", "002000200009"},
	{"frozen<map<set<int>, list<text>>>", "0021002200090020000d"},
	{"list<frozen<set<varchar>>>", "00200022000d"},
	{"tuple<int, text>", "003100020009000d"},
	{"tuple<int, list<int>>", "00310002000900200009"},
	{"list<tuple<int, frozen<tuple<text>>>>", "002000310002000900310001000d"},
	{"frozen<tuple<int>>", "003100010009"},
	{"map<frozen<tuple<int, int>>, blob>", "002100310002000900090003"},
	{"map<int, duration>", "002100090000002c6f72672e6170616368652e63617373616e6472612e64622e6d61727368616c2e4475726174696f6e54797065"},
	{"list<duration>", "00200000002c6f72672e6170616368652e63617373616e6472612e64622e6d61727368616c2e4475726174696f6e54797065"},
	{"frozen<map<int, frozen<tuple<text, blob>>>>", "0021000900310002000d0003"},
}

func TestOption(t *testing.T) {
	for _, c := range optionCases {
		typ, err := schema.ParseType(c.typ)
		if err != nil {
			t.Fatalf("%s: %v", c.typ, err)
		}
		got := Append(nil, typ)
		if hex.EncodeToString(got) != c.hex {
			t.Errorf("%s: option %x, want %s", c.typ, got, c.hex)
		}
		// The protocol does not carry frozenness: a top-level collection
		// reads back non-frozen, anything nested frozen.
		want := typ
		if want.IsCollection() {
			want.Frozen = false
		}
		dec, rest, err := Decode(append(got, 0xEE))
		if err != nil || !bytes.Equal(rest, []byte{0xEE}) || !dec.Equal(want) {
			t.Errorf("%s: Decode(%x) = %v, rest %x, %v; want %v", c.typ, got, dec, rest, err, want)
		}
	}
}

// TestOptionUDT: a user type's option carries its keyspace, name and
// fields (protocol v4 section 4.2.5.2); nested, it reads back frozen.
func TestOptionUDT(t *testing.T) {
	addr := schema.UDTOf("ks", "addr", []string{"s", "z"}, []schema.Type{schema.Native(schema.KindText), schema.Native(schema.KindInt)})
	udt := "0030" + "00026b73" + "000461646472" + "0002" + "000173" + "000d" + "00017a" + "0009"
	for _, c := range []struct {
		typ schema.Type
		hex string
	}{
		{addr, udt},
		{addr.Freeze(), udt},
		{schema.ListOf(addr), "0020" + udt},
	} {
		got := Append(nil, c.typ)
		if hex.EncodeToString(got) != c.hex {
			t.Errorf("%s: option %x, want %s", c.typ, got, c.hex)
		}
		want := c.typ
		if want.Kind == schema.KindUDT {
			want.Frozen = false
		}
		dec, rest, err := Decode(append(got, 0xEE))
		if err != nil || !bytes.Equal(rest, []byte{0xEE}) || !dec.Equal(want) {
			t.Errorf("%s: Decode(%x) = %v, rest %x, %v; want %v", c.typ, got, dec, rest, err, want)
		}
	}
}

func TestOptionRejects(t *testing.T) {
	for _, h := range []string{
		"", "00", "0099", // truncated, unknown id
		"0030",             // user type cut short
		"0030000000000000", // user type of no fields
		"0000000561626364", // custom class cut short
		"00000003616263",   // unknown custom class
		"0020", "00210009", // list and map without their elements
		"003100000009",         // tuple of no fields
		"00310005000900090009", // tuple announcing more fields than follow
		"00220005",             // a set of counters
		"0021" + "0000002c6f72672e6170616368652e63617373616e6472612e64622e6d61727368616c2e4475726174696f6e54797065" + "0009", // duration as a map key
	} {
		b, _ := hex.DecodeString(h)
		if typ, _, err := Decode(b); err == nil {
			t.Errorf("Decode(%s) = %v, want an error", h, typ)
		}
	}
	deep := bytes.Repeat([]byte{0, 0x20}, maxOptionDepth+2)
	if _, _, err := Decode(append(deep, 0, 9)); err == nil {
		t.Error("a list nested past the depth bound was accepted")
	}
}

// FuzzDecodeOption: no panic; a decoded option is a well-formed type that
// encodes back to an option decoding the same (modulo the varchar/text
// alias).
func FuzzDecodeOption(f *testing.F) {
	for _, c := range optionCases {
		b, _ := hex.DecodeString(c.hex)
		f.Add(b)
	}
	f.Add([]byte{0, 0x31, 0xff, 0xff})
	udt, _ := hex.DecodeString("0020" + "0030" + "00026b73" + "000461646472" + "0002" + "000173" + "000d" + "00017a" + "0030000000000001000178" + "0009")
	f.Add(udt) // list<frozen<ks.addr (s text, z frozen<.x (x int)>)>>
	f.Fuzz(func(t *testing.T, b []byte) {
		typ, rest, err := Decode(b)
		if err != nil {
			return
		}
		if err := typ.Check(); err != nil {
			t.Fatalf("Decode(%x) = %v, which fails Check: %v", b, typ, err)
		}
		enc := Append(nil, typ)
		again, rest2, err := Decode(enc)
		if err != nil || len(rest2) != 0 || !again.Equal(typ) {
			t.Fatalf("option %x re-decoded as %v, %v", enc, again, err)
		}
		if len(rest) > len(b) {
			t.Fatalf("rest longer than input")
		}
	})
}
