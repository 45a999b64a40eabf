package parser

import "wcdb/query/ast"

// User-defined type statements (Parser.g createTypeStatement,
// alterTypeStatement, dropTypeStatement), after CREATE, ALTER or DROP and
// the TYPE keyword.

// userTypeName parses [ks.]name (Parser.g userTypeName): the name may not
// be a reserved type name unless quoted.
func (p *parser) userTypeName() ast.TableName {
	first := p.ident()
	n := ast.TableName{Name: first}
	at := p.pos - 1
	if p.accept(tDot) {
		at = p.pos
		n = ast.TableName{Keyspace: first, Name: p.ident()}
	}
	if reservedTypeNames[n.Name] && p.at(at).kind == tIdent {
		p.recognitionError(at, "Invalid (reserved) user type name %s", n.Name)
	}
	return n
}

// createType parses the rest of CREATE TYPE.
func (p *parser) createType() *ast.CreateTypeStmt {
	s := &ast.CreateTypeStmt{IfNotExists: p.ifNotExists(), Name: p.userTypeName()}
	p.expect(tLParen)
	for {
		s.Fields = append(s.Fields, ast.ColumnDef{Name: p.ident(), Type: p.typeExpr()})
		if !p.accept(tComma) {
			break
		}
		if p.is(tRParen) { // a trailing comma is allowed, as in CREATE TABLE
			break
		}
	}
	p.expect(tRParen)
	return s
}

// alterType parses the rest of ALTER TYPE.
func (p *parser) alterType() *ast.AlterTypeStmt {
	s := &ast.AlterTypeStmt{IfExists: p.ifExists(), Name: p.userTypeName()}
	switch {
	case p.acceptKw(kwAdd):
		s.Action = ast.AlterTypeAdd
		s.IfFieldNotExists = p.ifNotExists()
		s.Add = ast.ColumnDef{Name: p.ident(), Type: p.typeExpr()}
	case p.acceptKw(kwAlter):
		s.Action = ast.AlterTypeAlter
		s.Add.Name = p.ident()
		p.expectKw(kwType)
		s.Add.Type = p.typeExpr()
	case p.acceptKw(kwRename):
		s.Action = ast.AlterTypeRename
		s.IfFieldExists = p.ifExists()
		s.Renames = p.renames()
	default:
		p.noViable()
	}
	return s
}

// dropType parses the rest of DROP TYPE.
func (p *parser) dropType() *ast.DropTypeStmt {
	return &ast.DropTypeStmt{IfExists: p.ifExists(), Name: p.userTypeName()}
}
