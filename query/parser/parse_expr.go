package parser

import (
	"strings"

	"wcdb/query/ast"
)

// Types and terms (value expressions), with the forms only a SELECT clause
// allows (columns, WRITETIME, element and slice selectors).

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
		case p.accept(tDot):
			e = &ast.FieldExpr{Term: e, Field: p.ident()}
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

// braces parses {}, a set literal, a map literal, or (outside selectors,
// where {a: b} is a map of columns) a user type literal {field: term, ...}.
func (p *parser) braces(sel bool) ast.Term {
	p.advance() // {
	if p.accept(tRBrace) {
		return &ast.EmptyCollection{}
	}
	if !sel && (identTok(p.tok()) || p.is(tQuoted)) && p.peek(1).kind == tColon {
		l := &ast.UDTLit{}
		for {
			f := ast.UDTField{Name: p.ident()}
			p.expect(tColon)
			f.Value = p.expr(false)
			l.Fields = append(l.Fields, f)
			if !p.accept(tComma) {
				break
			}
		}
		p.expect(tRBrace)
		return l
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
