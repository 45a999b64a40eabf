package cqlvalue

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"

	"wcdb/cmd/cqlsh-lite/internal/cqllex"
	"wcdb/schema"
)

// Values in COPY's files. TO writes them as the shell shows them
// (writeValue), but for two things that would not come back as they were:
// a string at the top level is written as it is (cqlsh doubles its
// backslashes and escapes its control characters, which its COPY FROM
// does not undo; the CSV quoting carries every character), and floats and
// doubles are written with the digits that read back to the same number
// (cqlsh's 5 significant digits lose data). FROM reads what TO writes, and
// cqlsh's files: collections and tuples in CQL literal syntax, strings
// quoted inside them.

// WriteCopy writes the serialized value v of type t for a file;
// nested is set inside collections and tuples.
func WriteCopy(b *strings.Builder, t schema.Type, v []byte, nested bool) {
	if schema.Validate(t, v) != nil || len(v) == 0 && t.Kind != schema.KindAscii && t.Kind != schema.KindText {
		writeValue(b, t, v, nested) // a blob, or nothing for an empty value
		return
	}
	switch t.Kind {
	case schema.KindAscii, schema.KindText:
		if nested {
			b.WriteString("'" + strings.ReplaceAll(string(v), "'", "''") + "'")
		} else {
			b.Write(v)
		}
	case schema.KindFloat:
		b.WriteString(exactFloat(float64(math.Float32frombits(binary.BigEndian.Uint32(v))), 32))
	case schema.KindDouble:
		b.WriteString(exactFloat(math.Float64frombits(binary.BigEndian.Uint64(v)), 64))
	case schema.KindList, schema.KindSet, schema.KindMap, schema.KindTuple:
		writeComposite(b, t, v, func(et schema.Type, e []byte) {
			if e == nil {
				b.WriteString("null")
			} else {
				WriteCopy(b, et, e, true)
			}
		})
	default:
		writeValue(b, t, v, nested)
	}
}

// exactFloat formats f with the fewest digits that parse back to it, and
// cqlsh's names for the special values.
func exactFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}

// ParseCopy reads the text of a field as a value of type t, in the
// form schema.Encode takes.
func ParseCopy(t schema.Type, s string) (any, error) {
	if t.Kind.IsNative() {
		return parseScalar(t, strings.TrimSpace(s))
	}
	p := &literalParser{s: s}
	v, err := p.value(t)
	if err != nil {
		return nil, err
	}
	if p.space(); p.pos != len(p.s) {
		return nil, fmt.Errorf("unexpected %q after the value", p.s[p.pos:])
	}
	return v, nil
}

// parseScalar reads a value of a native type. Text, timestamps, dates,
// times, uuids, addresses, durations, decimals and varints go to
// schema.Encode as strings: it parses them as the node parses literals.
func parseScalar(t schema.Type, s string) (any, error) {
	switch t.Kind {
	case schema.KindBlob:
		if len(s) < 2 || s[0] != '0' || s[1] != 'x' && s[1] != 'X' {
			return nil, fmt.Errorf("blob %q does not start with 0x", s)
		}
		b, err := hex.DecodeString(s[2:])
		if err != nil {
			return nil, fmt.Errorf("blob %q is not hexadecimal", s)
		}
		return b, nil
	case schema.KindBoolean:
		switch strings.ToLower(s) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, fmt.Errorf("%q is not True or False", s)
	case schema.KindTinyint, schema.KindSmallint, schema.KindInt, schema.KindBigint, schema.KindCounter:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer of type %s", s, t)
		}
		return n, nil
	case schema.KindFloat, schema.KindDouble:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number of type %s", s, t)
		}
		return f, nil
	}
	return s, nil
}

// literalParser reads a collection or tuple in CQL literal syntax: [..],
// {..}, {k: v, ..}, (..), strings in single quotes (a quote in them
// doubled), other values bare, null in tuples.
type literalParser struct {
	s   string
	pos int
}

func (p *literalParser) space() {
	for p.pos < len(p.s) && cqllex.IsSpaceByte(p.s[p.pos]) {
		p.pos++
	}
}

func (p *literalParser) peek() byte {
	p.space()
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

func (p *literalParser) expect(c byte) error {
	if p.peek() != c {
		return fmt.Errorf("expected %q at position %d of %q", c, p.pos+1, p.s)
	}
	p.pos++
	return nil
}

// value reads a value of type t; a bare null is nil.
func (p *literalParser) value(t schema.Type) (any, error) {
	if t.Kind.IsNative() {
		return p.scalar(t)
	}
	open := map[schema.Kind]byte{schema.KindList: '[', schema.KindSet: '{', schema.KindMap: '{', schema.KindTuple: '('}[t.Kind]
	if p.peek() != open {
		if rest := p.s[p.pos:]; len(rest) >= 4 && strings.EqualFold(rest[:4], "null") {
			p.pos += 4
			return nil, nil
		}
		return nil, fmt.Errorf("expected %q for %s at position %d of %q", open, t, p.pos+1, p.s)
	}
	p.pos++
	end := map[byte]byte{'[': ']', '{': '}', '(': ')'}[open]
	var elems []any
	var entries []schema.MapEntry
	for i := 0; p.peek() != end; i++ {
		if i > 0 {
			if err := p.expect(','); err != nil {
				return nil, err
			}
		}
		et := t.Elems[0]
		if t.Kind == schema.KindTuple {
			if i >= len(t.Elems) {
				return nil, fmt.Errorf("too many fields for %s in %q", t, p.s)
			}
			et = t.Elems[i]
		}
		v, err := p.value(et)
		if err != nil {
			return nil, err
		}
		if t.Kind == schema.KindMap {
			if err := p.expect(':'); err != nil {
				return nil, err
			}
			mv, err := p.value(t.Elems[1])
			if err != nil {
				return nil, err
			}
			entries = append(entries, schema.MapEntry{Key: v, Value: mv})
			continue
		}
		elems = append(elems, v)
	}
	p.pos++
	if t.Kind == schema.KindMap {
		return entries, nil
	}
	if elems == nil {
		elems = []any{}
	}
	return elems, nil
}

// scalar reads a quoted or bare value of a native type inside a collection
// or tuple. A bare
// one ends at , ] } ) or a : that is not part of a time of day.
func (p *literalParser) scalar(t schema.Type) (any, error) {
	if p.peek() == '\'' {
		var b strings.Builder
		for p.pos++; ; p.pos++ {
			if p.pos >= len(p.s) {
				return nil, fmt.Errorf("unterminated string in %q", p.s)
			}
			c := p.s[p.pos]
			if c == '\'' {
				if p.pos+1 < len(p.s) && p.s[p.pos+1] == '\'' {
					p.pos++
				} else {
					p.pos++
					break
				}
			}
			b.WriteByte(c)
		}
		return parseScalar(t, b.String())
	}
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == ',' || c == ']' || c == '}' || c == ')' ||
			c == ':' && !(t.Kind == schema.KindTime && p.pos+1 < len(p.s) && '0' <= p.s[p.pos+1] && p.s[p.pos+1] <= '9') {
			break
		}
		p.pos++
	}
	word := strings.TrimSpace(p.s[start:p.pos])
	if word == "" {
		return nil, fmt.Errorf("missing value at position %d of %q", start+1, p.s)
	}
	if strings.EqualFold(word, "null") {
		return nil, nil
	}
	return parseScalar(t, word)
}
