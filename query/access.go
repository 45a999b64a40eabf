package query

import (
	"context"
	"errors"
	"fmt"
	"time"

	"wcdb/auth"
	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/query/catalog"
	"wcdb/query/parser"
	"wcdb/query/qerr"
	"wcdb/replication"
	"wcdb/schema"
)

// Access control, as Cassandra's CassandraRoleManager and
// CassandraAuthorizer: roles and grants live in system_auth (roles,
// role_members, role_permissions, resource_role_permissons_index), read
// whole into an auth.Snapshot that an auth.Cache keeps for
// AccessConfig.Validity; every statement of a logged-in session is
// checked against it before it runs. The role statements write the
// tables through the executor's own DML at QUORUM and invalidate the
// cache, so that this node's next statement sees the change (other
// nodes within their validity).

// AccessConfig configures roles and permissions (Config.Access).
type AccessConfig struct {
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

// access is the executor's access control.
type access struct {
	cfg   AccessConfig
	cache *auth.Cache
}

// authConsistency is the consistency of reads and writes of system_auth.
const authConsistency = replication.Quorum

func (x *Executor) initAccess() {
	cfg := AccessConfig{}
	if x.cfg.Access != nil {
		cfg = *x.cfg.Access
	}
	if cfg.Validity <= 0 {
		cfg.Validity = 2 * time.Second
	}
	x.acc = &access{cfg: cfg}
	x.acc.cache = auth.NewCache(x.loadAuth, cfg.Validity, cfg.Now)
	x.acc.cache.SetUpdateInterval(cfg.UpdateInterval)
}

// loadAuth reads system_auth's roles and permissions.
func (x *Executor) loadAuth(ctx context.Context) (*auth.Snapshot, error) {
	ks := x.catalog.Keyspace("system_auth")
	rolesT := x.catalog.Table("system_auth", "roles")
	permsT := x.catalog.Table("system_auth", "role_permissions")
	if ks == nil || rolesT == nil || permsT == nil {
		return nil, errors.New("query: system_auth is missing")
	}
	rows, _, err := catalog.ReadTable(ctx, x.cfg.Coordinator, ks, rolesT)
	if err != nil {
		return nil, fmt.Errorf("query: read system_auth.roles: %w", err)
	}
	roles := make([]auth.Role, 0, len(rows))
	for _, r := range rows {
		roles = append(roles, auth.Role{Name: r.Text("role"), Super: r.Boolean("is_superuser"),
			Login: r.Boolean("can_login"), MemberOf: r.TextSet("member_of"), SaltedHash: r.Text("salted_hash")})
	}
	prows, _, err := catalog.ReadTable(ctx, x.cfg.Coordinator, ks, permsT)
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
func (x *Executor) snapshot(ctx context.Context) (*auth.Snapshot, error) {
	s, err := x.acc.cache.Get(ctx)
	if err != nil {
		return nil, &qerr.Error{Kind: qerr.KindServerError, Msg: fmt.Sprintf("cannot read roles and permissions: %v", err)}
	}
	return s, nil
}

// Authenticate checks a login: the role must exist, be allowed to log in
// and have this password. It returns the role, or an *auth.BadCredentials
// with Cassandra's message.
func (x *Executor) Authenticate(ctx context.Context, user, password string) (string, error) {
	snap, err := x.snapshot(ctx)
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
func (x *Executor) SetupRoles(ctx context.Context, superusers map[string]string) (defaultPassword bool, err error) {
	snap, err := x.loadAuth(ctx)
	if err != nil {
		return false, err
	}
	if snap.Empty() {
		for name, pw := range superusers {
			hash, err := auth.HashPassword(pw)
			if err != nil {
				return false, qerr.Invalidf("password of %s: %v", name, err)
			}
			if err := x.internal(ctx, `INSERT INTO system_auth.roles (role, is_superuser, can_login, salted_hash)
				VALUES (?, true, true, ?) USING TIMESTAMP 0`, name, hash); err != nil {
				return false, err
			}
		}
		x.acc.cache.Invalidate()
		if snap, err = x.loadAuth(ctx); err != nil {
			return false, err
		}
	}
	r, ok := snap.Role(auth.DefaultSuperuser)
	return ok && auth.CheckPassword(r.SaltedHash, auth.DefaultSuperuser), nil
}

// internal runs a DML statement of the node's own (no permission check)
// with Go values for its markers, at authConsistency.
func (x *Executor) internal(ctx context.Context, stmt string, values ...any) error {
	st, err := parser.Parse(stmt)
	if err != nil {
		return err
	}
	a, err := x.analyze("", st)
	if err != nil {
		return err
	}
	if len(a.specs) != len(values) {
		return fmt.Errorf("query: %d values for %d markers", len(values), len(a.specs))
	}
	vals := make([][]byte, len(values))
	for i, v := range values {
		if v == nil {
			continue
		}
		if vals[i], err = schema.Encode(a.specs[i].Type, v); err != nil {
			return err
		}
	}
	opts := &Options{Consistency: authConsistency, Timestamp: mutation.NoTimestamp}
	_, err = a.run.run(ctx, x, &Session{}, opts, vals)
	return err
}

// need is a permission a statement needs on a resource.
type need struct {
	res  auth.Resource
	perm auth.Permission
}

// statementNeeds are the permissions a DML statement or SELECT needs.
func statementNeeds(sessionKeyspace string, st ast.Statement) []need {
	table := func(n ast.TableName) auth.Resource {
		ks := n.Keyspace
		if ks == "" {
			ks = sessionKeyspace
		}
		return auth.TableResource(ks, n.Name)
	}
	switch st := st.(type) {
	case *ast.SelectStmt:
		return []need{{table(st.Table), auth.Select}}
	case *ast.InsertStmt:
		return []need{{table(st.Table), auth.Modify}}
	case *ast.UpdateStmt:
		return []need{{table(st.Table), auth.Modify}}
	case *ast.DeleteStmt:
		return []need{{table(st.Table), auth.Modify}}
	case *ast.BatchStmt:
		var out []need
		for _, s := range st.Statements {
			out = append(out, statementNeeds(sessionKeyspace, s)...)
		}
		return out
	}
	return nil
}

// readableKeyspaces are the system keyspaces every logged-in role may
// read (drivers and tools read them on connect), as Cassandra's readable
// system resources.
var readableKeyspaces = map[string]bool{"system": true, "system_schema": true, "system_virtual_schema": true,
	"system_distributed": true, "system_traces": true}

// authorize checks that the session may do what needs say. Sessions
// without a login (no authentication, or the node's own work) may do
// anything; system_auth is changed only by the role statements.
func (x *Executor) authorize(ctx context.Context, s *Session, needs []need) error {
	if s == nil || s.User == "" || len(needs) == 0 {
		return nil
	}
	for _, n := range needs {
		if n.perm == auth.Modify && resourceKeyspace(n.res) == "system_auth" {
			return qerr.Unauthorizedf("%s permission on %s is not allowed", "MODIFY", n.res.Display())
		}
	}
	if !x.acc.cfg.Authorize {
		return nil
	}
	snap, err := x.snapshot(ctx)
	if err != nil {
		return err
	}
	for _, n := range needs {
		if n.perm == auth.Select && readableKeyspaces[resourceKeyspace(n.res)] {
			continue
		}
		if !snap.Authorized(s.User, n.res, n.perm) {
			return qerr.Unauthorizedf("User %s has no %s permission on %s or any of its parents", s.User, n.perm, n.res.Display())
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

// guardedPlan checks a schema statement's permissions before running it,
// and grants the creator of a keyspace or table every permission on it,
// as Cassandra does.
type guardedPlan struct {
	needs   []need
	created auth.Resource // "" unless the statement creates a resource
	dropped auth.Resource // "" unless it drops one, whose grants go
	inner   executable
}

func (p *guardedPlan) execute(ctx context.Context, x *Executor, s *Session, opts *Options) (*Result, error) {
	if err := x.authorize(ctx, s, p.needs); err != nil {
		return nil, err
	}
	res, err := p.inner.execute(ctx, x, s, opts)
	if err != nil {
		return nil, err
	}
	if p.dropped != "" && res != nil && res.Kind == ResultSchemaChange {
		if err := x.revokeAllOn(ctx, p.dropped); err != nil {
			return nil, err
		}
	}
	if p.created != "" && s != nil && s.User != "" && x.acc.cfg.Authorize && res != nil && res.Kind == ResultSchemaChange {
		if err := x.grant(ctx, s.User, p.created, p.created.Applicable()); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// schemaNeeds are what a schema statement needs, and the resource it
// creates.
func schemaNeeds(keyspace string, st ast.Statement) ([]need, auth.Resource) {
	switch st := st.(type) {
	case *ast.CreateKeyspaceStmt:
		return []need{{auth.AllKeyspaces, auth.Create}}, auth.KeyspaceResource(st.Name)
	case *ast.AlterKeyspaceStmt:
		return []need{{auth.KeyspaceResource(st.Name), auth.Alter}}, ""
	case *ast.DropKeyspaceStmt:
		return []need{{auth.KeyspaceResource(st.Name), auth.Drop}}, ""
	case *ast.CreateTableStmt:
		return []need{{auth.KeyspaceResource(keyspace), auth.Create}}, auth.TableResource(keyspace, st.Table.Name)
	case *ast.AlterTableStmt:
		return []need{{auth.TableResource(keyspace, st.Table.Name), auth.Alter}}, ""
	case *ast.DropTableStmt:
		return []need{{auth.TableResource(keyspace, st.Table.Name), auth.Drop}}, ""
	case *ast.TruncateStmt:
		return []need{{auth.TableResource(keyspace, st.Table.Name), auth.Modify}}, ""
	}
	return nil, ""
}

// grant adds permissions on a resource to a role.
func (x *Executor) grant(ctx context.Context, role string, r auth.Resource, p auth.Permission) error {
	if err := x.internal(ctx, `UPDATE system_auth.role_permissions SET permissions = permissions + ?
		WHERE role = ? AND resource = ?`, toAny(p.Names()), role, string(r)); err != nil {
		return err
	}
	if err := x.internal(ctx, `INSERT INTO system_auth.resource_role_permissons_index (resource, role)
		VALUES (?, ?)`, string(r), role); err != nil {
		return err
	}
	x.acc.cache.Invalidate()
	return nil
}

// revoke removes permissions on a resource from a role.
func (x *Executor) revoke(ctx context.Context, role string, r auth.Resource, p auth.Permission) error {
	if err := x.internal(ctx, `UPDATE system_auth.role_permissions SET permissions = permissions - ?
		WHERE role = ? AND resource = ?`, toAny(p.Names()), role, string(r)); err != nil {
		return err
	}
	x.acc.cache.Invalidate()
	return nil
}

// revokeAllOn removes every grant on a resource and those below it (a
// dropped keyspace, table or role), as Cassandra's revokeAllOn.
func (x *Executor) revokeAllOn(ctx context.Context, r auth.Resource) error {
	if !x.acc.cfg.Authorize {
		return nil
	}
	snap, err := x.snapshot(ctx)
	if err != nil {
		return err
	}
	for _, role := range snap.Roles() {
		for res := range snap.Grants(role.Name) {
			if res != r && !isBelow(res, r) {
				continue
			}
			if err := x.internal(ctx, `DELETE FROM system_auth.role_permissions WHERE role = ? AND resource = ?`,
				role.Name, string(res)); err != nil {
				return err
			}
			if err := x.internal(ctx, `DELETE FROM system_auth.resource_role_permissons_index WHERE resource = ? AND role = ?`,
				string(res), role.Name); err != nil {
				return err
			}
		}
	}
	x.acc.cache.Invalidate()
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
