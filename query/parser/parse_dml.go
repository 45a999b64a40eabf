package parser

import (
	"wcdb/query/ast"
)

// Queries and data changes: SELECT, INSERT, UPDATE, DELETE, BATCH, and the
// WHERE and IF clauses they share.

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
	if p.isKw(kwAs) && isKwTok(p.peek(1), kwOf) {
		p.advance()
		p.advance()
		s.AsOf = p.asOf()
	}
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

// asOf parses what follows AS OF: TIMESTAMP and a bigint (µs), or a
// timestamp (a string literal), either of them a bind marker.
func (p *parser) asOf() *ast.AsOf {
	if p.acceptKw(kwTimestamp) {
		return &ast.AsOf{Micros: true, Value: p.intValue(ast.MarkerTimestamp)}
	}
	if p.isMarkerStart() {
		return &ast.AsOf{Value: p.marker(ast.MarkerValue)}
	}
	return &ast.AsOf{Value: &ast.Constant{Kind: ast.StringConst, Text: p.stringLit()}}
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
	case p.accept(tDot):
		a.Op, a.Field = ast.AssignField, p.ident()
		p.expect(tEq)
		a.Value = p.expr(false)
		return a
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
	r := ast.Relation{Kind: ast.RelColumn, Column: p.cident()}
	if p.accept(tLBracket) {
		r.Kind = ast.RelElement
		r.Key = p.expr(false)
		p.expect(tRBracket)
	} else if p.accept(tDot) {
		r.Field = p.ident()
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
			d := ast.DeleteTarget{Column: p.cident()}
			if p.accept(tLBracket) {
				d.Key = p.expr(false)
				p.expect(tRBracket)
			} else if p.accept(tDot) {
				d.Field = p.ident()
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
