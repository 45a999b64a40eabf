package access

import (
	"context"
	"slices"

	"wcdb/auth"
	"wcdb/query/ast"
	"wcdb/query/plan"
	"wcdb/query/qerr"
	"wcdb/schema"
)

// The role statements: CREATE/ALTER/DROP ROLE (and USER), GRANT and
// REVOKE of roles and permissions, LIST ROLES, USERS and PERMISSIONS, with
// Cassandra's rules and messages (CreateRoleStatement ... ListPermissions-
// Statement).

// IsStatement reports whether st is an access-control statement, which
// Execute runs.
func IsStatement(st ast.Statement) bool {
	switch st.(type) {
	case *ast.CreateRoleStmt, *ast.AlterRoleStmt, *ast.DropRoleStmt, *ast.GrantRoleStmt, *ast.ListRolesStmt,
		*ast.GrantPermStmt, *ast.ListPermsStmt:
		return true
	}
	return false
}

// Execute runs an access-control statement for a: nil rows for the
// statements without a result.
func (c *Control) Execute(ctx context.Context, a Actor, st ast.Statement) (*Rows, error) {
	switch st := st.(type) {
	case *ast.CreateRoleStmt:
		return c.createRole(ctx, &a, st)
	case *ast.AlterRoleStmt:
		return c.alterRole(ctx, &a, st)
	case *ast.DropRoleStmt:
		return c.dropRole(ctx, &a, st)
	case *ast.GrantRoleStmt:
		return c.grantRole(ctx, &a, st)
	case *ast.ListRolesStmt:
		return c.listRoles(ctx, &a, st)
	case *ast.GrantPermStmt:
		return c.grantPerm(ctx, &a, st)
	case *ast.ListPermsStmt:
		return c.listPerms(ctx, &a, st)
	}
	return nil, qerr.Invalidf("access: %T is not an access-control statement", st)
}

// require checks that the session may do p on r (any session may when
// there is no login or no authorizer).
func (c *Control) require(s *Actor, snap *auth.Snapshot, r auth.Resource, p auth.Permission) error {
	if s == nil || s.User == "" || !c.cfg.Authorize || snap.Authorized(s.User, r, p) {
		return nil
	}
	return qerr.Unauthorizedf("User %s has no %s permission on %s or any of its parents", s.User, p, r.Display())
}

// isSuper reports whether the session acts as a superuser (or has no
// login at all).
func isSuper(s *Actor, snap *auth.Snapshot) bool {
	return s == nil || s.User == "" || snap.IsSuper(s.User)
}

// roleExists fails unless name is a role.
func roleExists(snap *auth.Snapshot, name string) error {
	if _, ok := snap.Role(name); !ok {
		return qerr.Invalidf("%s doesn't exist", name)
	}
	return nil
}

func (c *Control) createRole(ctx context.Context, s *Actor, st *ast.CreateRoleStmt) (*Rows, error) {
	snap, err := c.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.require(s, snap, auth.AllRoles, auth.Create); err != nil {
		return nil, err
	}
	o := st.Options
	if o.Superuser != nil && *o.Superuser && !isSuper(s, snap) {
		return nil, qerr.Unauthorizedf("Only superusers can create a role with superuser status")
	}
	if _, ok := snap.Role(st.Name); ok {
		if st.IfNotExists {
			return nil, nil
		}
		return nil, qerr.Invalidf("%s already exists", st.Name)
	}
	if st.Name == "" {
		return nil, qerr.Invalidf("Role name can't be an empty string")
	}
	login := st.User // CREATE USER logs in; CREATE ROLE by default not
	if o.Login != nil {
		login = *o.Login
	}
	var hash any
	if o.Password != nil {
		h, err := auth.HashPassword(*o.Password)
		if err != nil {
			return nil, qerr.Invalidf("Invalid password: %v", err)
		}
		hash = h
	}
	super := o.Superuser != nil && *o.Superuser
	if err := c.host.Internal(ctx, `INSERT INTO system_auth.roles (role, is_superuser, can_login, salted_hash)
		VALUES (?, ?, ?, ?)`, st.Name, super, login, hash); err != nil {
		return nil, err
	}
	c.cache.Invalidate()
	// The creator may alter, drop and grant the role it made.
	if s != nil && s.User != "" && c.cfg.Authorize {
		r := auth.RoleResource(st.Name)
		if err := c.grant(ctx, s.User, r, r.Applicable()); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func (c *Control) alterRole(ctx context.Context, s *Actor, st *ast.AlterRoleStmt) (*Rows, error) {
	snap, err := c.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := snap.Role(st.Name); !ok {
		if st.IfExists {
			return nil, nil
		}
		return nil, qerr.Invalidf("%s doesn't exist", st.Name)
	}
	o := st.Options
	super := isSuper(s, snap)
	if o.Superuser != nil {
		if s != nil && s.User != "" && slices.Contains(snap.Effective(s.User), st.Name) {
			return nil, qerr.Unauthorizedf("You aren't allowed to alter your own superuser status or that of a role granted to you")
		}
		if !super {
			return nil, qerr.Unauthorizedf("Only superusers are allowed to alter superuser status")
		}
	}
	// A role may change its own password; anything else needs ALTER.
	own := s != nil && s.User == st.Name && o.Superuser == nil && o.Login == nil
	if !own {
		if err := c.require(s, snap, auth.RoleResource(st.Name), auth.Alter); err != nil {
			return nil, err
		}
	}
	if o.Password == nil && o.Login == nil && o.Superuser == nil {
		return nil, nil
	}
	if o.Password != nil {
		h, err := auth.HashPassword(*o.Password)
		if err != nil {
			return nil, qerr.Invalidf("Invalid password: %v", err)
		}
		if err := c.host.Internal(ctx, `UPDATE system_auth.roles SET salted_hash = ? WHERE role = ?`, h, st.Name); err != nil {
			return nil, err
		}
	}
	if o.Login != nil {
		if err := c.host.Internal(ctx, `UPDATE system_auth.roles SET can_login = ? WHERE role = ?`, *o.Login, st.Name); err != nil {
			return nil, err
		}
	}
	if o.Superuser != nil {
		if err := c.host.Internal(ctx, `UPDATE system_auth.roles SET is_superuser = ? WHERE role = ?`, *o.Superuser, st.Name); err != nil {
			return nil, err
		}
	}
	c.cache.Invalidate()
	return nil, nil
}

func (c *Control) dropRole(ctx context.Context, s *Actor, st *ast.DropRoleStmt) (*Rows, error) {
	snap, err := c.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.require(s, snap, auth.RoleResource(st.Name), auth.Drop); err != nil {
		return nil, err
	}
	if s != nil && s.User == st.Name {
		return nil, qerr.Invalidf("Cannot DROP primary role for current login")
	}
	r, ok := snap.Role(st.Name)
	if !ok {
		if st.IfExists {
			return nil, nil
		}
		return nil, qerr.Invalidf("%s doesn't exist", st.Name)
	}
	if r.Super && !isSuper(s, snap) {
		return nil, qerr.Unauthorizedf("Only superusers can drop a role with superuser status")
	}
	// The roles it was granted to lose it; its memberships and grants go.
	for _, other := range snap.Roles() {
		if slices.Contains(other.MemberOf, st.Name) {
			if err := c.host.Internal(ctx, `UPDATE system_auth.roles SET member_of = member_of - ? WHERE role = ?`,
				[]any{st.Name}, other.Name); err != nil {
				return nil, err
			}
		}
	}
	for _, q := range []string{
		`DELETE FROM system_auth.role_members WHERE role = ?`,
		`DELETE FROM system_auth.role_permissions WHERE role = ?`,
		`DELETE FROM system_auth.roles WHERE role = ?`,
	} {
		if err := c.host.Internal(ctx, q, st.Name); err != nil {
			return nil, err
		}
	}
	for _, m := range r.MemberOf {
		if err := c.host.Internal(ctx, `DELETE FROM system_auth.role_members WHERE role = ? AND member = ?`, m, st.Name); err != nil {
			return nil, err
		}
	}
	if err := c.RevokeAllOn(ctx, auth.RoleResource(st.Name)); err != nil {
		return nil, err
	}
	c.cache.Invalidate()
	return nil, nil
}

func (c *Control) grantRole(ctx context.Context, s *Actor, st *ast.GrantRoleStmt) (*Rows, error) {
	snap, err := c.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.require(s, snap, auth.RoleResource(st.Role), auth.Authorize); err != nil {
		return nil, err
	}
	for _, name := range []string{st.Role, st.Grantee} {
		if err := roleExists(snap, name); err != nil {
			return nil, err
		}
	}
	grantee, _ := snap.Role(st.Grantee)
	if st.Revoke {
		if !slices.Contains(grantee.MemberOf, st.Role) {
			return nil, qerr.Invalidf("%s is not a member of %s", st.Grantee, st.Role)
		}
		if err := c.host.Internal(ctx, `UPDATE system_auth.roles SET member_of = member_of - ? WHERE role = ?`,
			[]any{st.Role}, st.Grantee); err != nil {
			return nil, err
		}
		if err := c.host.Internal(ctx, `DELETE FROM system_auth.role_members WHERE role = ? AND member = ?`,
			st.Role, st.Grantee); err != nil {
			return nil, err
		}
		c.cache.Invalidate()
		return nil, nil
	}
	if slices.Contains(grantee.MemberOf, st.Role) {
		return nil, qerr.Invalidf("%s is a member of %s", st.Grantee, st.Role)
	}
	if slices.Contains(snap.Effective(st.Role), st.Grantee) {
		return nil, qerr.Invalidf("%s is a member of %s", st.Role, st.Grantee)
	}
	if err := c.host.Internal(ctx, `UPDATE system_auth.roles SET member_of = member_of + ? WHERE role = ?`,
		[]any{st.Role}, st.Grantee); err != nil {
		return nil, err
	}
	if err := c.host.Internal(ctx, `INSERT INTO system_auth.role_members (role, member) VALUES (?, ?)`,
		st.Role, st.Grantee); err != nil {
		return nil, err
	}
	c.cache.Invalidate()
	return nil, nil
}

// accessColumns are the result columns of a LIST statement.
func accessColumns(table string, cols ...any) []plan.ColumnSpec {
	out := make([]plan.ColumnSpec, 0, len(cols)/2)
	for i := 0; i < len(cols); i += 2 {
		out = append(out, plan.ColumnSpec{Keyspace: "system_auth", Table: table, Name: cols[i].(string), Type: cols[i+1].(schema.Type)})
	}
	return out
}

var (
	textT        = schema.Native(schema.KindText)
	booleanT     = schema.Native(schema.KindBoolean)
	rolesColumns = accessColumns("roles", "role", textT, "super", booleanT, "login", booleanT,
		"options", schema.MapOf(textT, textT))
	usersColumns = accessColumns("users", "name", textT, "super", booleanT)
	permsColumns = accessColumns("permissions", "role", textT, "username", textT, "resource", textT,
		"permission", textT)
)

// addRow appends a row of Go values encoded as the columns say.
func addRow(res *Rows, vals ...any) error {
	row := make([][]byte, len(vals))
	for i, v := range vals {
		b, err := schema.Encode(res.Columns[i].Type, v)
		if err != nil {
			return err
		}
		row[i] = b
	}
	res.Rows = append(res.Rows, row)
	return nil
}

func (c *Control) listRoles(ctx context.Context, s *Actor, st *ast.ListRolesStmt) (*Rows, error) {
	snap, err := c.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if st.Users {
		res := &Rows{Columns: usersColumns}
		for _, r := range snap.Roles() {
			if r.Login {
				if err := addRow(res, r.Name, snap.IsSuper(r.Name)); err != nil {
					return nil, err
				}
			}
		}
		return res, nil
	}
	// Without DESCRIBE on ALL ROLES a role lists only the roles it has.
	mayDescribe := s == nil || s.User == "" || !c.cfg.Authorize || snap.Authorized(s.User, auth.AllRoles, auth.Describe)
	var names []string
	switch {
	case st.Of != "":
		if err := roleExists(snap, st.Of); err != nil {
			return nil, err
		}
		if !mayDescribe && !slices.Contains(snap.Effective(s.User), st.Of) {
			return nil, qerr.Unauthorizedf("You are not authorized to view roles granted to %s", st.Of)
		}
		if st.NoRecursive {
			r, _ := snap.Role(st.Of)
			names = append([]string{st.Of}, r.MemberOf...)
		} else {
			names = snap.Effective(st.Of)
		}
	case mayDescribe:
		for _, r := range snap.Roles() {
			names = append(names, r.Name)
		}
	default:
		names = snap.Effective(s.User)
	}
	slices.Sort(names)
	res := &Rows{Columns: rolesColumns}
	for _, n := range slices.Compact(names) {
		r, ok := snap.Role(n)
		if !ok {
			continue
		}
		if err := addRow(res, r.Name, r.Super, r.Login, []schema.MapEntry{}); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// resourceOf converts a statement's resource, checking that it exists.
func (c *Control) resourceOf(s *Actor, r ast.Resource, snap *auth.Snapshot) (auth.Resource, error) {
	switch r.Kind {
	case ast.AllKeyspaces:
		return auth.AllKeyspaces, nil
	case ast.KeyspaceResource:
		if c.host.Catalog().Keyspace(r.Table.Keyspace) == nil {
			return "", qerr.Invalidf("Resource <keyspace %s> doesn't exist", r.Table.Keyspace)
		}
		return auth.KeyspaceResource(r.Table.Keyspace), nil
	case ast.TableResource:
		ks := r.Table.Keyspace
		if ks == "" && s != nil {
			ks = s.Keyspace
		}
		if ks == "" {
			return "", qerr.Invalidf("No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename")
		}
		if c.host.Catalog().Table(ks, r.Table.Name) == nil {
			return "", qerr.Invalidf("Resource <table %s.%s> doesn't exist", ks, r.Table.Name)
		}
		return auth.TableResource(ks, r.Table.Name), nil
	case ast.AllRoles:
		return auth.AllRoles, nil
	}
	if err := roleExists(snap, r.Role); err != nil {
		return "", qerr.Invalidf("Resource <role %s> doesn't exist", r.Role)
	}
	return auth.RoleResource(r.Role), nil
}

// permissionsOf converts a statement's permissions (nil: ALL, meaning all
// that apply to the resource).
func permissionsOf(names []string, r auth.Resource) (auth.Permission, error) {
	if names == nil {
		return r.Applicable(), nil
	}
	var p auth.Permission
	for _, n := range names {
		q, ok := auth.ParsePermission(n)
		if !ok {
			return 0, qerr.Invalidf("Unknown permission %s", n)
		}
		if q&r.Applicable() == 0 {
			return 0, qerr.Invalidf("Resource type %s does not support any of the requested permissions", resourceType(r))
		}
		p |= q
	}
	return p, nil
}

// resourceType is Cassandra's class name of a resource, for messages.
func resourceType(r auth.Resource) string {
	if resourceKeyspace(r) != "" || r == auth.AllKeyspaces {
		return "DataResource"
	}
	return "RoleResource"
}

func (c *Control) grantPerm(ctx context.Context, s *Actor, st *ast.GrantPermStmt) (*Rows, error) {
	op := "GRANT"
	if st.Revoke {
		op = "REVOKE"
	}
	if !c.cfg.Authorize {
		return nil, qerr.Invalidf("%s operation is not supported by AllowAllAuthorizer", op)
	}
	snap, err := c.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	res, err := c.resourceOf(s, st.Resource, snap)
	if err != nil {
		return nil, err
	}
	perms, err := permissionsOf(st.Perms, res)
	if err != nil {
		return nil, err
	}
	if err := roleExists(snap, st.Role); err != nil {
		return nil, err
	}
	// The grantor needs AUTHORIZE, and every permission it hands out.
	if err := c.require(s, snap, res, auth.Authorize); err != nil {
		return nil, err
	}
	for _, name := range perms.Names() {
		q, _ := auth.ParsePermission(name)
		if err := c.require(s, snap, res, q); err != nil {
			return nil, err
		}
	}
	if st.Revoke {
		err = c.revoke(ctx, st.Role, res, perms)
	} else {
		err = c.grant(ctx, st.Role, res, perms)
	}
	if err != nil {
		return nil, err
	}
	return nil, nil
}

func (c *Control) listPerms(ctx context.Context, s *Actor, st *ast.ListPermsStmt) (*Rows, error) {
	if !c.cfg.Authorize {
		return nil, qerr.Invalidf("LIST PERMISSIONS operation is not supported by AllowAllAuthorizer")
	}
	snap, err := c.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	super := isSuper(s, snap)
	var roles []string
	switch {
	case st.Of != "":
		if err := roleExists(snap, st.Of); err != nil {
			return nil, err
		}
		if !super && !slices.Contains(snap.Effective(s.User), st.Of) {
			return nil, qerr.Unauthorizedf("You are not authorized to view %s's permissions", st.Of)
		}
		roles = []string{st.Of}
		if !st.NoRecursive {
			roles = snap.Effective(st.Of)
		}
	case super:
		for _, r := range snap.Roles() {
			roles = append(roles, r.Name)
		}
	default:
		return nil, qerr.Unauthorizedf("You are not authorized to view everyone's permissions")
	}
	var on []auth.Resource // the resource and, unless NORECURSIVE, its parents
	if st.Resource != nil {
		r, err := c.resourceOf(s, *st.Resource, snap)
		if err != nil {
			return nil, err
		}
		on = []auth.Resource{r}
		for q := r.Parent(); q != "" && !st.NoRecursive; q = q.Parent() {
			on = append(on, q)
		}
	}
	var want auth.Permission = ^auth.Permission(0)
	if st.Perms != nil {
		want = 0
		for _, n := range st.Perms {
			q, _ := auth.ParsePermission(n)
			want |= q
		}
	}
	res := &Rows{Columns: permsColumns}
	slices.Sort(roles)
	for _, role := range roles {
		grants := snap.Grants(role)
		rs := make([]auth.Resource, 0, len(grants))
		for r := range grants {
			if on == nil || slices.Contains(on, r) {
				rs = append(rs, r)
			}
		}
		slices.Sort(rs)
		for _, r := range rs {
			for _, name := range (grants[r] & want).Names() {
				if err := addRow(res, role, role, r.Display(), name); err != nil {
					return nil, err
				}
			}
		}
	}
	return res, nil
}
