package query

import (
	"context"
	"fmt"

	"wcdb/auth"
	"wcdb/mutation"
	"wcdb/query/access"
	"wcdb/query/ast"
	"wcdb/query/catalog"
	"wcdb/query/parser"
	"wcdb/replication"
	"wcdb/schema"
)

// The executor's side of access control (package access): its host, the
// plans of the role statements, the checks before every statement.

// AccessConfig configures roles and permissions (Config.Access).
type AccessConfig = access.Config

func (x *Executor) initAccess() {
	cfg := AccessConfig{}
	if x.cfg.Access != nil {
		cfg = *x.cfg.Access
	}
	x.acc = access.New(cfg, accessHost{x})
}

// accessHost gives package access the executor's DML and schema.
type accessHost struct{ x *Executor }

func (h accessHost) Internal(ctx context.Context, stmt string, values ...any) error {
	return h.x.Internal(ctx, authConsistency, stmt, values...)
}
func (h accessHost) Catalog() *catalog.Catalog { return h.x.catalog }
func (h accessHost) Store() catalog.Store      { return h.x.cfg.Coordinator }

// actor is who runs a session's statements.
func actor(s *Session) access.Actor {
	if s == nil {
		return access.Actor{}
	}
	return access.Actor{User: s.User, Keyspace: s.Keyspace}
}

// Authenticate checks a login against the roles (access.Control).
func (x *Executor) Authenticate(ctx context.Context, user, password string) (string, error) {
	return x.acc.Authenticate(ctx, user, password)
}

// SetupRoles gives a new cluster its superusers (access.Control).
func (x *Executor) SetupRoles(ctx context.Context, superusers map[string]string) (defaultPassword bool, err error) {
	return x.acc.SetupRoles(ctx, superusers)
}

// authConsistency is the consistency of the node's writes of system_auth:
// a login must not depend on one replica.
const authConsistency = replication.Quorum

// Internal runs a DML statement of the node's own (no permission check)
// at cl, with Go values for its markers, as schema.Encode takes them
// (nil: null): the node's writes of system_auth and of its repair history.
func (x *Executor) Internal(ctx context.Context, cl replication.Consistency, stmt string, values ...any) error {
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
	opts := &Options{Consistency: cl, Timestamp: mutation.NoTimestamp}
	_, err = a.run.run(ctx, x, &Session{}, opts, vals)
	return err
}

// authorize checks that the session may do what needs say.
func (x *Executor) authorize(ctx context.Context, s *Session, needs []access.Need) error {
	return x.acc.Authorize(ctx, actor(s), needs)
}

// accessPlan runs a role statement (CREATE ROLE ... LIST PERMISSIONS).
type accessPlan struct{ st ast.Statement }

func (p *accessPlan) execute(ctx context.Context, x *Executor, s *Session, opts *Options) (*Result, error) {
	rows, err := x.acc.Execute(ctx, actor(s), p.st)
	if err != nil {
		return nil, err
	}
	if rows == nil {
		return &Result{Kind: ResultVoid}, nil
	}
	return &Result{Kind: ResultRows, Columns: rows.Columns, Rows: rows.Rows}, nil
}

// guardedPlan checks a schema statement's permissions before running it,
// grants the creator of a keyspace or table every permission on it, and
// revokes every grant on what it drops, as Cassandra does.
type guardedPlan struct {
	needs   []access.Need
	created auth.Resource // "" unless the statement creates a resource
	dropped auth.Resource // "" unless it drops one
	inner   executable
}

func (p *guardedPlan) execute(ctx context.Context, x *Executor, s *Session, opts *Options) (*Result, error) {
	if err := x.authorize(ctx, s, p.needs); err != nil {
		return nil, err
	}
	res, err := p.inner.execute(ctx, x, s, opts)
	if err != nil || res == nil || res.Kind != ResultSchemaChange {
		return res, err
	}
	if p.dropped != "" {
		if err := x.acc.RevokeAllOn(ctx, p.dropped); err != nil {
			return nil, err
		}
	}
	if p.created != "" {
		if err := x.acc.GrantCreator(ctx, actor(s), p.created); err != nil {
			return nil, err
		}
	}
	return res, nil
}
