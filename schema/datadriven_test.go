package schema

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// TestDataDriven runs the files in testdata:
//
//	parse-type    one type per line: canonical form and [option] bytes
//	encode        a type, then one literal per line: serialization, Format
//	              and Display (and the codec invariants are checked)
//	validate      a type, then one serialization (hex) per line
//	decode        a type, then one serialization per line: the Go value
//	order         a type, then literals in increasing order ("= lit" for
//	              one equal to the previous): Compare and the comparable
//	              encodings must agree with the listed order
func TestDataDriven(t *testing.T) {
	paths, err := filepath.Glob("testdata/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		if fi, err := os.Stat(path); err != nil || fi.IsDir() {
			continue // testdata/fuzz holds the fuzz corpus
		}
		t.Run(filepath.Base(path), func(t *testing.T) { runFile(t, path) })
	}
}

func runFile(t *testing.T, path string) {
	{
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			lines := strings.Split(strings.TrimRight(d.Input, "\n"), "\n")
			switch d.Cmd {
			case "parse-type":
				return runParseType(t, lines)
			case "encode", "validate", "decode", "order":
				typ, err := ParseTypeIn(lines[0], testTypes)
				if err != nil {
					d.Fatalf(t, "type %q: %v", lines[0], err)
				}
				switch d.Cmd {
				case "encode":
					return runEncode(t, typ, lines[1:])
				case "validate", "decode":
					return runValidate(t, typ, lines[1:], d.Cmd == "decode")
				default:
					return runOrder(t, typ, lines[1:])
				}
			}
			d.Fatalf(t, "unknown command %s", d.Cmd)
			return ""
		})
	}
}

// testTypes are the user types of the data-driven files: address
// (street text, zip int) and "Geo" (lat double, tags set<text>, home
// frozen<address>).
func testTypes(_, name string) (Type, error) {
	addr := UDTOf("ks", "address", []string{"street", "zip"}, []Type{Native(KindText), Native(KindInt)})
	switch name {
	case "address":
		return addr, nil
	case "Geo":
		return UDTOf("ks", "Geo", []string{"lat", "tags", "home"}, []Type{Native(KindDouble), SetOf(Native(KindText)), addr.Freeze()}), nil
	}
	return Type{}, invalidf("Unknown type ks.%s", name)
}

func runParseType(t *testing.T, lines []string) string {
	var out strings.Builder
	for _, line := range lines {
		typ, err := ParseTypeIn(line, testTypes)
		if err != nil {
			fmt.Fprintf(&out, "%s -> error: %v\n", line, err)
			continue
		}
		fmt.Fprintf(&out, "%s -> %s\n", line, typ)
		again, err := ParseTypeIn(typ.String(), testTypes)
		if err != nil || !again.Equal(typ) {
			t.Errorf("ParseType(%q) = %v, %v; want %v", typ.String(), again, err, typ)
		}
		if err := typ.Check(); err != nil {
			t.Errorf("Check(%v) = %v", typ, err)
		}
	}
	return out.String()
}

func runEncode(t *testing.T, typ Type, lines []string) string {
	var out strings.Builder
	for _, line := range lines {
		v, err := parseLiteral(typ, line)
		if err != nil {
			t.Fatalf("literal %q: %v", line, err)
		}
		b, err := Encode(typ, v)
		if err != nil {
			fmt.Fprintf(&out, "%s -> error: %v\n", line, err)
			continue
		}
		fmt.Fprintf(&out, "%s -> %x\n  format: %s\n  display: %s\n", line, b, Format(typ, b), Display(typ, b))
		checkCodec(t, typ, b)
		// Format gives a literal that reads back as the same value.
		if lit := Format(typ, b); !strings.Contains(lit, "blobAs") {
			if v2, err := parseLiteral(typ, lit); err != nil {
				t.Errorf("%s: Format %q does not parse: %v", line, lit, err)
			} else if b2, err := Encode(typ, v2); err != nil || !bytes.Equal(b2, b) {
				t.Errorf("%s: Format %q encodes to %x, %v; want %x", line, lit, b2, err, b)
			}
		}
	}
	return out.String()
}

// checkCodec checks the invariants every canonical value must keep.
func checkCodec(t *testing.T, typ Type, b []byte) {
	t.Helper()
	if err := Validate(typ, b); err != nil {
		t.Errorf("Validate(%v, %x) = %v", typ, b, err)
		return
	}
	if n, err := Normalize(typ, b); err != nil || !bytes.Equal(n, b) {
		t.Errorf("Normalize(%v, %x) = %x, %v; want it unchanged", typ, b, n, err)
	}
	v, err := Decode(typ, b)
	if err != nil {
		t.Errorf("Decode(%v, %x): %v", typ, b, err)
	} else if b2, err := Encode(typ, v); err != nil || !bytes.Equal(b2, b) {
		t.Errorf("Encode(Decode(%v, %x)) = %x, %v", typ, b, b2, err)
	}
	for _, desc := range []bool{false, true} {
		enc := AppendComparable([]byte{0xaa}, typ, b, desc)
		if len(enc) < 2 {
			t.Errorf("comparable encoding of %x is empty", b)
		}
		got, rest, err := DecodeComparable(typ, append(enc[1:], 0x55), desc)
		// A user type's trailing null fields are left out of its key: the
		// same value (Compare), fewer bytes.
		same := bytes.Equal(got, b) || typ.References(KindUDT) && err == nil && Compare(typ, got, b) == 0
		if err != nil || !same || !bytes.Equal(rest, []byte{0x55}) {
			t.Errorf("DecodeComparable(%v, %x, desc=%v) = %x, %x, %v; want %x", typ, enc[1:], desc, got, rest, err, b)
		}
	}
	if Compare(typ, b, b) != 0 {
		t.Errorf("Compare(%x, %x) != 0", b, b)
	}
}

func runValidate(t *testing.T, typ Type, lines []string, decode bool) string {
	var out strings.Builder
	for _, line := range lines {
		b, err := hex.DecodeString(strings.ReplaceAll(strings.TrimPrefix(line, "-"), " ", ""))
		if err != nil {
			t.Fatalf("hex %q: %v", line, err)
		}
		if !decode {
			if err := Validate(typ, b); err != nil {
				fmt.Fprintf(&out, "%s -> error: %v\n", line, err)
			} else {
				fmt.Fprintf(&out, "%s -> ok\n", line)
			}
			continue
		}
		v, err := Decode(typ, b)
		if err != nil {
			fmt.Fprintf(&out, "%s -> error: %v\n", line, err)
			continue
		}
		fmt.Fprintf(&out, "%s -> %v (%T)\n", line, v, v)
	}
	return out.String()
}

func runOrder(t *testing.T, typ Type, lines []string) string {
	var out strings.Builder
	var vals [][]byte
	var rank []int
	for _, line := range lines {
		equal := strings.HasPrefix(line, "= ")
		lit := strings.TrimPrefix(line, "= ")
		v, err := parseLiteral(typ, lit)
		if err != nil {
			t.Fatalf("literal %q: %v", lit, err)
		}
		b, err := Encode(typ, v)
		if err != nil {
			t.Fatalf("Encode(%q): %v", lit, err)
		}
		r := len(rank)
		if equal && r > 0 {
			r = rank[r-1]
		}
		vals = append(vals, b)
		rank = append(rank, r)
		fmt.Fprintf(&out, "%s -> %x\n", line, AppendComparable(nil, typ, b, false))
	}
	for i := range vals {
		for j := range vals {
			want := cmpInt(rank[i], rank[j])
			if got := Compare(typ, vals[i], vals[j]); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", lines[i], lines[j], got, want)
			}
			ai, aj := AppendComparable(nil, typ, vals[i], false), AppendComparable(nil, typ, vals[j], false)
			if got := bytes.Compare(ai, aj); got != want {
				t.Errorf("comparable %s vs %s = %d, want %d", lines[i], lines[j], got, want)
			}
			di, dj := AppendComparable(nil, typ, vals[i], true), AppendComparable(nil, typ, vals[j], true)
			if got := bytes.Compare(di, dj); got != -bytes.Compare(ai, aj) {
				t.Errorf("descending %s vs %s = %d, want %d", lines[i], lines[j], got, -bytes.Compare(ai, aj))
			}
		}
	}
	return out.String()
}
