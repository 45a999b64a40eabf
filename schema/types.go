package schema

import (
	"slices"
	"strings"
)

// Kind is a CQL type constructor: a native type, or list, set, map, tuple,
// user-defined type.
type Kind uint8

// The CQL kinds. KindInvalid is the zero value and names no type.
const (
	KindInvalid Kind = iota
	KindAscii
	KindBigint
	KindBlob
	KindBoolean
	KindCounter
	KindDate
	KindDecimal
	KindDouble
	KindDuration
	KindFloat
	KindInet
	KindInt
	KindSmallint
	KindText
	KindTime
	KindTimestamp
	KindTimeuuid
	KindTinyint
	KindUUID
	KindVarint
	KindList
	KindSet
	KindMap
	KindTuple
	KindUDT
	numKinds
)

var kindNames = [numKinds]string{
	KindInvalid:   "invalid",
	KindAscii:     "ascii",
	KindBigint:    "bigint",
	KindBlob:      "blob",
	KindBoolean:   "boolean",
	KindCounter:   "counter",
	KindDate:      "date",
	KindDecimal:   "decimal",
	KindDouble:    "double",
	KindDuration:  "duration",
	KindFloat:     "float",
	KindInet:      "inet",
	KindInt:       "int",
	KindSmallint:  "smallint",
	KindText:      "text",
	KindTime:      "time",
	KindTimestamp: "timestamp",
	KindTimeuuid:  "timeuuid",
	KindTinyint:   "tinyint",
	KindUUID:      "uuid",
	KindVarint:    "varint",
	KindList:      "list",
	KindSet:       "set",
	KindMap:       "map",
	KindTuple:     "tuple",
	KindUDT:       "udt",
}

// String returns the CQL name of k.
func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "invalid"
}

// IsNative reports whether k is a native (non-parameterised) type.
func (k Kind) IsNative() bool { return k > KindInvalid && k < KindList }

// Type is a CQL type. Native types have no Elems; a list or set has one (the
// element type), a map two (key, value), a tuple one per field, a
// user-defined type one per field (User names the type and its fields).
//
// Frozen is meaningful for collections and user-defined types: a non-frozen
// one is stored as one cell per element or field (it is "multi-cell"), a
// frozen one as a single value. Tuples are always frozen, and so is every
// collection, tuple or user type nested in another type; ParseType,
// DecodeOption and the constructors below keep to that, and Check verifies
// it.
type Type struct {
	Kind   Kind
	Elems  []Type
	Frozen bool
	User   *UserType // KindUDT only; shared, never changed
}

// Native returns the native type of kind k.
func Native(k Kind) Type { return Type{Kind: k} }

// ListOf returns the non-frozen type list<elem>; elem is frozen.
func ListOf(elem Type) Type { return Type{Kind: KindList, Elems: []Type{elem.Freeze()}} }

// SetOf returns the non-frozen type set<elem>; elem is frozen.
func SetOf(elem Type) Type { return Type{Kind: KindSet, Elems: []Type{elem.Freeze()}} }

// MapOf returns the non-frozen type map<key, value>; key and value are
// frozen.
func MapOf(key, value Type) Type {
	return Type{Kind: KindMap, Elems: []Type{key.Freeze(), value.Freeze()}}
}

// TupleOf returns the (always frozen) type tuple<fields...>.
func TupleOf(fields ...Type) Type {
	t := Type{Kind: KindTuple, Elems: make([]Type, len(fields)), Frozen: true}
	for i, f := range fields {
		t.Elems[i] = f.Freeze()
	}
	return t
}

// Freeze returns t frozen, with everything nested in it frozen too. Native
// types are returned unchanged.
func (t Type) Freeze() Type {
	if t.Kind.IsNative() || t.Kind == KindInvalid {
		return t
	}
	f := Type{Kind: t.Kind, Elems: make([]Type, len(t.Elems)), Frozen: true, User: t.User}
	for i, e := range t.Elems {
		f.Elems[i] = e.Freeze()
	}
	return f
}

// IsCollection reports whether t is a list, set or map (frozen or not).
func (t Type) IsCollection() bool {
	return t.Kind == KindList || t.Kind == KindSet || t.Kind == KindMap
}

// IsMultiCell reports whether values of t are stored as one cell per
// element or field: a non-frozen collection or user-defined type.
func (t Type) IsMultiCell() bool { return (t.IsCollection() || t.Kind == KindUDT) && !t.Frozen }

// Elem returns the element type of a list or set, or the value type of a map.
func (t Type) Elem() Type {
	switch t.Kind {
	case KindList, KindSet:
		return t.Elems[0]
	case KindMap:
		return t.Elems[1]
	}
	return Type{}
}

// Key returns the key type of a map, or the element type of a set: the type
// whose comparable encoding is the cell path of a non-frozen collection.
func (t Type) Key() Type {
	switch t.Kind {
	case KindSet, KindMap:
		return t.Elems[0]
	}
	return Type{}
}

// Equal reports whether t and o are the same type.
func (t Type) Equal(o Type) bool {
	if t.Kind != o.Kind || len(t.Elems) != len(o.Elems) {
		return false
	}
	if !t.Kind.IsNative() && t.Frozen != o.Frozen {
		return false
	}
	if t.Kind == KindUDT && !t.User.Equal(o.User) {
		return false
	}
	for i := range t.Elems {
		if !t.Elems[i].Equal(o.Elems[i]) {
			return false
		}
	}
	return true
}

// References reports whether t is, or contains, a type of kind k.
func (t Type) References(k Kind) bool {
	if t.Kind == k {
		return true
	}
	for _, e := range t.Elems {
		if e.References(k) {
			return true
		}
	}
	return false
}

// String returns the CQL spelling of t as Cassandra prints it in
// system_schema.columns.type and DESCRIBE: "map<text, frozen<list<int>>>",
// "frozen<tuple<int, text>>".
func (t Type) String() string {
	var b strings.Builder
	t.write(&b, false)
	return b.String()
}

// write prints t; raw prints it as written (frozen<> only where Frozen is
// set, tuples bare), for error messages about unprepared types.
func (t Type) write(b *strings.Builder, raw bool) {
	if t.Kind.IsNative() || t.Kind == KindInvalid || t.Kind >= numKinds {
		b.WriteString(t.Kind.String())
		return
	}
	frozen := t.Frozen
	if t.Kind == KindTuple && !raw {
		frozen = true // tuples are always frozen, and print so
	}
	if frozen {
		b.WriteString("frozen<")
	}
	if t.Kind == KindUDT {
		b.WriteString(QuoteName(t.User.Name))
		if frozen {
			b.WriteByte('>')
		}
		return
	}
	b.WriteString(t.Kind.String())
	b.WriteByte('<')
	for i, e := range t.Elems {
		if i > 0 {
			b.WriteString(", ")
		}
		e.write(b, raw)
	}
	b.WriteByte('>')
	if frozen {
		b.WriteByte('>')
	}
}

func (t Type) rawString() string {
	var b strings.Builder
	t.write(&b, true)
	return b.String()
}

// Check verifies that t is a well-formed type as ParseType would build it:
// right number of element types, tuples and nested types frozen, no counter
// inside a collection or tuple, no duration as a set element or map key.
func (t Type) Check() error { return t.check(false, 0) }

func (t Type) check(nested bool, depth int) error {
	if depth > maxTypeDepth {
		return invalidf("type nested too deeply")
	}
	switch {
	case t.Kind.IsNative():
		if len(t.Elems) != 0 {
			return invalidf("native type %s has element types", t.Kind)
		}
		return nil
	case t.Kind == KindList || t.Kind == KindSet:
		if len(t.Elems) != 1 {
			return invalidf("%s takes exactly 1 type parameter", t.Kind)
		}
	case t.Kind == KindMap:
		if len(t.Elems) != 2 {
			return invalidf("map takes exactly 2 type parameters")
		}
	case t.Kind == KindTuple:
		if len(t.Elems) == 0 {
			return invalidf("tuple takes at least 1 type parameter")
		}
		if !t.Frozen {
			return invalidf("tuple types are always frozen: %s", t.rawString())
		}
	case t.Kind == KindUDT:
		if t.User == nil || len(t.User.Fields) != len(t.Elems) || len(t.Elems) == 0 {
			return invalidf("user type without matching field names")
		}
		if nested && !t.Frozen {
			return invalidf("Non-frozen UDTs are not allowed inside collections: %s", t.rawString())
		}
	default:
		return invalidf("invalid type kind %d", t.Kind)
	}
	if nested && !t.Frozen {
		return invalidf("Non-frozen collections are not allowed inside collections: %s", t.rawString())
	}
	for i, e := range t.Elems {
		if e.Kind == KindCounter {
			if t.Kind == KindUDT {
				return invalidf("A user type cannot contain counters")
			}
			if t.Kind == KindTuple {
				return invalidf("Counters are not allowed inside tuples")
			}
			return invalidf("Counters are not allowed inside collections: %s", t.rawString())
		}
		if e.Kind == KindDuration {
			if t.Kind == KindSet {
				return invalidf("Durations are not allowed inside sets: %s", t.rawString())
			}
			if t.Kind == KindMap && i == 0 {
				return invalidf("Durations are not allowed as map keys: %s", t.rawString())
			}
		}
		if err := e.check(t.Kind != KindUDT, depth+1); err != nil { // a user type's fields may be non-frozen
			return err
		}
	}
	return nil
}

// maxTypeDepth bounds type nesting, so that hostile input cannot exhaust the
// stack of the recursive parsers and codecs.
const maxTypeDepth = 32

// ParseType parses a CQL type: a native type name (case-insensitive; varchar
// is text), list<T>, set<T>, map<K, V>, tuple<T, ...>, frozen<T>. It applies
// Cassandra's rules with its messages: a collection inside a collection must
// be frozen, frozen<> only applies to collections and tuples, no counters in
// collections or tuples, no durations in sets or as map keys. Inside a frozen
// type, and inside tuples, every nested type is frozen implicitly.
func ParseType(s string) (Type, error) { return ParseTypeIn(s, nil) }

// Resolver finds a user-defined type named in a type being parsed: keyspace
// is the qualifier as written ("" if none). It returns the type (as
// UDTOf builds it) or an error to report.
type Resolver func(keyspace, name string) (Type, error)

// ParseTypeIn is ParseType with user-defined types, found by resolve:
// names (quoted or not, keyspace-qualified or not) that are not native
// types. frozen<udt> freezes it; a non-frozen one may only be the type
// itself, not nested.
func ParseTypeIn(s string, resolve Resolver) (Type, error) {
	p := typeParser{s: s, resolve: resolve}
	raw, err := p.parse(0)
	if err != nil {
		return Type{}, err
	}
	if tok := p.next(); tok != "" {
		return Type{}, syntaxf("unexpected %q after type in %q", tok, s)
	}
	return prepare(raw, 0)
}

// prepare turns a type as written into a type: applies freezing and checks
// the rules on the type as written, as Cassandra's CQL3Type.Raw.prepare.
func prepare(t Type, depth int) (Type, error) {
	if t.Kind.IsNative() {
		return t, nil
	}
	if t.Kind == KindUDT {
		if !t.Frozen && slices.ContainsFunc(t.Elems, Type.IsMultiCell) {
			return Type{}, invalidf("Non-frozen UDTs with nested non-frozen collections are not supported")
		}
		if t.Frozen {
			return t.Freeze(), nil
		}
		return t, nil
	}
	if t.Kind == KindTuple {
		out := Type{Kind: KindTuple, Elems: make([]Type, len(t.Elems)), Frozen: true}
		for i, e := range t.Elems {
			if e.Kind == KindCounter {
				return Type{}, invalidf("Counters are not allowed inside tuples")
			}
			pe, err := prepare(e, depth+1)
			if err != nil {
				return Type{}, err
			}
			out.Elems[i] = pe.Freeze()
		}
		return out, nil
	}
	if t.Frozen {
		// Freezing a collection freezes what it contains before the checks,
		// so frozen<list<list<int>>> is fine.
		for i := range t.Elems {
			if !t.Elems[i].Kind.IsNative() {
				t.Elems[i].Frozen = true
			}
		}
	}
	for i, e := range t.Elems {
		if !t.Frozen && e.IsCollection() && !e.Frozen {
			return Type{}, invalidf("Non-frozen collections are not allowed inside collections: %s", t.rawString())
		}
		if !t.Frozen && e.Kind == KindUDT && !e.Frozen {
			return Type{}, invalidf("Non-frozen UDTs are not allowed inside collections: %s", t.rawString())
		}
		if e.Kind == KindCounter {
			return Type{}, invalidf("Counters are not allowed inside collections: %s", t.rawString())
		}
		if e.Kind == KindDuration && (t.Kind == KindSet || t.Kind == KindMap && i == 0) {
			if t.Kind == KindSet {
				return Type{}, invalidf("Durations are not allowed inside sets: %s", t.rawString())
			}
			return Type{}, invalidf("Durations are not allowed as map keys: %s", t.rawString())
		}
	}
	out := Type{Kind: t.Kind, Elems: make([]Type, len(t.Elems)), Frozen: t.Frozen}
	for i, e := range t.Elems {
		pe, err := prepare(e, depth+1)
		if err != nil {
			return Type{}, err
		}
		out.Elems[i] = pe.Freeze()
	}
	return out, nil
}

var nativeByName = map[string]Kind{
	"ascii": KindAscii, "bigint": KindBigint, "blob": KindBlob, "boolean": KindBoolean,
	"counter": KindCounter, "date": KindDate, "decimal": KindDecimal, "double": KindDouble,
	"duration": KindDuration, "float": KindFloat, "inet": KindInet, "int": KindInt,
	"smallint": KindSmallint, "text": KindText, "varchar": KindText, "time": KindTime,
	"timestamp": KindTimestamp, "timeuuid": KindTimeuuid, "tinyint": KindTinyint,
	"uuid": KindUUID, "varint": KindVarint,
}

type typeParser struct {
	s       string
	pos     int
	resolve Resolver
}

// next returns the next token: an identifier (lower-cased), one of "<>,",
// or "" at the end.
func (p *typeParser) next() string {
	for p.pos < len(p.s) && isSpace(p.s[p.pos]) {
		p.pos++
	}
	if p.pos >= len(p.s) {
		return ""
	}
	c := p.s[p.pos]
	if c == '<' || c == '>' || c == ',' {
		p.pos++
		return string(c)
	}
	if c == '"' {
		// A quoted name comes back with its opening quote, unescaped.
		var b strings.Builder
		b.WriteByte('"')
		for p.pos++; p.pos < len(p.s); p.pos++ {
			if p.s[p.pos] == '"' {
				if p.pos+1 < len(p.s) && p.s[p.pos+1] == '"' {
					p.pos++
				} else {
					p.pos++
					return b.String()
				}
			}
			b.WriteByte(p.s[p.pos])
		}
		return "" // unterminated
	}
	start := p.pos
	for p.pos < len(p.s) && isIdentChar(p.s[p.pos]) {
		p.pos++
	}
	if p.pos == start {
		p.pos++
		return p.s[start:p.pos]
	}
	return strings.ToLower(p.s[start:p.pos])
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isIdentChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func (p *typeParser) expect(tok string) error {
	got := p.next()
	if got != tok {
		if got == "" {
			return syntaxf("unexpected end of type %q, expecting %q", p.s, tok)
		}
		return syntaxf("unexpected %q in type %q, expecting %q", got, p.s, tok)
	}
	return nil
}

// parse reads one type as written: Frozen set only where frozen<> appears.
func (p *typeParser) parse(depth int) (Type, error) {
	if depth > maxTypeDepth {
		return Type{}, syntaxf("type %q nested too deeply", p.s)
	}
	name := p.next()
	if k, ok := nativeByName[name]; ok {
		return Type{Kind: k}, nil
	}
	var t Type
	switch name {
	case "":
		return Type{}, syntaxf("unexpected end of type %q", p.s)
	case "frozen":
		if err := p.expect("<"); err != nil {
			return Type{}, err
		}
		inner, err := p.parse(depth + 1)
		if err != nil {
			return Type{}, err
		}
		if err := p.expect(">"); err != nil {
			return Type{}, err
		}
		if inner.Kind.IsNative() {
			return Type{}, invalidf("frozen<> is only allowed on collections, tuples, and user-defined types (got %s)", inner.Kind)
		}
		inner.Frozen = true
		return inner, nil
	case "list":
		t.Kind = KindList
	case "set":
		t.Kind = KindSet
	case "map":
		t.Kind = KindMap
	case "tuple":
		t.Kind = KindTuple
	default:
		quoted := name[0] == '"'
		if len(name) == 1 && !isIdentChar(name[0]) && !quoted {
			return Type{}, syntaxf("unexpected %q in type %q", name, p.s)
		}
		if p.resolve == nil {
			return Type{}, invalidf("Unknown type %s", name)
		}
		ks, tn := "", strings.TrimPrefix(name, `"`)
		if p.pos < len(p.s) && p.s[p.pos] == '.' {
			p.pos++
			ks, tn = tn, strings.TrimPrefix(p.next(), `"`)
		}
		return p.resolve(ks, tn)
	}
	if err := p.expect("<"); err != nil {
		return Type{}, err
	}
	for {
		e, err := p.parse(depth + 1)
		if err != nil {
			return Type{}, err
		}
		t.Elems = append(t.Elems, e)
		sep := p.next()
		if sep == ">" {
			break
		}
		if sep != "," {
			if sep == "" {
				return Type{}, syntaxf("unexpected end of type %q, expecting '>'", p.s)
			}
			return Type{}, syntaxf("unexpected %q in type %q, expecting ',' or '>'", sep, p.s)
		}
	}
	want := map[Kind]int{KindList: 1, KindSet: 1, KindMap: 2}[t.Kind]
	if want != 0 && len(t.Elems) != want {
		return Type{}, syntaxf("%s takes exactly %d type parameter(s), got %d in %q", t.Kind, want, len(t.Elems), p.s)
	}
	return t, nil
}
