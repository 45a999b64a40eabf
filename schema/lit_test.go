package schema

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// parseLiteral reads a CQL-like literal into the Go value Encode takes for
// type t. Test helper: quoted strings, numbers, true/false, 0x blobs, bare
// uuids and durations, [..] lists, {..} sets and maps, (..) tuples, null,
// "empty" for Empty and "raw:<hex>" for Serialized.
func parseLiteral(t Type, s string) (any, error) {
	p := &litScanner{s: s}
	v, err := p.value(t)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos != len(p.s) {
		return nil, fmt.Errorf("trailing %q", p.s[p.pos:])
	}
	return v, nil
}

type litScanner struct {
	s   string
	pos int
}

func (p *litScanner) space() {
	for p.pos < len(p.s) && p.s[p.pos] == ' ' {
		p.pos++
	}
}

func (p *litScanner) peek() byte {
	p.space()
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

func (p *litScanner) expect(c byte) error {
	if p.peek() != c {
		return fmt.Errorf("expected %q at %d in %q", c, p.pos, p.s)
	}
	p.pos++
	return nil
}

// word reads a run of characters up to a delimiter.
func (p *litScanner) word() string {
	p.space()
	start := p.pos
	for p.pos < len(p.s) && !strings.ContainsRune(",:]})[{( ", rune(p.s[p.pos])) {
		p.pos++
	}
	return p.s[start:p.pos]
}

func (p *litScanner) value(t Type) (any, error) {
	switch c := p.peek(); {
	case c == '\'':
		p.pos++
		var b strings.Builder
		for {
			if p.pos >= len(p.s) {
				return nil, fmt.Errorf("unterminated string in %q", p.s)
			}
			ch := p.s[p.pos]
			p.pos++
			if ch == '\'' {
				if p.pos < len(p.s) && p.s[p.pos] == '\'' {
					b.WriteByte('\'')
					p.pos++
					continue
				}
				return b.String(), nil
			}
			b.WriteByte(ch)
		}
	case c == '{' && t.Kind == KindUDT:
		// {field: value, ...}, fields by name, the others null.
		p.pos++
		out := make([]any, len(t.Elems))
		for first := true; p.peek() != '}'; first = false {
			if !first {
				if err := p.expect(','); err != nil {
					return nil, err
				}
			}
			name := strings.Trim(p.word(), `"`)
			i := t.FieldIndex(name)
			if i < 0 {
				return nil, fmt.Errorf("no field %q in %v", name, t)
			}
			if err := p.expect(':'); err != nil {
				return nil, err
			}
			v, err := p.value(t.Elems[i])
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		p.pos++
		return out, nil
	case c == '[' || c == '{' && t.Kind != KindMap || c == '(':
		closing := map[byte]byte{'[': ']', '{': '}', '(': ')'}[c]
		p.pos++
		out := []any{}
		for p.peek() != closing {
			if len(out) > 0 {
				if err := p.expect(','); err != nil {
					return nil, err
				}
			}
			et := Type{}
			if t.Kind == KindTuple && len(out) < len(t.Elems) {
				et = t.Elems[len(out)]
			} else if len(t.Elems) > 0 {
				et = t.Elems[0]
			}
			v, err := p.value(et)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		p.pos++
		return out, nil
	case c == '{':
		p.pos++
		out := []MapEntry{}
		for p.peek() != '}' {
			if len(out) > 0 {
				if err := p.expect(','); err != nil {
					return nil, err
				}
			}
			k, err := p.value(t.Elems[0])
			if err != nil {
				return nil, err
			}
			if err := p.expect(':'); err != nil {
				return nil, err
			}
			v, err := p.value(t.Elems[1])
			if err != nil {
				return nil, err
			}
			out = append(out, MapEntry{Key: k, Value: v})
		}
		p.pos++
		return out, nil
	}
	if strings.HasPrefix(p.s[p.pos:], "raw:") {
		p.pos += 4
		b, err := hex.DecodeString(p.word())
		return Serialized(b), err
	}
	w := p.word()
	switch {
	case w == "null":
		return nil, nil
	case w == "empty":
		return Empty, nil
	case w == "true" || w == "false":
		return w == "true", nil
	case strings.HasPrefix(w, "0x"):
		return hex.DecodeString(w[2:])
	}
	switch t.Kind {
	case KindFloat, KindDouble:
		switch w {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
		if strings.ContainsAny(w, ".eE") {
			return strconv.ParseFloat(w, 64)
		}
	case KindDecimal, KindVarint, KindUUID, KindTimeuuid, KindDuration:
		return w, nil
	}
	n, ok := new(big.Int).SetString(w, 10)
	if !ok {
		return nil, fmt.Errorf("bad literal %q", w)
	}
	return n, nil
}
