package query

// CREATE, ALTER and DROP TYPE: computed by package ddl, run here as the
// other schema statements are (ddl.go), with a Schema_change of target
// TYPE. An ALTER rewrites the tables using the type in the catalog (and
// tells storage); their rows name the type, so they do not change.

import (
	"context"

	"wcdb/query/ast"
	"wcdb/query/ddl"
)

type typePlan struct {
	keyspace, perm string
	st             ast.Statement
}

func (p *typePlan) execute(ctx context.Context, x *Executor, _ *Session, opts *Options) (*Result, error) {
	if err := checkSchemaPermission(p.perm, p.keyspace, ""); err != nil {
		return nil, err
	}
	x.catalog.LockDDL()
	defer x.catalog.UnlockDDL()
	ch, err := ddl.ChangeType(x.catalog, p.keyspace, p.st, x.ddlTimestampLocked(opts))
	if err != nil {
		return nil, err
	}
	if ch == nil {
		return voidSchema(), nil
	}
	if err := x.applySchema(ctx, ch.Batch); err != nil {
		return nil, err
	}
	for _, t := range ch.Tables {
		if err := x.cfg.Backend.AlterTable(t); err != nil {
			return nil, err
		}
	}
	if ch.Drop {
		x.catalog.DropUserType(p.keyspace, ch.Name)
	} else {
		x.catalog.SetUserTypes(ch.Types, ch.Tables)
	}
	return x.finishSchemaChangeLocked(ctx, schemaChange(ch.Change, "TYPE", p.keyspace, ch.Name))
}
