package parser

import (
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"wcdb/query/ast"
)

// Parse parses exactly one statement, optionally followed by ';'. The error
// is a *SyntaxError or an *InvalidError.
func Parse(src string) (ast.Statement, error) {
	if err := checkSize(src); err != nil {
		return nil, err
	}
	p := newParser(src)
	defer p.release()
	var st ast.Statement
	err := p.run(func() {
		st = p.statement()
		for p.accept(tSemi) {
		}
		if !p.is(tEOF) {
			p.mismatch("EOF")
		}
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// ParseAll parses a script of statements separated by ';' (empty ones are
// skipped). Each statement numbers its bind markers from 0. On error it
// returns the statements before the bad one with the error, so a shell can
// run those and report the rest.
func ParseAll(src string) ([]ast.Statement, error) {
	if err := checkSize(src); err != nil {
		return nil, err
	}
	p := newParser(src)
	defer p.release()
	var out []ast.Statement
	err := p.run(func() {
		for {
			for p.accept(tSemi) {
			}
			if p.is(tEOF) {
				return
			}
			out = append(out, p.statement())
			if !p.is(tEOF) && !p.is(tSemi) {
				p.mismatch("';'")
			}
		}
	})
	return out, err
}

// Limits on what one request may make the parser do: the protocol's frame
// limit bounds a statement too, but a parse tree is far larger than its
// text, and recursion deeper than a real statement needs could exhaust the
// stack.
const (
	// MaxStatementSize is the longest statement (or script) text accepted.
	MaxStatementSize = 1 << 20
	// MaxNesting is the deepest nesting of terms (collection, tuple and
	// function-call literals within one another) and of types.
	MaxNesting = 64
	// MaxInValues is the most values of one literal IN list.
	MaxInValues = 65535
)

func checkSize(src string) error {
	if len(src) > MaxStatementSize {
		return &InvalidError{Line: 1, Col: 0, Msg: fmt.Sprintf("statement of %d bytes is longer than the limit of %d bytes", len(src), MaxStatementSize)}
	}
	return nil
}

// nest enters one level of term or type nesting; the caller defers
// p.unnest().
func (p *parser) nest() {
	p.depth++
	if p.depth > MaxNesting {
		p.invalid(p.pos, false, "terms or types nested more than %d deep", MaxNesting)
	}
}

func (p *parser) unnest() { p.depth-- }

// parser is a recursive-descent parser over a token slice. Errors unwind
// by panicking with a bailout, recovered in run: the grammar is deep and
// this keeps every rule free of error plumbing (go/parser does the same).
type parser struct {
	src     string
	toks    []token
	pos     int
	lexErr  *SyntaxError
	markers []*ast.BindMarker
	depth   int // nesting of terms and types (MaxNesting)

	// colCache speeds up marker columns on long lines: the column of byte
	// offset colOff on the line starting at colLine.
	colLine, colOff int32
	colVal          int
}

var parserPool = sync.Pool{New: func() any { return &parser{toks: make([]token, 0, 64)} }}

func newParser(src string) *parser {
	p := parserPool.Get().(*parser)
	p.src = src
	p.toks, p.lexErr = lex(src, p.toks[:0])
	p.pos = 0
	p.markers = nil
	p.colLine, p.colOff, p.colVal = -1, 0, 0
	return p
}

func (p *parser) release() {
	p.src = ""
	p.markers = nil
	p.lexErr = nil
	p.depth = 0
	if cap(p.toks) <= 4096 {
		parserPool.Put(p)
	}
}

// bailout carries a parse error up to run.
type bailout struct{ err error }

// run calls f and returns the error it bailed out with, if any.
func (p *parser) run(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			err = b.err
		}
	}()
	f()
	return nil
}

// try runs f speculatively: if f bails out, the position and the bind
// markers are restored and try returns false.
func (p *parser) try(f func()) (ok bool) {
	pos, nm := p.pos, len(p.markers)
	defer func() {
		if r := recover(); r != nil {
			if _, isBail := r.(bailout); !isBail {
				panic(r)
			}
			p.pos = pos
			p.markers = p.markers[:nm]
			ok = false
		}
	}()
	f()
	return true
}

// Token access. The last token is tEOF or tError and is never passed.

func (p *parser) tok() *token { return &p.toks[p.pos] }

func (p *parser) at(i int) *token {
	if i >= len(p.toks) {
		i = len(p.toks) - 1
	}
	return &p.toks[i]
}

func (p *parser) peek(n int) *token { return p.at(p.pos + n) }

func (p *parser) advance() {
	if p.pos < len(p.toks)-1 {
		p.pos++
	}
}

func (p *parser) is(k tokKind) bool { return p.toks[p.pos].kind == k }

func (p *parser) accept(k tokKind) bool {
	if p.is(k) {
		p.advance()
		return true
	}
	return false
}

func (p *parser) expect(k tokKind) {
	if !p.accept(k) {
		p.mismatch(tokNames[k])
	}
}

func isKwTok(t *token, kw keyword) bool { return t.kind == tIdent && t.kw == kw }

func (p *parser) isKw(kw keyword) bool { return isKwTok(p.tok(), kw) }

func (p *parser) acceptKw(kw keyword) bool {
	if p.isKw(kw) {
		p.advance()
		return true
	}
	return false
}

func (p *parser) expectKw(kw keyword) {
	if !p.acceptKw(kw) {
		p.mismatch("K_" + keywordNames[kw])
	}
}

// Errors.

// display renders a token the way ANTLR does in messages.
func (p *parser) display(t *token) string {
	var s string
	switch t.kind {
	case tEOF:
		s = "<EOF>"
	case tString:
		s = stringValue(p.src, *t)
	case tQuoted:
		s = identName(p.src, *t)
	default:
		s = p.src[t.start:t.end]
	}
	if strings.ContainsAny(s, "\n\r\t") {
		s = strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s)
	}
	return "'" + s + "'"
}

// syntaxErrorAt builds the error for the token at index i. If the lexer
// failed at or just after i, its error wins, as in Cassandra, whose parser
// has already pulled that token as lookahead.
func (p *parser) syntaxErrorAt(i int, msg string, bare bool) error {
	if p.lexErr != nil && len(p.toks)-1 <= i+2 {
		return p.lexErr
	}
	t := p.at(i)
	e := &SyntaxError{Msg: msg, bare: bare, Line: int(t.line), Col: tokenCol(p.src, *t)}
	if t.kind == tEOF {
		e.AtEOF = true
	} else if !bare {
		e.Snippet = p.snippet(i)
	}
	return e
}

// mismatch fails with "mismatched input 'X' expecting what".
func (p *parser) mismatch(what string) {
	panic(bailout{p.syntaxErrorAt(p.pos, "mismatched input "+p.display(p.tok())+" expecting "+what, false)})
}

// noViable fails with "no viable alternative at input 'X'".
func (p *parser) noViable() {
	panic(bailout{p.syntaxErrorAt(p.pos, "no viable alternative at input "+p.display(p.tok()), false)})
}

// recognitionError fails with a message of its own at token i (Cassandra's
// addRecognitionError: the message alone, no position).
func (p *parser) recognitionError(i int, format string, args ...any) {
	panic(bailout{p.syntaxErrorAt(i, fmt.Sprintf(format, args...), true)})
}

// invalid fails with an InvalidError at token i.
func (p *parser) invalid(i int, unsupported bool, format string, args ...any) {
	t := p.at(i)
	panic(bailout{&InvalidError{
		Line: int(t.line), Col: tokenCol(p.src, *t),
		Msg: fmt.Sprintf(format, args...), Unsupported: unsupported,
	}})
}

// unsupported fails because the statement starting at token i, named what,
// is valid CQL that wcdb does not implement.
func (p *parser) unsupported(i int, what string) {
	p.invalid(i, true, "%s is not supported", what)
}

// snippet builds Cassandra's excerpt (ErrorCollector.appendSnippet): from
// about ten tokens before the offending one (counting whitespace as Cassandra's
// hidden tokens) up to it, with the offending token in brackets and "..."
// where the statement goes on.
func (p *parser) snippet(i int) string {
	off := p.at(i)
	from := i
	for n := 0; from > 0; from-- {
		cost := 1
		if p.toks[from-1].end != p.toks[from].start {
			cost++ // the whitespace or comment between them
		}
		if n+cost > 10 {
			break
		}
		n += cost
	}
	first := p.at(from)
	var b strings.Builder
	if first.line != 1 || first.start != 0 {
		b.WriteString("...")
	}
	// The text from the first token to the end of the offending one, line
	// breaks dropped as Cassandra does, with the offending token bracketed.
	text := p.src[first.start:off.start] + "[" + p.src[off.start:off.end] + "]"
	for _, r := range text {
		if r != '\n' {
			b.WriteRune(r)
		}
	}
	// Cassandra adds "..." unless the token ends the last line (Java's
	// split drops trailing empty lines).
	if strings.TrimRight(p.src[off.end:], "\n") != "" {
		b.WriteString("...")
	}
	return b.String()
}

// Names.

// identTok reports whether t can be an identifier: an IDENT that is not a
// reserved keyword, or a non-empty quoted name.
func identTok(t *token) bool {
	switch t.kind {
	case tIdent:
		return !t.kw.reserved()
	case tQuoted:
		return t.end-t.start > 2
	}
	return false
}

// ident parses an identifier (Parser.g ident, noncol_ident, fident).
func (p *parser) ident() string {
	t := p.tok()
	if !identTok(t) {
		p.noViable()
	}
	p.advance()
	return identName(p.src, *t)
}

// cident parses a column name where Cassandra also accepts the legacy empty
// name "" (DML, not DDL).
func (p *parser) cident() string {
	if t := p.tok(); t.kind == tQuoted && t.end-t.start == 2 {
		p.advance()
		return ""
	}
	return p.ident()
}

// nameOf parses a keyspace, table or index name (Parser.g ksName, cfName):
// a bind marker there gets Cassandra's own message.
func (p *parser) nameOf(what string) string {
	if p.is(tQMark) {
		p.recognitionError(p.pos, "Bind variables cannot be used for %s names", what)
	}
	return p.ident()
}

// tableName parses [ks.]table.
func (p *parser) tableName() ast.TableName {
	if p.is(tQMark) && p.peek(1).kind != tDot {
		p.nameOf("table")
	}
	first := p.nameOf("keyspace")
	if p.accept(tDot) {
		return ast.TableName{Keyspace: first, Name: p.nameOf("table")}
	}
	return ast.TableName{Name: first}
}

// identList parses '(' ident (',' ident)* ')'.
func (p *parser) identList(col bool) []string {
	p.expect(tLParen)
	var names []string
	for {
		if col {
			names = append(names, p.cident())
		} else {
			names = append(names, p.ident())
		}
		if !p.accept(tComma) {
			break
		}
	}
	p.expect(tRParen)
	return names
}

// markerCol returns the column of token t, remembering the last answer so
// that many markers on one long line cost linear time in all.
func (p *parser) markerCol(t *token) int {
	if t.lineStart != p.colLine || t.start < p.colOff {
		p.colLine, p.colOff, p.colVal = t.lineStart, t.lineStart, 0
	}
	p.colVal += utf8.RuneCountInString(p.src[p.colOff:t.start])
	p.colOff = t.start
	return p.colVal
}

// marker parses ? or :name.
func (p *parser) marker(role ast.MarkerRole) *ast.BindMarker {
	t := p.tok()
	m := &ast.BindMarker{Index: len(p.markers), Role: role, Line: int(t.line), Col: p.markerCol(t)}
	if p.accept(tColon) {
		m.Name = p.ident()
	} else {
		p.expect(tQMark)
	}
	p.markers = append(p.markers, m)
	return m
}

func (p *parser) isMarkerStart() bool { return p.is(tQMark) || p.is(tColon) }

// intValue parses an INTEGER or a bind marker (Parser.g intValue).
func (p *parser) intValue(role ast.MarkerRole) ast.Term {
	if p.isMarkerStart() {
		return p.marker(role)
	}
	t := p.tok()
	if t.kind != tInt {
		p.noViable()
	}
	p.advance()
	return &ast.Constant{Kind: ast.IntegerConst, Text: p.src[t.start:t.end]}
}

// Statements.

// statement parses one statement and gives it its bind markers.
func (p *parser) statement() ast.Statement {
	p.markers = nil
	st := p.statementBody()
	st.SetBindMarkers(p.markers)
	return st
}

func (p *parser) statementBody() ast.Statement {
	t := p.tok()
	if t.kind != tIdent {
		p.noViable()
	}
	switch t.kw {
	case kwSelect:
		return p.selectStmt()
	case kwInsert:
		return p.insertStmt()
	case kwUpdate:
		return p.updateStmt()
	case kwDelete:
		return p.deleteStmt()
	case kwBegin:
		return p.batchStmt()
	case kwUse:
		p.advance()
		return &ast.UseStmt{Keyspace: p.nameOf("keyspace")}
	case kwTruncate:
		p.advance()
		p.acceptKw(kwColumnfamily)
		return &ast.TruncateStmt{Table: p.tableName()}
	case kwCreate:
		return p.createStmt()
	case kwAlter:
		return p.alterStmt()
	case kwDrop:
		return p.dropStmt()
	case kwDescribe, kwDesc:
		return p.describeStmt()
	case kwGrant, kwRevoke:
		return p.grantStmt(t.kw == kwRevoke)
	case kwList:
		if n := p.peek(1); n.kind == tIdent && strings.EqualFold(p.src[n.start:n.end], "superusers") {
			p.unsupported(p.pos, "LIST SUPERUSERS")
		}
		return p.listStmt()
	case kwAdd:
		if n := p.peek(1); n.kind == tIdent && strings.EqualFold(p.src[n.start:n.end], "identity") {
			p.unsupported(p.pos, "ADD IDENTITY")
		}
	}
	p.noViable()
	return nil
}
