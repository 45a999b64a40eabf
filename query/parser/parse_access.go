package parser

import (
	"wcdb/query/ast"
)

// Access-control statements (Parser.g createRoleStatement ...
// listPermissionsStatement): roles and users, GRANT, REVOKE, LIST.

// roleName parses a role name (Parser.g userOrRoleName): an identifier
// (folded to lower case unless quoted), an unreserved keyword or a string.
func (p *parser) roleName() string {
	if t := p.tok(); t.kind == tString {
		p.advance()
		return stringValue(p.src, *t)
	}
	if p.is(tQMark) {
		p.recognitionError(p.pos, "Bind variables cannot be used for role names")
	}
	return p.ident()
}

// createRole parses the rest of CREATE ROLE or CREATE USER, after the
// keyword ROLE or USER.
func (p *parser) createRole(user bool) ast.Statement {
	s := &ast.CreateRoleStmt{User: user, IfNotExists: p.ifNotExists()}
	s.Name = p.roleName()
	s.Options = p.roleOptions(user)
	return s
}

// alterRole parses the rest of ALTER ROLE or ALTER USER.
func (p *parser) alterRole(user bool) ast.Statement {
	s := &ast.AlterRoleStmt{User: user, IfExists: p.ifExists()}
	s.Name = p.roleName()
	s.Options = p.roleOptions(user)
	return s
}

// dropRole parses the rest of DROP ROLE or DROP USER.
func (p *parser) dropRole(user bool) ast.Statement {
	s := &ast.DropRoleStmt{User: user, IfExists: p.ifExists()}
	s.Name = p.roleName()
	return s
}

// roleOptions parses [WITH option (AND option)*] of the ROLE forms, or
// the USER forms' [WITH PASSWORD 'p'] [SUPERUSER | NOSUPERUSER].
func (p *parser) roleOptions(user bool) ast.RoleOptions {
	var o ast.RoleOptions
	if user {
		if p.acceptKw(kwWith) {
			p.expectKw(kwPassword)
			pw := p.stringLit()
			o.Password = &pw
		}
		switch {
		case p.acceptKw(kwSuperuser):
			o.Superuser = ptr(true)
		case p.acceptKw(kwNosuperuser):
			o.Superuser = ptr(false)
		}
		return o
	}
	if !p.acceptKw(kwWith) {
		return o
	}
	for {
		start := p.pos
		switch {
		case p.acceptKw(kwPassword):
			p.expect(tEq)
			if o.Password != nil {
				p.recognitionError(start, "Multiple definition for property 'password'")
			}
			pw := p.stringLit()
			o.Password = &pw
		case p.acceptKw(kwLogin):
			p.expect(tEq)
			if o.Login != nil {
				p.recognitionError(start, "Multiple definition for property 'login'")
			}
			o.Login = ptr(p.boolLit())
		case p.acceptKw(kwSuperuser):
			p.expect(tEq)
			if o.Superuser != nil {
				p.recognitionError(start, "Multiple definition for property 'superuser'")
			}
			o.Superuser = ptr(p.boolLit())
		case p.isKw(kwOptions), p.isKw(kwAccess):
			p.unsupported(start, "role "+keywordNames[p.tok().kw])
		default:
			p.noViable()
		}
		if !p.acceptKw(kwAnd) {
			return o
		}
	}
}

func ptr[T any](v T) *T { return &v }

// stringLit parses a string literal.
func (p *parser) stringLit() string {
	t := p.tok()
	if t.kind != tString {
		p.mismatch(tokNames[tString])
	}
	p.advance()
	return stringValue(p.src, *t)
}

// boolLit parses true or false.
func (p *parser) boolLit() bool {
	t := p.tok()
	if t.kind != tBool {
		p.noViable()
	}
	p.advance()
	return t.kw == kwTrue
}

// permissionKeywords are the permissions GRANT, REVOKE and LIST name.
var permissionKeywords = map[keyword]bool{kwCreate: true, kwAlter: true, kwDrop: true, kwSelect: true,
	kwModify: true, kwAuthorize: true, kwDescribe: true, kwExecute: true}

// isPermissionStart reports whether the current token starts a permission
// list (Parser.g permissionOrAll).
func (p *parser) isPermissionStart() bool {
	t := p.tok()
	return t.kind == tIdent && (permissionKeywords[t.kw] || t.kw == kwAll)
}

// permissions parses permissionOrAll: ALL [PERMISSIONS] (nil) or
// permission [PERMISSION] (',' permission [PERMISSION])*.
func (p *parser) permissions() []string {
	if p.acceptKw(kwAll) {
		p.acceptKw(kwPermissions)
		return nil
	}
	var perms []string
	for {
		t := p.tok()
		if t.kind != tIdent || !permissionKeywords[t.kw] {
			p.noViable()
		}
		p.advance()
		perms = append(perms, keywordNames[t.kw])
		p.acceptKw(kwPermission)
		if !p.accept(tComma) {
			return perms
		}
	}
}

// resource parses Parser.g resource: ALL KEYSPACES | KEYSPACE ks |
// [TABLE] [ks.]t | ALL ROLES | ROLE r (functions and MBeans are refused).
func (p *parser) resource() ast.Resource {
	start := p.pos
	switch {
	case p.isKw(kwAll):
		p.advance()
		switch {
		case p.acceptKw(kwKeyspaces):
			return ast.Resource{Kind: ast.AllKeyspaces}
		case p.acceptKw(kwRoles):
			return ast.Resource{Kind: ast.AllRoles}
		case p.isKw(kwFunctions), p.isKw(kwMbeans):
			p.unsupported(start, "permissions on ALL "+keywordNames[p.tok().kw])
		}
		p.noViable()
	case p.isKeyspaceKw():
		p.advance()
		return ast.Resource{Kind: ast.KeyspaceResource, Table: ast.TableName{Keyspace: p.nameOf("keyspace")}}
	case p.isKw(kwRole):
		p.advance()
		return ast.Resource{Kind: ast.RoleResource, Role: p.roleName()}
	case p.isKw(kwFunction), p.isKw(kwMbean), p.isKw(kwMbeans):
		p.unsupported(start, "permissions on "+keywordNames[p.tok().kw])
	}
	p.acceptKw(kwColumnfamily)
	return ast.Resource{Kind: ast.TableResource, Table: p.tableName()}
}

// grantStmt parses GRANT (and, with revoke, REVOKE) of a role or of
// permissions.
func (p *parser) grantStmt(revoke bool) ast.Statement {
	p.advance() // GRANT or REVOKE
	to := kwTo
	if revoke {
		to = kwFrom
	}
	if p.isPermissionStart() {
		s := &ast.GrantPermStmt{Revoke: revoke, Perms: p.permissions()}
		p.expectKw(kwOn)
		s.Resource = p.resource()
		p.expectKw(to)
		s.Role = p.roleName()
		return s
	}
	s := &ast.GrantRoleStmt{Revoke: revoke, Role: p.roleName()}
	p.expectKw(to)
	s.Grantee = p.roleName()
	return s
}

// listStmt parses LIST ROLES, LIST USERS and LIST permissions.
func (p *parser) listStmt() ast.Statement {
	p.expectKw(kwList)
	switch {
	case p.acceptKw(kwUsers):
		return &ast.ListRolesStmt{Users: true}
	case p.acceptKw(kwRoles):
		s := &ast.ListRolesStmt{}
		if p.acceptKw(kwOf) {
			s.Of = p.roleName()
		}
		s.NoRecursive = p.acceptKw(kwNorecursive)
		return s
	}
	if !p.isPermissionStart() {
		p.noViable()
	}
	s := &ast.ListPermsStmt{Perms: p.permissions()}
	if p.acceptKw(kwOn) {
		r := p.resource()
		s.Resource = &r
	}
	if p.acceptKw(kwOf) {
		s.Of = p.roleName()
	}
	s.NoRecursive = p.acceptKw(kwNorecursive)
	return s
}
