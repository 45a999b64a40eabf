package ast

import (
	"strings"
)

// Access-control statements: roles (and the older USER forms), GRANT,
// REVOKE and LIST, as Cassandra's Parser.g declares them.

// RoleOptions are the WITH options of CREATE and ALTER ROLE (or the
// PASSWORD and [NO]SUPERUSER of the USER forms); nil means not given.
type RoleOptions struct {
	Password  *string
	Login     *bool
	Superuser *bool
}

// write prints the options in the ROLE form, or with user the USER
// form's (WITH PASSWORD 'p' [NO]SUPERUSER).
func (o *RoleOptions) write(b *strings.Builder, user bool) {
	if user {
		if o.Password != nil {
			b.WriteString(" WITH PASSWORD " + quoteString(*o.Password))
		}
		if o.Superuser != nil && *o.Superuser {
			b.WriteString(" SUPERUSER")
		} else if o.Superuser != nil {
			b.WriteString(" NOSUPERUSER")
		}
		return
	}
	var parts []string
	if o.Password != nil {
		parts = append(parts, "PASSWORD = "+quoteString(*o.Password))
	}
	if o.Login != nil {
		parts = append(parts, "LOGIN = "+boolText(*o.Login))
	}
	if o.Superuser != nil {
		parts = append(parts, "SUPERUSER = "+boolText(*o.Superuser))
	}
	if len(parts) > 0 {
		b.WriteString(" WITH ")
		b.WriteString(strings.Join(parts, " AND "))
	}
}

func boolText(v bool) string {
	if v {
		return "true"
	}
	return "false"
}

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// writeRole writes a role name: an identifier if it reads back the same,
// else a string.
func writeRole(b *strings.Builder, name string) {
	if identIsBare(name) {
		b.WriteString(name)
		return
	}
	b.WriteString(quoteString(name))
}

// CreateRoleStmt is CREATE ROLE, or CREATE USER (User: a role with LOGIN,
// as Cassandra 2.2+ maps it).
type CreateRoleStmt struct {
	stmtBase
	User        bool
	IfNotExists bool
	Name        string
	Options     RoleOptions
}

// String implements Statement.
func (s *CreateRoleStmt) String() string { return termString(s) }

func (s *CreateRoleStmt) writeTo(b *strings.Builder) {
	b.WriteString("CREATE ")
	b.WriteString(roleWord(s.User))
	if s.IfNotExists {
		b.WriteString("IF NOT EXISTS ")
	}
	writeRole(b, s.Name)
	s.Options.write(b, s.User)
}

func roleWord(user bool) string {
	if user {
		return "USER "
	}
	return "ROLE "
}

// AlterRoleStmt is ALTER ROLE or ALTER USER.
type AlterRoleStmt struct {
	stmtBase
	User     bool
	IfExists bool
	Name     string
	Options  RoleOptions
}

// String implements Statement.
func (s *AlterRoleStmt) String() string { return termString(s) }

func (s *AlterRoleStmt) writeTo(b *strings.Builder) {
	b.WriteString("ALTER ")
	b.WriteString(roleWord(s.User))
	if s.IfExists {
		b.WriteString("IF EXISTS ")
	}
	writeRole(b, s.Name)
	s.Options.write(b, s.User)
}

// DropRoleStmt is DROP ROLE or DROP USER.
type DropRoleStmt struct {
	stmtBase
	User     bool
	IfExists bool
	Name     string
}

// String implements Statement.
func (s *DropRoleStmt) String() string { return termString(s) }

func (s *DropRoleStmt) writeTo(b *strings.Builder) {
	b.WriteString("DROP ")
	b.WriteString(roleWord(s.User))
	if s.IfExists {
		b.WriteString("IF EXISTS ")
	}
	writeRole(b, s.Name)
}

// GrantRoleStmt is GRANT role TO grantee, or with Revoke REVOKE role FROM
// grantee.
type GrantRoleStmt struct {
	stmtBase
	Revoke        bool
	Role, Grantee string
}

// String implements Statement.
func (s *GrantRoleStmt) String() string { return termString(s) }

func (s *GrantRoleStmt) writeTo(b *strings.Builder) {
	if s.Revoke {
		b.WriteString("REVOKE ")
		writeRole(b, s.Role)
		b.WriteString(" FROM ")
	} else {
		b.WriteString("GRANT ")
		writeRole(b, s.Role)
		b.WriteString(" TO ")
	}
	writeRole(b, s.Grantee)
}

// ListRolesStmt is LIST ROLES [OF role] [NORECURSIVE], or LIST USERS.
type ListRolesStmt struct {
	stmtBase
	Users       bool
	Of          string
	NoRecursive bool
}

// String implements Statement.
func (s *ListRolesStmt) String() string { return termString(s) }

func (s *ListRolesStmt) writeTo(b *strings.Builder) {
	if s.Users {
		b.WriteString("LIST USERS")
		return
	}
	b.WriteString("LIST ROLES")
	if s.Of != "" {
		b.WriteString(" OF ")
		writeRole(b, s.Of)
	}
	if s.NoRecursive {
		b.WriteString(" NORECURSIVE")
	}
}

// ResourceKind is the kind of resource a permission is on.
type ResourceKind uint8

const (
	AllKeyspaces     ResourceKind = iota // ALL KEYSPACES
	KeyspaceResource                     // KEYSPACE ks
	TableResource                        // [TABLE] [ks.]t
	AllRoles                             // ALL ROLES
	RoleResource                         // ROLE r
)

// Resource is what GRANT, REVOKE and LIST PERMISSIONS name.
type Resource struct {
	Kind  ResourceKind
	Table TableName // KeyspaceResource: Table.Keyspace; TableResource
	Role  string
}

func (r *Resource) writeTo(b *strings.Builder) {
	switch r.Kind {
	case AllKeyspaces:
		b.WriteString("ALL KEYSPACES")
	case KeyspaceResource:
		b.WriteString("KEYSPACE ")
		writeIdent(b, r.Table.Keyspace)
	case TableResource:
		b.WriteString("TABLE ")
		r.Table.writeTo(b)
	case AllRoles:
		b.WriteString("ALL ROLES")
	case RoleResource:
		b.WriteString("ROLE ")
		writeRole(b, r.Role)
	}
}

// GrantPermStmt is GRANT permissions ON resource TO role, or with Revoke
// REVOKE ... FROM role. Perms holds upper-case permission names; nil is
// ALL PERMISSIONS.
type GrantPermStmt struct {
	stmtBase
	Revoke   bool
	Perms    []string
	Resource Resource
	Role     string
}

// String implements Statement.
func (s *GrantPermStmt) String() string { return termString(s) }

func writePerms(b *strings.Builder, perms []string) {
	if perms == nil {
		b.WriteString("ALL PERMISSIONS")
		return
	}
	b.WriteString(strings.Join(perms, ", "))
}

func (s *GrantPermStmt) writeTo(b *strings.Builder) {
	if s.Revoke {
		b.WriteString("REVOKE ")
	} else {
		b.WriteString("GRANT ")
	}
	writePerms(b, s.Perms)
	b.WriteString(" ON ")
	s.Resource.writeTo(b)
	if s.Revoke {
		b.WriteString(" FROM ")
	} else {
		b.WriteString(" TO ")
	}
	writeRole(b, s.Role)
}

// ListPermsStmt is LIST permissions [ON resource] [OF role] [NORECURSIVE].
type ListPermsStmt struct {
	stmtBase
	Perms       []string // nil: ALL
	Resource    *Resource
	Of          string
	NoRecursive bool
}

// String implements Statement.
func (s *ListPermsStmt) String() string { return termString(s) }

func (s *ListPermsStmt) writeTo(b *strings.Builder) {
	b.WriteString("LIST ")
	writePerms(b, s.Perms)
	if s.Resource != nil {
		b.WriteString(" ON ")
		s.Resource.writeTo(b)
	}
	if s.Of != "" {
		b.WriteString(" OF ")
		writeRole(b, s.Of)
	}
	if s.NoRecursive {
		b.WriteString(" NORECURSIVE")
	}
}
