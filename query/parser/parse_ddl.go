package parser

import (
	"strings"

	"wcdb/query/ast"
)

// Schema statements: CREATE, ALTER and DROP of keyspaces and tables, their
// WITH properties, and DESCRIBE.

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
		p.advance()
		return p.createIndex(false)
	case isKwTok(t, kwCustom) && isKwTok(p.peek(1), kwIndex):
		p.advance()
		p.advance()
		return p.createIndex(true)
	case isKwTok(t, kwMaterialized):
		p.unsupported(start, "CREATE MATERIALIZED VIEW")
	case isKwTok(t, kwOr) && isKwTok(p.peek(1), kwReplace):
		if n := p.peek(2); n.kind == tIdent && (n.kw == kwFunction || n.kw == kwAggregate) {
			p.unsupported(start, "CREATE "+keywordNames[n.kw])
		}
	case isKwTok(t, kwRole), isKwTok(t, kwUser):
		p.advance()
		return p.createRole(t.kw == kwUser)
	case isKwTok(t, kwType):
		p.advance()
		return p.createType()
	case t.kind == tIdent:
		switch t.kw {
		case kwFunction, kwAggregate, kwTrigger:
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
	case isKwTok(t, kwRole), isKwTok(t, kwUser):
		p.advance()
		return p.alterRole(t.kw == kwUser)
	case isKwTok(t, kwType):
		p.advance()
		return p.alterType()
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
		s.Renames = p.renames()
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
		p.advance()
		s := &ast.DropIndexStmt{IfExists: p.ifExists()}
		s.Name = p.nameOf("index")
		if p.accept(tDot) {
			s.Keyspace, s.Name = s.Name, p.nameOf("index")
		}
		return s
	case isKwTok(t, kwMaterialized):
		p.unsupported(start, "DROP MATERIALIZED VIEW")
	case isKwTok(t, kwRole), isKwTok(t, kwUser):
		p.advance()
		return p.dropRole(t.kw == kwUser)
	case isKwTok(t, kwType):
		p.advance()
		return p.dropType()
	case t.kind == tIdent:
		switch t.kw {
		case kwFunction, kwAggregate, kwTrigger:
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

// createIndex parses the rest of CREATE [CUSTOM] INDEX (Parser.g
// createIndexStatement, indexIdent).
func (p *parser) createIndex(custom bool) *ast.CreateIndexStmt {
	s := &ast.CreateIndexStmt{Custom: custom, IfNotExists: p.ifNotExists()}
	if !p.isKw(kwOn) {
		s.Name = p.nameOf("index")
	}
	p.expectKw(kwOn)
	s.Table = p.tableName()
	p.expect(tLParen)
	for !p.is(tRParen) {
		if len(s.Targets) > 0 {
			p.expect(tComma)
		}
		var tg ast.IndexTarget
		t := p.tok()
		if (isKwTok(t, kwKeys) || isKwTok(t, kwValues) || isKwTok(t, kwEntries) || isKwTok(t, kwFull)) && p.peek(1).kind == tLParen {
			tg.Kind = strings.ToLower(keywordNames[t.kw])
			p.advance()
			p.expect(tLParen)
			tg.Column = p.ident()
			p.expect(tRParen)
		} else {
			tg.Column = p.ident()
		}
		s.Targets = append(s.Targets, tg)
	}
	p.expect(tRParen)
	if p.acceptKw(kwUsing) {
		s.Using = p.stringLit()
	}
	if p.acceptKw(kwWith) {
		s.Properties = p.properties(nil)
	}
	return s
}

// renames parses "a TO b [AND c TO d ...]" of ALTER TABLE and ALTER TYPE
// RENAME.
func (p *parser) renames() []ast.ColumnRename {
	var out []ast.ColumnRename
	for {
		r := ast.ColumnRename{From: p.ident()}
		p.expectKw(kwTo)
		r.To = p.ident()
		out = append(out, r)
		if !p.acceptKw(kwAnd) {
			return out
		}
	}
}
