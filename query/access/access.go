// Package access is the access control of the query layer, as Cassandra's
// CassandraRoleManager and CassandraAuthorizer: roles and grants live in
// system_auth (roles, role_members, role_permissions,
// resource_role_permissons_index), read whole into an auth.Snapshot that
// an auth.Cache keeps for Config.Validity; every statement of a logged-in
// session is checked against it before it runs (Authorize), and the role
// statements (Execute) write the tables through the executor's own DML
// (Host.Internal) and invalidate the cache, so that this node's next
// statement sees the change (other nodes within their validity).
package access

import (
	"context"
	"errors"
	"fmt"
	"time"

	"wcdb/auth"
	"wcdb/query/ast"
	"wcdb/query/catalog"
	"wcdb/query/plan"
	"wcdb/query/qerr"
)

// Host is what access control needs of the executor.
type Host interface {
	// Internal runs a DML statement of the node's own, unchecked, with Go
	// values (as schema.Encode takes them) for its markers, at a
	// consistency that survives a replica down (QUORUM).
	Internal(ctx context.Context, stmt string, values ...any) error
	// Catalog is the schema: which keyspaces and tables exist.
	Catalog() *catalog.Catalog
	// Store reads system tables (the coordinator).
	Store() catalog.Store
}

// Config configures roles and permissions.
type Config struct {
	// Authorize checks permissions (CassandraAuthorizer); false lets every
	// logged-in role do everything (AllowAllAuthorizer), GRANT and REVOKE
	// of permissions then being refused.
	Authorize bool
	// Validity is how long roles and permissions read from system_auth
	// serve logins and checks (Cassandra's roles_validity and
	// permissions_validity). Default 2 s.
	Validity time.Duration
	// UpdateInterval, when shorter than Validity, reloads in the
	// background past it (roles_update_interval); 0: Validity.
	UpdateInterval time.Duration
	// Now is the clock of the cache (nil: time.Now).
	Now func() time.Time
}

// Control is the access control of one executor. Safe for concurrent use;
// a nil *Control allows everything (executors built without one, in
// tests).
type Control struct {
	cfg   Config
	host  Host
	cache *auth.Cache
}

// Actor is who runs a statement: the role logged in ("" none: the node
// itself, or no authentication) and the session's keyspace.
type Actor struct {
	User, Keyspace string
}

// Rows are a LIST statement's result: its columns and rows, each value
// serialized.
type Rows struct {
	Columns []plan.ColumnSpec
	Rows    [][][]byte
}

// New returns the access control of an executor.
func New(cfg Config, host Host) *Control {
	if cfg.Validity <= 0 {
		cfg.Validity = 2 * time.Second
	}
	c := &Control{cfg: cfg, host: host}
	c.cache = auth.NewCache(c.load, cfg.Validity, cfg.Now)
	c.cache.SetUpdateInterval(cfg.UpdateInterval)
	return c
}

// Authorizing reports whether permissions are checked.
func (c *Control) Authorizing() bool { return c != nil && c.cfg.Authorize }

// load reads system_auth's roles and permissions.
func (c *Control) load(ctx context.Context) (*auth.Snapshot, error) {
	cat := c.host.Catalog()
	ks := cat.Keyspace("system_auth")
	rolesT := cat.Table("system_auth", "roles")
	permsT := cat.Table("system_auth", "role_permissions")
	if ks == nil || rolesT == nil || permsT == nil {
		return nil, errors.New("query: system_auth is missing")
	}
	rows, _, err := catalog.ReadTable(ctx, c.host.Store(), ks, rolesT)
	if err != nil {
		return nil, fmt.Errorf("query: read system_auth.roles: %w", err)
	}
	roles := make([]auth.Role, 0, len(rows))
	for _, r := range rows {
		roles = append(roles, auth.Role{Name: r.Text("role"), Super: r.Boolean("is_superuser"),
			Login: r.Boolean("can_login"), MemberOf: r.TextSet("member_of"), SaltedHash: r.Text("salted_hash")})
	}
	prows, _, err := catalog.ReadTable(ctx, c.host.Store(), ks, permsT)
	if err != nil {
		return nil, fmt.Errorf("query: read system_auth.role_permissions: %w", err)
	}
	grants := map[string]map[auth.Resource]auth.Permission{}
	for _, r := range prows {
		var p auth.Permission
		for _, name := range r.TextSet("permissions") {
			if q, ok := auth.ParsePermission(name); ok {
				p |= q
			}
		}
		if p == 0 {
			continue
		}
		role := r.Text("role")
		if grants[role] == nil {
			grants[role] = map[auth.Resource]auth.Permission{}
		}
		grants[role][auth.Resource(r.Text("resource"))] = p
	}
	return auth.NewSnapshot(roles, grants), nil
}

// snapshot returns the current access-control state.
func (c *Control) snapshot(ctx context.Context) (*auth.Snapshot, error) {
	s, err := c.cache.Get(ctx)
	if err != nil {
		return nil, &qerr.Error{Kind: qerr.KindServerError, Msg: fmt.Sprintf("cannot read roles and permissions: %v", err)}
	}
	return s, nil
}

// Authenticate checks a login: the role must exist, be allowed to log in
// and have this password. It returns the role, or an *auth.BadCredentials
// with Cassandra's message.
func (c *Control) Authenticate(ctx context.Context, user, password string) (string, error) {
	snap, err := c.snapshot(ctx)
	if err != nil {
		return "", err
	}
	r, ok := snap.Role(user)
	if !ok || !auth.CheckPassword(r.SaltedHash, password) {
		return "", &auth.BadCredentials{Msg: fmt.Sprintf("Provided username %s and/or password are incorrect", user)}
	}
	if !r.Login {
		return "", &auth.BadCredentials{Msg: fmt.Sprintf("%s is not permitted to log in", user)}
	}
	return user, nil
}

// SetupRoles prepares the roles of a new cluster: when system_auth holds
// no role at all, it creates superusers, each with its password, written
// at timestamp 0 so that every node doing so writes the same row and any
// later change wins. It reports whether the role "cassandra" still has the
// password "cassandra" (which a node should warn about).
func (c *Control) SetupRoles(ctx context.Context, superusers map[string]string) (defaultPassword bool, err error) {
	snap, err := c.load(ctx)
	if err != nil {
		return false, err
	}
	if snap.Empty() {
		for name, pw := range superusers {
			hash, err := auth.HashPassword(pw)
			if err != nil {
				return false, qerr.Invalidf("password of %s: %v", name, err)
			}
			if err := c.host.Internal(ctx, `INSERT INTO system_auth.roles (role, is_superuser, can_login, salted_hash)
				VALUES (?, true, true, ?) USING TIMESTAMP 0`, name, hash); err != nil {
				return false, err
			}
		}
		c.cache.Invalidate()
		if snap, err = c.load(ctx); err != nil {
			return false, err
		}
	}
	r, ok := snap.Role(auth.DefaultSuperuser)
	return ok && auth.CheckPassword(r.SaltedHash, auth.DefaultSuperuser), nil
}

// Need is a permission a statement needs on a resource.
type Need struct {
	Resource auth.Resource
	Perm     auth.Permission
}

// StatementNeeds are the permissions a DML statement or SELECT needs.
func StatementNeeds(sessionKeyspace string, st ast.Statement) []Need {
	table := func(n ast.TableName) auth.Resource {
		ks := n.Keyspace
		if ks == "" {
			ks = sessionKeyspace
		}
		return auth.TableResource(ks, n.Name)
	}
	switch st := st.(type) {
	case *ast.SelectStmt:
		return []Need{{table(st.Table), auth.Select}}
	// A conditional write also reads (its result shows the current
	// values): Cassandra requires SELECT too.
	case *ast.InsertStmt:
		return modifyNeeds(table(st.Table), st.IfNotExists)
	case *ast.UpdateStmt:
		return modifyNeeds(table(st.Table), st.IfExists || len(st.If) > 0)
	case *ast.DeleteStmt:
		return modifyNeeds(table(st.Table), st.IfExists || len(st.If) > 0)
	case *ast.BatchStmt:
		var out []Need
		for _, s := range st.Statements {
			out = append(out, StatementNeeds(sessionKeyspace, s)...)
		}
		return out
	}
	return nil
}

// modifyNeeds are the permissions of an INSERT, UPDATE or DELETE on r, a
// conditional one (cond) included.
func modifyNeeds(r auth.Resource, cond bool) []Need {
	if cond {
		return []Need{{r, auth.Modify}, {r, auth.Select}}
	}
	return []Need{{r, auth.Modify}}
}

// readableKeyspaces are the system keyspaces every logged-in role may
// read (drivers and tools read them on connect), as Cassandra's readable
// system resources.
var readableKeyspaces = map[string]bool{"system": true, "system_schema": true, "system_virtual_schema": true,
	"system_distributed": true, "system_traces": true}

// Authorize checks that a may do what needs say. Actors without a login
// (no authentication, or the node's own work) may do anything; system_auth
// is changed only by the role statements.
func (c *Control) Authorize(ctx context.Context, a Actor, needs []Need) error {
	if c == nil || a.User == "" || len(needs) == 0 {
		return nil
	}
	s := &a
	for _, n := range needs {
		if n.Perm == auth.Modify && resourceKeyspace(n.Resource) == "system_auth" {
			return qerr.Unauthorizedf("%s permission on %s is not allowed", "MODIFY", n.Resource.Display())
		}
	}
	if !c.cfg.Authorize {
		return nil
	}
	snap, err := c.snapshot(ctx)
	if err != nil {
		return err
	}
	for _, n := range needs {
		if n.Perm == auth.Select && readableKeyspaces[resourceKeyspace(n.Resource)] {
			continue
		}
		if !snap.Authorized(s.User, n.Resource, n.Perm) {
			return qerr.Unauthorizedf("User %s has no %s permission on %s or any of its parents", s.User, n.Perm, n.Resource.Display())
		}
	}
	return nil
}

// resourceKeyspace is the keyspace of a data resource, "" for others.
func resourceKeyspace(r auth.Resource) string {
	for x := r; x != ""; x = x.Parent() {
		if x.Parent() == auth.AllKeyspaces {
			return string(x[len(auth.AllKeyspaces)+1:])
		}
	}
	return ""
}

// SchemaNeeds are what a schema statement needs, and the resource it
// creates.
func SchemaNeeds(keyspace string, st ast.Statement) ([]Need, auth.Resource) {
	switch st := st.(type) {
	case *ast.CreateKeyspaceStmt:
		return []Need{{auth.AllKeyspaces, auth.Create}}, auth.KeyspaceResource(st.Name)
	case *ast.AlterKeyspaceStmt:
		return []Need{{auth.KeyspaceResource(st.Name), auth.Alter}}, ""
	case *ast.DropKeyspaceStmt:
		return []Need{{auth.KeyspaceResource(st.Name), auth.Drop}}, ""
	case *ast.CreateTableStmt:
		return []Need{{auth.KeyspaceResource(keyspace), auth.Create}}, auth.TableResource(keyspace, st.Table.Name)
	case *ast.AlterTableStmt:
		return []Need{{auth.TableResource(keyspace, st.Table.Name), auth.Alter}}, ""
	case *ast.DropTableStmt:
		return []Need{{auth.TableResource(keyspace, st.Table.Name), auth.Drop}}, ""
	case *ast.TruncateStmt:
		return []Need{{auth.TableResource(keyspace, st.Table.Name), auth.Modify}}, ""
	case *ast.CreateIndexStmt:
		return []Need{{auth.TableResource(keyspace, st.Table.Name), auth.Alter}}, ""
	case *ast.DropIndexStmt:
		// Cassandra asks ALTER on the index's table, which the statement
		// does not name: the executor narrows this to the table when the
		// index exists.
		return []Need{{auth.KeyspaceResource(keyspace), auth.Alter}}, ""
	case *ast.CreateTypeStmt: // on all the keyspace's tables, as Cassandra
		return []Need{{auth.KeyspaceResource(keyspace), auth.Create}}, ""
	case *ast.AlterTypeStmt:
		return []Need{{auth.KeyspaceResource(keyspace), auth.Alter}}, ""
	case *ast.DropTypeStmt:
		return []Need{{auth.KeyspaceResource(keyspace), auth.Drop}}, ""
	}
	return nil, ""
}

// grant adds permissions on a resource to a role.
func (c *Control) grant(ctx context.Context, role string, r auth.Resource, p auth.Permission) error {
	if err := c.host.Internal(ctx, `UPDATE system_auth.role_permissions SET permissions = permissions + ?
		WHERE role = ? AND resource = ?`, toAny(p.Names()), role, string(r)); err != nil {
		return err
	}
	if err := c.host.Internal(ctx, `INSERT INTO system_auth.resource_role_permissons_index (resource, role)
		VALUES (?, ?)`, string(r), role); err != nil {
		return err
	}
	c.cache.Invalidate()
	return nil
}

// revoke removes permissions on a resource from a role.
func (c *Control) revoke(ctx context.Context, role string, r auth.Resource, p auth.Permission) error {
	if err := c.host.Internal(ctx, `UPDATE system_auth.role_permissions SET permissions = permissions - ?
		WHERE role = ? AND resource = ?`, toAny(p.Names()), role, string(r)); err != nil {
		return err
	}
	c.cache.Invalidate()
	return nil
}

// RevokeAllOn removes every grant on a resource and those below it (a
// dropped keyspace, table or role), as Cassandra's revokeAllOn.
func (c *Control) RevokeAllOn(ctx context.Context, r auth.Resource) error {
	if !c.cfg.Authorize {
		return nil
	}
	snap, err := c.snapshot(ctx)
	if err != nil {
		return err
	}
	for _, role := range snap.Roles() {
		for res := range snap.Grants(role.Name) {
			if res != r && !isBelow(res, r) {
				continue
			}
			if err := c.host.Internal(ctx, `DELETE FROM system_auth.role_permissions WHERE role = ? AND resource = ?`,
				role.Name, string(res)); err != nil {
				return err
			}
			if err := c.host.Internal(ctx, `DELETE FROM system_auth.resource_role_permissons_index WHERE resource = ? AND role = ?`,
				string(res), role.Name); err != nil {
				return err
			}
		}
	}
	c.cache.Invalidate()
	return nil
}

// isBelow reports whether r is a descendant of parent.
func isBelow(r, parent auth.Resource) bool {
	for x := r.Parent(); x != ""; x = x.Parent() {
		if x == parent {
			return true
		}
	}
	return false
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// GrantCreator gives the creator of a keyspace, table or role every
// permission on it, as Cassandra does.
func (c *Control) GrantCreator(ctx context.Context, a Actor, r auth.Resource) error {
	if a.User == "" || !c.Authorizing() {
		return nil
	}
	return c.grant(ctx, a.User, r, r.Applicable())
}
