// Package query parses, analyzes and executes CQL.
//
// This part (lexer.go, ast.go, parser.go) turns CQL text into a syntax tree:
// Parse reads one statement, ParseAll a ';'-separated script. The grammar is
// Cassandra 4.x's (src/antlr/Parser.g and Lexer.g), written by hand as a
// recursive-descent parser; errors read like Cassandra's so drivers and
// users see familiar messages.
package parser

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"wcdb/query/ast"
)

// SyntaxError is a statement that is not well-formed CQL. The server answers
// it with a Syntax error (0x2000) carrying Error() as the message.
//
// Error() mimics Cassandra's messages, which clients already know:
//
//	line 1:9 mismatched input 'FORM' expecting K_FROM (SELECT * [FORM]...)
//	line 1:0 no viable alternative at input 'SELEC' ([SELEC]...)
//	line 0:-1 mismatched input '<EOF>' expecting ')'
//
// Like Cassandra it prints "line 0:-1" when the parser ran out of input; the
// Line and Col fields still hold the real end-of-input position. The message
// carries no "query:" prefix because it is meant for the client verbatim.
type SyntaxError struct {
	// Line is the 1-based line of the offending token; Col its 0-based
	// column in characters (Cassandra's convention).
	Line, Col int
	// AtEOF reports that the input ended too early (including an
	// unterminated string or comment): a shell can read another line and
	// try again.
	AtEOF bool
	// Msg is the message without position and snippet.
	Msg string
	// Snippet is the excerpt of the statement around the offending token,
	// which is put in brackets; empty at end of input.
	Snippet string

	bare    bool // a Cassandra "recognition error": the message alone
	lexical bool // reported by the lexer: real position even at EOF
}

// Error implements error.
func (e *SyntaxError) Error() string {
	if e.bare {
		return e.Msg
	}
	if e.AtEOF && !e.lexical {
		return "line 0:-1 " + e.Msg
	}
	s := fmt.Sprintf("line %d:%d %s", e.Line, e.Col, e.Msg)
	if e.Snippet != "" {
		s += " (" + e.Snippet + ")"
	}
	return s
}

// InvalidError is a statement that is well-formed but that the parser
// already knows cannot run: a kind of statement wcdb does not implement
// (Unsupported, e.g. "CREATE INDEX is not supported"), or a definition
// Cassandra rejects while parsing (two PRIMARY KEY clauses). The server
// answers it with an Invalid error (0x2200) carrying Msg.
type InvalidError struct {
	Line, Col   int // where the statement (or clause) starts
	Msg         string
	Unsupported bool
}

// Error implements error.
func (e *InvalidError) Error() string { return e.Msg }

// Is lets errors.Is(err, errors.ErrUnsupported) pick out unsupported
// statements.
func (e *InvalidError) Is(target error) bool {
	return e.Unsupported && target == errors.ErrUnsupported
}

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
		p.unsupported(p.pos, keywordNames[t.kw])
	case kwList:
		what := "LIST PERMISSIONS"
		if n := p.peek(1); n.kind == tIdent && (n.kw == kwRoles || n.kw == kwUsers || strings.EqualFold(p.src[n.start:n.end], "superusers")) {
			what = "LIST " + strings.ToUpper(p.src[n.start:n.end])
		}
		p.unsupported(p.pos, what)
	case kwAdd:
		if n := p.peek(1); n.kind == tIdent && strings.EqualFold(p.src[n.start:n.end], "identity") {
			p.unsupported(p.pos, "ADD IDENTITY")
		}
	}
	p.noViable()
	return nil
}

// selectStmt parses SELECT (Parser.g selectStatement).
func (p *parser) selectStmt() *ast.SelectStmt {
	p.expectKw(kwSelect)
	s := &ast.SelectStmt{}
	// JSON and DISTINCT are also valid column names: they are keywords only
	// if what follows parses as a select clause (Parser.g's syntactic
	// predicates), and here, also followed by FROM.
	if p.isKw(kwJSON) && p.try(func() {
		p.advance()
		s.Distinct, s.Selectors = p.selectClause()
		if !p.isKw(kwFrom) {
			p.noViable()
		}
	}) {
		s.JSON = true
	} else {
		s.Distinct, s.Selectors = p.selectClause()
	}
	p.expectKw(kwFrom)
	s.Table = p.tableName()
	if p.acceptKw(kwWhere) {
		s.Where = p.whereClause()
	}
	if p.isKw(kwGroup) && isKwTok(p.peek(1), kwBy) {
		p.advance()
		p.advance()
		for {
			s.GroupBy = append(s.GroupBy, p.expr(true))
			if !p.accept(tComma) {
				break
			}
		}
	}
	if p.acceptKw(kwOrder) {
		p.expectKw(kwBy)
		for {
			o := ast.Ordering{Column: p.cident()}
			if p.acceptKw(kwDesc) {
				o.Desc = true
			} else {
				p.acceptKw(kwAsc)
			}
			s.OrderBy = append(s.OrderBy, o)
			if !p.accept(tComma) {
				break
			}
		}
	}
	if p.isKw(kwPer) && isKwTok(p.peek(1), kwPartition) {
		p.advance()
		p.advance()
		p.expectKw(kwLimit)
		s.PerPartitionLimit = p.intValue(ast.MarkerPerPartitionLimit)
	}
	if p.acceptKw(kwLimit) {
		s.Limit = p.intValue(ast.MarkerLimit)
	}
	if p.acceptKw(kwAllow) {
		p.expectKw(kwFiltering)
		s.AllowFiltering = true
	}
	return s
}

// selectClause parses [DISTINCT] selectors.
func (p *parser) selectClause() (distinct bool, sels []ast.Selector) {
	if p.isKw(kwDistinct) && p.try(func() {
		p.advance()
		sels = p.selectors()
		if !p.isKw(kwFrom) {
			p.noViable()
		}
	}) {
		return true, sels
	}
	return false, p.selectors()
}

// selectors parses '*' or selector [AS alias] (',' ...)*; nil means '*'.
func (p *parser) selectors() []ast.Selector {
	if p.accept(tStar) {
		return nil
	}
	var sels []ast.Selector
	for {
		sel := ast.Selector{Expr: p.expr(true)}
		if p.acceptKw(kwAs) {
			sel.Alias = p.ident()
		}
		sels = append(sels, sel)
		if !p.accept(tComma) {
			return sels
		}
	}
}

// insertStmt parses INSERT (Parser.g insertStatement).
func (p *parser) insertStmt() *ast.InsertStmt {
	p.expectKw(kwInsert)
	p.expectKw(kwInto)
	s := &ast.InsertStmt{Table: p.tableName()}
	if p.acceptKw(kwJSON) {
		switch {
		case p.is(tString):
			t := p.tok()
			s.JSON = &ast.Constant{Kind: ast.StringConst, Text: stringValue(p.src, *t)}
			p.advance()
		case p.isMarkerStart():
			s.JSON = p.marker(ast.MarkerJSON)
		default:
			p.noViable()
		}
		if p.acceptKw(kwDefault) {
			switch {
			case p.acceptKw(kwNull):
			case p.acceptKw(kwUnset):
				s.DefaultUnset = true
			default:
				p.noViable()
			}
		}
	} else {
		s.Columns = p.identList(true)
		p.expectKw(kwValues)
		p.expect(tLParen)
		for {
			s.Values = append(s.Values, p.expr(false))
			if !p.accept(tComma) {
				break
			}
		}
		p.expect(tRParen)
	}
	if p.acceptKw(kwIf) {
		p.expectKw(kwNot)
		p.expectKw(kwExists)
		s.IfNotExists = true
	}
	p.using(&s.Using, false)
	return s
}

// using parses an optional USING clause; timestampOnly is DELETE's form.
func (p *parser) using(u *ast.Using, timestampOnly bool) {
	if !p.acceptKw(kwUsing) {
		return
	}
	if timestampOnly {
		p.expectKw(kwTimestamp)
		u.Timestamp = p.intValue(ast.MarkerTimestamp)
		return
	}
	for {
		switch {
		case p.acceptKw(kwTimestamp):
			u.Timestamp = p.intValue(ast.MarkerTimestamp)
		case p.acceptKw(kwTTL):
			u.TTL = p.intValue(ast.MarkerTTL)
		default:
			p.noViable()
		}
		if !p.acceptKw(kwAnd) {
			return
		}
	}
}

// updateStmt parses UPDATE (Parser.g updateStatement).
func (p *parser) updateStmt() *ast.UpdateStmt {
	p.expectKw(kwUpdate)
	s := &ast.UpdateStmt{Table: p.tableName()}
	p.using(&s.Using, false)
	p.expectKw(kwSet)
	for {
		s.Set = append(s.Set, p.assignment())
		if !p.accept(tComma) {
			break
		}
	}
	p.expectKw(kwWhere)
	s.Where = p.whereClause()
	s.IfExists, s.If = p.ifClause()
	return s
}

// assignment parses one SET item (Parser.g columnOperation).
func (p *parser) assignment() ast.Assignment {
	colTok := p.pos
	a := ast.Assignment{Column: p.cident()}
	switch {
	case p.accept(tEq):
	case p.accept(tPlusEq):
		a.Op, a.Value = ast.AssignAdd, p.expr(false)
		return a
	case p.accept(tMinusEq):
		a.Op, a.Value = ast.AssignSubtract, p.expr(false)
		return a
	case p.accept(tLBracket):
		a.Op, a.Key = ast.AssignSetElement, p.expr(false)
		p.expect(tRBracket)
		p.expect(tEq)
		a.Value = p.expr(false)
		return a
	case p.is(tDot):
		p.unsupported(colTok, "Setting a field of a user-defined type")
	default:
		p.mismatch("'='")
	}
	// After '=': "col op term" when a column name follows, else a term,
	// perhaps followed by "+ col" (list prepend).
	if t := p.tok(); (identTok(t) || t.kind == tQuoted) && !p.isFunctionAt(p.pos) {
		otherTok := p.pos
		other := p.cident()
		switch {
		case p.is(tPlus) || p.is(tMinus):
			sign := p.src[p.tok().start:p.tok().end]
			if p.accept(tPlus) {
				a.Op = ast.AssignAdd
			} else {
				p.advance()
				a.Op = ast.AssignSubtract
			}
			if other != a.Column {
				p.recognitionError(otherTok, "Only expressions of the form X = X %s<value> are supported.", sign)
			}
			a.Value = p.expr(false)
		case p.is(tInt) && p.src[p.tok().start] == '-':
			// "c = c -3" lexes as c, INTEGER(-3): Parser.g's third form.
			if other != a.Column {
				p.recognitionError(otherTok, "Only expressions of the form X = X - <value> are supported.")
			}
			t := p.tok()
			p.advance()
			a.Op, a.Value = ast.AssignAdd, &ast.Constant{Kind: ast.IntegerConst, Text: p.src[t.start:t.end]}
		default:
			p.noViable()
		}
		return a
	}
	a.Value = p.expr(false)
	if p.accept(tPlus) {
		otherTok := p.pos
		if other := p.cident(); other != a.Column {
			p.recognitionError(otherTok, "Only expressions of the form X = <value> + X are supported.")
		}
		a.Op = ast.AssignPrepend
	}
	return a
}

// ifClause parses an optional IF EXISTS or IF conditions.
func (p *parser) ifClause() (exists bool, conds []ast.Relation) {
	if !p.acceptKw(kwIf) {
		return false, nil
	}
	if p.acceptKw(kwExists) {
		return true, nil
	}
	for {
		conds = append(conds, p.condition())
		if !p.acceptKw(kwAnd) {
			return false, conds
		}
	}
}

// condition parses one IF condition (Parser.g columnCondition).
func (p *parser) condition() ast.Relation {
	colTok := p.pos
	r := ast.Relation{Kind: ast.RelColumn, Column: p.cident()}
	if p.accept(tLBracket) {
		r.Kind = ast.RelElement
		r.Key = p.expr(false)
		p.expect(tRBracket)
	} else if p.is(tDot) {
		p.unsupported(colTok, "A condition on a field of a user-defined type")
	}
	switch {
	case p.relOp(&r.Op):
		r.Value = p.expr(false)
	case r.Kind == ast.RelColumn && p.isKw(kwContains):
		p.advance()
		r.Op = ast.OpContains
		if p.acceptKw(kwKey) {
			r.Op = ast.OpContainsKey
		}
		r.Value = p.expr(false)
	case p.acceptKw(kwIn):
		r.Op = ast.OpIn
		p.inValues(&r)
	default:
		p.noViable()
	}
	return r
}

// relOp parses a comparison operator, if there is one.
func (p *parser) relOp(op *ast.Operator) bool {
	switch p.tok().kind {
	case tEq:
		*op = ast.OpEq
	case tLt:
		*op = ast.OpLt
	case tLte:
		*op = ast.OpLte
	case tGt:
		*op = ast.OpGt
	case tGte:
		*op = ast.OpGte
	case tNeq:
		*op = ast.OpNeq
	default:
		return false
	}
	p.advance()
	return true
}

// inValues parses the right side of a single-column IN: '(' terms ')' or a
// bind marker for the whole list.
func (p *parser) inValues(r *ast.Relation) {
	if p.isMarkerStart() {
		r.Value = p.marker(ast.MarkerInList)
		return
	}
	p.expect(tLParen)
	r.InValues = []ast.Term{}
	if p.accept(tRParen) {
		return
	}
	for {
		if len(r.InValues) == MaxInValues {
			p.invalid(p.pos, false, "IN list of more than %d values", MaxInValues)
		}
		r.InValues = append(r.InValues, p.expr(false))
		if !p.accept(tComma) {
			break
		}
	}
	p.expect(tRParen)
}

// whereClause parses relation (AND relation)*.
func (p *parser) whereClause() []ast.Relation {
	var rs []ast.Relation
	for {
		rs = p.relation(rs)
		if !p.acceptKw(kwAnd) {
			return rs
		}
	}
}

// relation parses one WHERE restriction (Parser.g relation) and appends it.
func (p *parser) relation(rs []ast.Relation) []ast.Relation {
	t := p.tok()
	switch {
	case isKwTok(t, kwToken) && p.peek(1).kind == tLParen:
		p.advance()
		r := ast.Relation{Kind: ast.RelToken, Columns: p.identList(true)}
		if !p.relOp(&r.Op) {
			p.noViable()
		}
		r.Value = p.expr(false)
		return append(rs, r)
	case t.kind == tLParen:
		var r ast.Relation
		if p.try(func() {
			r = ast.Relation{Kind: ast.RelTuple, Columns: p.identList(true)}
			if !p.isKw(kwIn) && !p.relOp(&r.Op) {
				p.noViable()
			}
		}) {
			if r.Op == 0 {
				p.advance() // IN
				r.Op = ast.OpIn
				p.tupleInValues(&r)
			} else {
				r.Value = p.tupleValue()
			}
			return append(rs, r)
		}
		// '(' relation ')'
		p.advance()
		rs = p.relation(rs)
		p.expect(tRParen)
		return rs
	case identTok(t) || t.kind == tQuoted:
		r := ast.Relation{Kind: ast.RelColumn, Column: p.cident()}
		if p.accept(tLBracket) {
			r.Kind = ast.RelElement
			r.Key = p.expr(false)
			p.expect(tRBracket)
			if !p.relOp(&r.Op) {
				p.noViable()
			}
			r.Value = p.expr(false)
			return append(rs, r)
		}
		switch {
		case p.relOp(&r.Op):
			r.Value = p.expr(false)
		case p.acceptKw(kwIn):
			r.Op = ast.OpIn
			p.inValues(&r)
		case p.acceptKw(kwContains):
			r.Op = ast.OpContains
			if p.acceptKw(kwKey) {
				r.Op = ast.OpContainsKey
			}
			r.Value = p.expr(false)
		case p.acceptKw(kwLike):
			r.Op = ast.OpLike
			r.Value = p.expr(false)
		case p.acceptKw(kwIs):
			p.expectKw(kwNot)
			p.expectKw(kwNull)
			r.Op = ast.OpIsNotNull
		default:
			p.noViable()
		}
		return append(rs, r)
	}
	p.noViable()
	return nil
}

// tupleValue parses a tuple literal or a bind marker (Parser.g
// multiColumnValue).
func (p *parser) tupleValue() ast.Term {
	if p.isMarkerStart() {
		return p.marker(ast.MarkerValue)
	}
	if !p.is(tLParen) {
		p.noViable()
	}
	return p.tupleLit(false)
}

// tupleInValues parses the right side of (a, b) IN: '(' ')', a marker, or
// '(' of tuple literals or markers ')'.
func (p *parser) tupleInValues(r *ast.Relation) {
	if p.isMarkerStart() {
		r.Value = p.marker(ast.MarkerInList)
		return
	}
	p.expect(tLParen)
	r.InValues = []ast.Term{}
	if p.accept(tRParen) {
		return
	}
	for {
		if len(r.InValues) == MaxInValues {
			p.invalid(p.pos, false, "IN list of more than %d values", MaxInValues)
		}
		r.InValues = append(r.InValues, p.tupleValue())
		if !p.accept(tComma) {
			break
		}
	}
	p.expect(tRParen)
}

// deleteStmt parses DELETE (Parser.g deleteStatement).
func (p *parser) deleteStmt() *ast.DeleteStmt {
	p.expectKw(kwDelete)
	s := &ast.DeleteStmt{}
	if !p.isKw(kwFrom) {
		for {
			colTok := p.pos
			d := ast.DeleteTarget{Column: p.cident()}
			if p.accept(tLBracket) {
				d.Key = p.expr(false)
				p.expect(tRBracket)
			} else if p.is(tDot) {
				p.unsupported(colTok, "Deleting a field of a user-defined type")
			}
			s.Columns = append(s.Columns, d)
			if !p.accept(tComma) {
				break
			}
		}
	}
	p.expectKw(kwFrom)
	s.Table = p.tableName()
	p.using(&s.Using, true)
	p.expectKw(kwWhere)
	s.Where = p.whereClause()
	s.IfExists, s.If = p.ifClause()
	return s
}

// batchStmt parses BEGIN [UNLOGGED | COUNTER] BATCH ... APPLY BATCH.
func (p *parser) batchStmt() *ast.BatchStmt {
	p.expectKw(kwBegin)
	s := &ast.BatchStmt{}
	switch {
	case p.acceptKw(kwUnlogged):
		s.Type = ast.UnloggedBatch
	case p.acceptKw(kwCounter):
		s.Type = ast.CounterBatch
	}
	p.expectKw(kwBatch)
	p.using(&s.Using, false)
	for {
		start := len(p.markers)
		var st ast.Statement
		switch {
		case p.isKw(kwInsert):
			st = p.insertStmt()
		case p.isKw(kwUpdate):
			st = p.updateStmt()
		case p.isKw(kwDelete):
			st = p.deleteStmt()
		default:
			p.expectKw(kwApply)
			p.expectKw(kwBatch)
			return s
		}
		st.SetBindMarkers(p.markers[start:len(p.markers):len(p.markers)])
		s.Statements = append(s.Statements, st)
		p.accept(tSemi)
	}
}

// ifNotExists parses an optional IF NOT EXISTS.
func (p *parser) ifNotExists() bool {
	if !p.acceptKw(kwIf) {
		return false
	}
	p.expectKw(kwNot)
	p.expectKw(kwExists)
	return true
}

// ifExists parses an optional IF EXISTS.
func (p *parser) ifExists() bool {
	if !p.acceptKw(kwIf) {
		return false
	}
	p.expectKw(kwExists)
	return true
}

func (p *parser) isKeyspaceKw() bool { return p.isKw(kwKeyspace) || p.isKw(kwSchema) }

// createStmt parses CREATE KEYSPACE and CREATE TABLE, and names the CREATE
// statements wcdb does not support.
func (p *parser) createStmt() ast.Statement {
	start := p.pos
	p.expectKw(kwCreate)
	t := p.tok()
	switch {
	case p.isKeyspaceKw():
		p.advance()
		s := &ast.CreateKeyspaceStmt{IfNotExists: p.ifNotExists()}
		s.Name = p.nameOf("keyspace")
		p.expectKw(kwWith)
		s.Properties = p.properties(nil)
		return s
	case isKwTok(t, kwColumnfamily):
		p.advance()
		return p.createTable()
	case isKwTok(t, kwIndex):
		p.unsupported(start, "CREATE INDEX")
	case isKwTok(t, kwCustom) && isKwTok(p.peek(1), kwIndex):
		p.unsupported(start, "CREATE CUSTOM INDEX")
	case isKwTok(t, kwMaterialized):
		p.unsupported(start, "CREATE MATERIALIZED VIEW")
	case isKwTok(t, kwOr) && isKwTok(p.peek(1), kwReplace):
		if n := p.peek(2); n.kind == tIdent && (n.kw == kwFunction || n.kw == kwAggregate) {
			p.unsupported(start, "CREATE "+keywordNames[n.kw])
		}
	case t.kind == tIdent:
		switch t.kw {
		case kwType, kwFunction, kwAggregate, kwTrigger, kwRole, kwUser:
			p.unsupported(start, "CREATE "+keywordNames[t.kw])
		}
	}
	p.noViable()
	return nil
}

// createTable parses the rest of CREATE TABLE (Parser.g
// createTableStatement, tableDefinition).
func (p *parser) createTable() *ast.CreateTableStmt {
	s := &ast.CreateTableStmt{IfNotExists: p.ifNotExists(), Table: p.tableName()}
	if p.isKw(kwLike) {
		p.unsupported(p.pos, "CREATE TABLE LIKE")
	}
	pkSeen := false
	setPK := func(at int) {
		if pkSeen {
			p.invalid(at, false, "Multiple PRIMARY KEY specified for table '%s' (exactly one required)", s.Table.Name)
		}
		pkSeen = true
	}
	p.expect(tLParen)
	for {
		if p.isKw(kwPrimary) {
			at := p.pos
			p.advance()
			p.expectKw(kwKey)
			setPK(at)
			p.expect(tLParen)
			if p.is(tLParen) {
				s.PartitionKey = p.identList(false)
			} else {
				s.PartitionKey = []string{p.ident()}
			}
			for p.accept(tComma) {
				s.Clustering = append(s.Clustering, p.ident())
			}
			p.expect(tRParen)
		} else {
			c := ast.ColumnDef{Name: p.ident(), Type: p.typeExpr()}
			c.Static = p.acceptKw(kwStatic)
			if p.isKw(kwPrimary) {
				at := p.pos
				p.advance()
				p.expectKw(kwKey)
				setPK(at)
				s.PartitionKey = []string{c.Name}
			}
			s.Columns = append(s.Columns, c)
		}
		if !p.accept(tComma) {
			break
		}
		if p.is(tRParen) { // a trailing comma is allowed
			break
		}
	}
	p.expect(tRParen)
	if !pkSeen {
		p.invalid(p.pos, false, "No PRIMARY KEY specifed for table '%s' (exactly one required)", s.Table.Name)
	}
	if !p.acceptKw(kwWith) {
		return s
	}
	seen := map[string]bool{}
	for {
		switch {
		case p.isKw(kwClustering) && isKwTok(p.peek(1), kwOrder):
			p.advance()
			p.advance()
			p.expectKw(kwBy)
			p.expect(tLParen)
			for {
				o := ast.Ordering{Column: p.ident()}
				switch {
				case p.acceptKw(kwAsc):
				case p.acceptKw(kwDesc):
					o.Desc = true
				default:
					p.noViable()
				}
				s.ClusteringOrder = append(s.ClusteringOrder, o)
				if !p.accept(tComma) {
					break
				}
			}
			p.expect(tRParen)
		case p.isKw(kwCompact) && isKwTok(p.peek(1), kwStorage):
			p.invalid(p.pos, false, "COMPACT STORAGE tables are not allowed starting with version 4.0")
		default:
			s.Properties = append(s.Properties, p.property(seen))
		}
		if !p.acceptKw(kwAnd) {
			return s
		}
	}
}

// properties parses property (AND property)*.
func (p *parser) properties(seen map[string]bool) []ast.Property {
	if seen == nil {
		seen = map[string]bool{}
	}
	var ps []ast.Property
	for {
		ps = append(ps, p.property(seen))
		if !p.acceptKw(kwAnd) {
			return ps
		}
	}
}

// property parses name = constant | keyword | {map} (Parser.g property).
func (p *parser) property(seen map[string]bool) ast.Property {
	nameTok := p.pos
	prop := ast.Property{Name: p.ident()}
	if seen[prop.Name] {
		p.recognitionError(nameTok, "Multiple definition for property '%s'", prop.Name)
	}
	seen[prop.Name] = true
	p.expect(tEq)
	t := p.tok()
	switch {
	case t.kind == tLBrace:
		m := &ast.MapLit{}
		p.advance()
		for !p.accept(tRBrace) {
			if len(m.Entries) > 0 {
				p.expect(tComma)
			}
			k := p.expr(false)
			p.expect(tColon)
			v := p.expr(false)
			if _, ok := k.(*ast.Constant); !ok {
				msg := "Invalid property name: " + k.String()
				if _, isMarker := k.(*ast.BindMarker); isMarker {
					msg += " (bind variables are not supported in DDL queries)"
				}
				p.recognitionError(nameTok, "%s", msg)
			}
			if _, ok := v.(*ast.Constant); !ok {
				msg := "Invalid property value: " + v.String() + " for property: " + k.String()
				if _, isMarker := v.(*ast.BindMarker); isMarker {
					msg += " (bind variables are not supported in DDL queries)"
				}
				p.recognitionError(nameTok, "%s", msg)
			}
			m.Entries = append(m.Entries, ast.MapEntry{Key: k, Value: v})
		}
		prop.Value = m
	case t.kind == tIdent && t.kw != kwNone && !t.kw.reserved():
		// An unreserved keyword stands for its own text.
		p.advance()
		prop.Value = &ast.Constant{Kind: ast.StringConst, Text: p.src[t.start:t.end]}
	default:
		c, ok := p.constant()
		if !ok {
			p.noViable()
		}
		prop.Value = c
	}
	return prop
}

// constant parses a literal constant (Parser.g constant), if the current
// token is one.
func (p *parser) constant() (*ast.Constant, bool) {
	t := p.tok()
	text := p.src[t.start:t.end]
	var c *ast.Constant
	switch t.kind {
	case tString:
		c = &ast.Constant{Kind: ast.StringConst, Text: stringValue(p.src, *t)}
	case tInt:
		c = &ast.Constant{Kind: ast.IntegerConst, Text: text}
	case tFloat:
		c = &ast.Constant{Kind: ast.FloatConst, Text: text}
	case tBool:
		c = &ast.Constant{Kind: ast.BooleanConst, Text: "false"}
		if t.kw == kwTrue {
			c.Text = "true"
		}
	case tNaN:
		c = &ast.Constant{Kind: ast.FloatConst, Text: "NaN"}
	case tInfinity:
		c = &ast.Constant{Kind: ast.FloatConst, Text: "Infinity"}
		if text[0] == '-' {
			c.Text = "-Infinity"
		}
	case tHex:
		c = &ast.Constant{Kind: ast.HexConst, Text: text}
	case tUUID:
		c = &ast.Constant{Kind: ast.UUIDConst, Text: text}
	case tDuration:
		c = &ast.Constant{Kind: ast.DurationConst, Text: text}
	default:
		return nil, false
	}
	p.advance()
	return c, true
}

// alterStmt parses ALTER KEYSPACE and ALTER TABLE, and names the ALTER
// statements wcdb does not support.
func (p *parser) alterStmt() ast.Statement {
	start := p.pos
	p.expectKw(kwAlter)
	t := p.tok()
	switch {
	case p.isKeyspaceKw():
		p.advance()
		s := &ast.AlterKeyspaceStmt{IfExists: p.ifExists()}
		s.Name = p.nameOf("keyspace")
		p.expectKw(kwWith)
		s.Properties = p.properties(nil)
		return s
	case isKwTok(t, kwColumnfamily):
		p.advance()
		return p.alterTable()
	case isKwTok(t, kwMaterialized):
		p.unsupported(start, "ALTER MATERIALIZED VIEW")
	case t.kind == tIdent && (t.kw == kwType || t.kw == kwRole || t.kw == kwUser):
		p.unsupported(start, "ALTER "+keywordNames[t.kw])
	}
	p.noViable()
	return nil
}

// alterTable parses the rest of ALTER TABLE (Parser.g alterTableStatement).
func (p *parser) alterTable() *ast.AlterTableStmt {
	s := &ast.AlterTableStmt{IfExists: p.ifExists(), Table: p.tableName()}
	t := p.tok()
	switch {
	case isKwTok(t, kwAlter):
		if n := p.peek(2); isKwTok(n, kwType) {
			p.invalid(p.pos, false, "Altering column types is no longer supported")
		}
		p.unsupported(p.pos, "ALTER TABLE ... ALTER")
	case isKwTok(t, kwAdd):
		p.advance()
		s.Action = ast.AlterAdd
		if p.acceptKw(kwIf) {
			p.expectKw(kwNot)
			p.expectKw(kwExists)
			s.IfColumnNotExists = true
		}
		col := func() ast.ColumnDef {
			c := ast.ColumnDef{Name: p.ident(), Type: p.typeExpr()}
			c.Static = p.acceptKw(kwStatic)
			return c
		}
		if p.accept(tLParen) {
			for {
				s.Add = append(s.Add, col())
				if !p.accept(tComma) {
					break
				}
			}
			p.expect(tRParen)
		} else {
			s.Add = []ast.ColumnDef{col()}
		}
	case isKwTok(t, kwDrop):
		p.advance()
		if p.isKw(kwCompact) && isKwTok(p.peek(1), kwStorage) {
			p.unsupported(p.pos-1, "DROP COMPACT STORAGE")
		}
		s.Action = ast.AlterDrop
		s.IfColumnExists = p.ifExists()
		if p.is(tLParen) {
			s.Drop = p.identList(false)
		} else {
			s.Drop = []string{p.ident()}
		}
		if p.acceptKw(kwUsing) {
			p.expectKw(kwTimestamp)
			it := p.tok()
			p.expect(tInt)
			s.DropTimestamp = &ast.Constant{Kind: ast.IntegerConst, Text: p.src[it.start:it.end]}
		}
	case isKwTok(t, kwRename):
		p.advance()
		s.Action = ast.AlterRename
		s.IfColumnExists = p.ifExists()
		for {
			r := ast.ColumnRename{From: p.ident()}
			p.expectKw(kwTo)
			r.To = p.ident()
			s.Renames = append(s.Renames, r)
			if !p.acceptKw(kwAnd) {
				break
			}
		}
	case isKwTok(t, kwWith):
		p.advance()
		s.Action = ast.AlterWith
		s.Properties = p.properties(nil)
	default:
		p.noViable()
	}
	return s
}

// dropStmt parses DROP KEYSPACE and DROP TABLE, and names the DROP
// statements wcdb does not support.
func (p *parser) dropStmt() ast.Statement {
	start := p.pos
	p.expectKw(kwDrop)
	t := p.tok()
	switch {
	case p.isKeyspaceKw():
		p.advance()
		s := &ast.DropKeyspaceStmt{IfExists: p.ifExists()}
		s.Name = p.nameOf("keyspace")
		return s
	case isKwTok(t, kwColumnfamily):
		p.advance()
		s := &ast.DropTableStmt{IfExists: p.ifExists()}
		s.Table = p.tableName()
		return s
	case isKwTok(t, kwIndex):
		p.unsupported(start, "DROP INDEX")
	case isKwTok(t, kwMaterialized):
		p.unsupported(start, "DROP MATERIALIZED VIEW")
	case t.kind == tIdent:
		switch t.kw {
		case kwType, kwFunction, kwAggregate, kwTrigger, kwRole, kwUser:
			p.unsupported(start, "DROP "+keywordNames[t.kw])
		}
		if strings.EqualFold(p.src[t.start:t.end], "identity") {
			p.unsupported(start, "DROP IDENTITY")
		}
	}
	p.noViable()
	return nil
}

// describeStmt parses DESCRIBE / DESC (Parser.g describeStatement).
func (p *parser) describeStmt() *ast.DescribeStmt {
	p.advance() // DESCRIBE or DESC
	s := &ast.DescribeStmt{}
	qualified := func() {
		first := p.ident()
		if p.accept(tDot) {
			s.Keyspace, s.Name = first, p.ident()
		} else {
			s.Name = first
		}
	}
	t := p.tok()
	word := strings.ToLower(p.src[t.start:t.end])
	switch {
	case t.kind != tIdent:
		if t.kind != tQuoted {
			p.noViable()
		}
		s.Kind = ast.DescribeName
		qualified()
	case word == "cluster":
		p.advance()
		s.Kind = ast.DescribeCluster
	case t.kw == kwFull && isKwTok(p.peek(1), kwSchema):
		p.advance()
		p.advance()
		s.Kind, s.Full = ast.DescribeSchema, true
	case t.kw == kwSchema:
		p.advance()
		s.Kind = ast.DescribeSchema
	case t.kw == kwKeyspaces:
		p.advance()
		s.Kind = ast.DescribeKeyspaces
	case word == "only" && isKwTok(p.peek(1), kwKeyspace), t.kw == kwKeyspace:
		if word == "only" {
			p.advance()
			s.Only = true
		}
		p.advance()
		s.Kind = ast.DescribeKeyspace
		if identTok(p.tok()) {
			s.Keyspace = p.ident()
		}
	case t.kw == kwTables:
		p.advance()
		s.Kind = ast.DescribeTables
	case t.kw == kwColumnfamily:
		p.advance()
		s.Kind = ast.DescribeTable
		qualified()
	case t.kw == kwIndex:
		p.advance()
		s.Kind = ast.DescribeIndex
		qualified()
	case t.kw == kwMaterialized:
		p.advance()
		p.expectKw(kwView)
		s.Kind = ast.DescribeView
		qualified()
	case t.kw == kwTypes:
		p.advance()
		s.Kind = ast.DescribeTypes
	case t.kw == kwType:
		p.advance()
		s.Kind = ast.DescribeType
		qualified()
	case t.kw == kwFunctions:
		p.advance()
		s.Kind = ast.DescribeFunctions
	case t.kw == kwFunction:
		p.advance()
		s.Kind = ast.DescribeFunction
		qualified()
	case t.kw == kwAggregates:
		p.advance()
		s.Kind = ast.DescribeAggregates
	case t.kw == kwAggregate:
		p.advance()
		s.Kind = ast.DescribeAggregate
		qualified()
	default:
		s.Kind = ast.DescribeName
		qualified()
	}
	if p.acceptKw(kwWith) {
		p.expectKw(kwInternals)
		s.WithInternals = true
	}
	return s
}

// Types.

// reservedTypeNames may not name a user type (Parser.g reservedTypeNames).
var reservedTypeNames = map[string]bool{
	"byte": true, "complex": true, "enum": true, "date": true, "interval": true,
	"macaddr": true, "bitstring": true,
}

// typeExpr parses a CQL type (Parser.g comparatorType).
func (p *parser) typeExpr() ast.TypeExpr {
	p.nest()
	defer p.unnest()
	t := p.tok()
	if t.kind == tString {
		p.advance()
		return ast.TypeExpr{Kind: ast.TypeCustom, Name: stringValue(p.src, *t)}
	}
	if t.kind == tIdent && p.peek(1).kind == tLt {
		switch t.kw {
		case kwFrozen:
			p.advance()
			p.advance()
			inner := p.typeExpr()
			p.expect(tGt)
			inner.Frozen = true
			return inner
		case kwMap, kwList, kwSet, kwTuple:
			p.advance()
			p.advance()
			te := ast.TypeExpr{Kind: ast.TypeTuple}
			switch t.kw {
			case kwMap:
				te.Kind = ast.TypeMap
			case kwList:
				te.Kind = ast.TypeList
			case kwSet:
				te.Kind = ast.TypeSet
			}
			te.Args = append(te.Args, p.typeExpr())
			switch te.Kind {
			case ast.TypeMap:
				p.expect(tComma)
				te.Args = append(te.Args, p.typeExpr())
			case ast.TypeTuple:
				for p.accept(tComma) {
					te.Args = append(te.Args, p.typeExpr())
				}
			}
			p.expect(tGt)
			return te
		}
	}
	if t.kind == tIdent && t.kw.isNativeType() {
		p.advance()
		return ast.TypeExpr{Kind: ast.TypeNative, Name: strings.ToLower(keywordNames[t.kw])}
	}
	if !identTok(t) {
		p.noViable()
	}
	te := ast.TypeExpr{Kind: ast.TypeUser, Name: p.ident()}
	if p.accept(tDot) {
		te.Keyspace = te.Name
		nameTok := p.pos
		te.Name = p.ident()
		if reservedTypeNames[te.Name] && p.at(nameTok).kind == tIdent {
			p.recognitionError(nameTok, "Invalid (reserved) user type name %s", te.Name)
		}
	} else if reservedTypeNames[te.Name] && t.kind == tIdent {
		p.recognitionError(p.pos-1, "Invalid (reserved) user type name %s", te.Name)
	}
	return te
}

// Terms and selectors. One expression grammar serves both; sel is true in
// SELECT clauses, where terms may also name columns.

// expr parses a term (Parser.g term / termAddition; unaliasedSelector /
// selectionAddition when sel).
func (p *parser) expr(sel bool) ast.Term {
	left := p.mulExpr(sel)
	for {
		t := p.tok()
		if t.kind != tPlus && t.kind != tMinus {
			return left
		}
		// "l = [1] + l": a '+' not followed by a term belongs to the caller.
		if !p.startsTerm(p.pos+1, sel) {
			return left
		}
		op := byte('+')
		if t.kind == tMinus {
			op = '-'
		}
		p.advance()
		left = &ast.BinaryExpr{Op: op, Left: left, Right: p.mulExpr(sel)}
	}
}

// mulExpr parses * / % operands (termMultiplication).
func (p *parser) mulExpr(sel bool) ast.Term {
	left := p.group(sel)
	for {
		var op byte
		switch p.tok().kind {
		case tStar:
			op = '*'
		case tSlash:
			op = '/'
		case tPercent:
			op = '%'
		default:
			return left
		}
		p.advance()
		left = &ast.BinaryExpr{Op: op, Left: left, Right: p.group(sel)}
	}
}

// group parses an optionally negated simple term (termGroup). Negated
// numeric literals fold into negative constants.
func (p *parser) group(sel bool) ast.Term {
	if !p.accept(tMinus) {
		return p.simple(sel)
	}
	var t ast.Term
	if sel && p.is(tMinus) {
		t = p.group(sel) // selectionGroup allows "- -x"
	} else {
		t = p.simple(sel)
	}
	if c, ok := t.(*ast.Constant); ok {
		switch c.Kind {
		case ast.IntegerConst, ast.FloatConst, ast.DurationConst:
			if c.Text != "NaN" {
				if strings.HasPrefix(c.Text, "-") {
					c.Text = c.Text[1:]
				} else {
					c.Text = "-" + c.Text
				}
			}
			return c
		}
	}
	return &ast.Negate{Term: t}
}

// startsTerm reports whether the token at i can begin a term.
func (p *parser) startsTerm(i int, sel bool) bool {
	t := p.at(i)
	switch t.kind {
	case tString, tInt, tFloat, tBool, tNaN, tInfinity, tHex, tUUID, tDuration,
		tQMark, tColon, tLBracket, tLBrace, tLParen, tMinus:
		return true
	case tIdent:
		if t.kw == kwNull {
			return true
		}
		if t.kw.reserved() && t.kw != kwToken {
			return false
		}
		return sel || p.isFunctionAt(i)
	case tQuoted:
		return sel || p.isFunctionAt(i)
	}
	return false
}

// funcNameTok reports whether t can name a function (Parser.g
// allowedFunctionName: any non-reserved word, TOKEN, or a quoted name).
func funcNameTok(t *token) bool {
	return identTok(t) || isKwTok(t, kwToken)
}

// isFunctionAt reports whether a function call starts at token i:
// name '(' or ks '.' name '('.
func (p *parser) isFunctionAt(i int) bool {
	if !funcNameTok(p.at(i)) {
		return false
	}
	switch p.at(i + 1).kind {
	case tLParen:
		return true
	case tDot:
		return identTok(p.at(i)) && funcNameTok(p.at(i+2)) && p.at(i+3).kind == tLParen
	}
	return false
}

// simple parses a simple term (Parser.g simpleTerm; selectionGroup when
// sel), with the [key] and [from..to] selections a selector may apply.
func (p *parser) simple(sel bool) ast.Term {
	e := p.primary(sel)
	if !sel {
		return e
	}
	for {
		switch {
		case p.accept(tLBracket):
			if p.accept(tRange) {
				e = &ast.SliceExpr{Term: e, To: p.expr(false)}
			} else {
				key := p.expr(false)
				if p.accept(tRange) {
					s := &ast.SliceExpr{Term: e, From: key}
					if !p.is(tRBracket) {
						s.To = p.expr(false)
					}
					e = s
				} else {
					e = &ast.ElementExpr{Term: e, Key: key}
				}
			}
			p.expect(tRBracket)
		case p.is(tDot):
			p.unsupported(p.pos, "Selecting a field of a user-defined type")
		default:
			return e
		}
	}
}

// primary parses a constant, literal, marker, function call, cast or
// parenthesised term, or (when sel) a column or selector function.
func (p *parser) primary(sel bool) ast.Term {
	p.nest()
	defer p.unnest()
	if c, ok := p.constant(); ok {
		return c
	}
	t := p.tok()
	switch t.kind {
	case tQMark, tColon:
		return p.marker(ast.MarkerValue)
	case tLBracket:
		p.advance()
		l := &ast.ListLit{}
		if !p.accept(tRBracket) {
			for {
				l.Elems = append(l.Elems, p.expr(sel))
				if !p.accept(tComma) {
					break
				}
			}
			p.expect(tRBracket)
		}
		return l
	case tLBrace:
		return p.braces(sel)
	case tLParen:
		return p.parenthesised(sel)
	case tIdent, tQuoted:
		if t.kind == tIdent {
			switch t.kw {
			case kwNull:
				p.advance()
				return &ast.NullLit{}
			case kwCast:
				if p.peek(1).kind == tLParen {
					return p.cast(sel)
				}
			case kwCount:
				if sel && p.peek(1).kind == tLParen && p.peek(2).kind == tStar && p.peek(3).kind == tRParen {
					p.pos += 4
					return &ast.CountRows{}
				}
			case kwWritetime, kwTTL:
				if sel && p.peek(1).kind == tLParen {
					p.advance()
					p.advance()
					w := &ast.WritetimeExpr{Column: p.ident(), TTL: t.kw == kwTTL}
					p.expect(tRParen)
					return w
				}
			}
		}
		if p.isFunctionAt(p.pos) {
			return p.functionCall(sel)
		}
		if sel && (identTok(t) || t.kind == tQuoted) {
			return &ast.ColumnRef{Name: p.cident()}
		}
	}
	p.noViable()
	return nil
}

// functionCall parses [ks.]name '(' [term (',' term)*] ')'.
func (p *parser) functionCall(sel bool) *ast.FunctionCall {
	f := &ast.FunctionCall{}
	t := p.tok()
	if p.at(p.pos+1).kind == tDot {
		f.Keyspace = p.ident()
		p.advance()
		t = p.tok()
	}
	if isKwTok(t, kwToken) {
		p.advance()
		f.Name = "token"
	} else {
		f.Name = p.ident()
	}
	p.expect(tLParen)
	if !p.accept(tRParen) {
		for {
			f.Args = append(f.Args, p.expr(sel))
			if !p.accept(tComma) {
				break
			}
		}
		p.expect(tRParen)
	}
	return f
}

// cast parses CAST '(' term AS native_type ')'.
func (p *parser) cast(sel bool) *ast.CastExpr {
	p.advance() // CAST
	p.expect(tLParen)
	c := &ast.CastExpr{}
	if sel {
		c.Term = p.expr(sel)
	} else {
		c.Term = p.simple(sel)
	}
	p.expectKw(kwAs)
	if t := p.tok(); t.kind != tIdent || !t.kw.isNativeType() {
		p.noViable()
	}
	c.Type = p.typeExpr()
	p.expect(tRParen)
	return c
}

// braces parses {}, a set literal, a map literal; a user-type literal is
// reported as unsupported.
func (p *parser) braces(sel bool) ast.Term {
	start := p.pos
	p.advance() // {
	if p.accept(tRBrace) {
		return &ast.EmptyCollection{}
	}
	if !sel && (identTok(p.tok()) || p.is(tQuoted)) && p.peek(1).kind == tColon {
		p.unsupported(start, "A user-defined type literal")
	}
	first := p.expr(sel)
	if p.accept(tColon) {
		m := &ast.MapLit{Entries: []ast.MapEntry{{Key: first, Value: p.expr(sel)}}}
		for p.accept(tComma) {
			k := p.expr(sel)
			p.expect(tColon)
			m.Entries = append(m.Entries, ast.MapEntry{Key: k, Value: p.expr(sel)})
		}
		p.expect(tRBrace)
		return m
	}
	s := &ast.SetLit{Elems: []ast.Term{first}}
	for p.accept(tComma) {
		s.Elems = append(s.Elems, p.expr(sel))
	}
	p.expect(tRBrace)
	return s
}

// parenthesised parses a type hint "(type) term" or a tuple literal.
func (p *parser) parenthesised(sel bool) ast.Term {
	var hint ast.TypeExpr
	if p.try(func() {
		p.advance() // (
		hint = p.typeExpr()
		p.expect(tRParen)
		if !p.startsSimple(p.pos, sel) {
			p.noViable()
		}
	}) {
		return &ast.TypeHint{Type: hint, Term: p.simple(sel)}
	}
	return p.tupleLit(sel)
}

// startsSimple reports whether a simple term (no leading '-') can start at
// token i, as the operand of a type hint. In a selector, "(a) AS x" stays
// a one-element tuple with an alias.
func (p *parser) startsSimple(i int, sel bool) bool {
	t := p.at(i)
	if t.kind == tMinus || sel && isKwTok(t, kwAs) {
		return false
	}
	return p.startsTerm(i, sel)
}

// tupleLit parses '(' term (',' term)* ')'.
func (p *parser) tupleLit(sel bool) *ast.TupleLit {
	p.expect(tLParen)
	tl := &ast.TupleLit{}
	for {
		tl.Elems = append(tl.Elems, p.expr(sel))
		if !p.accept(tComma) {
			break
		}
	}
	p.expect(tRParen)
	return tl
}
