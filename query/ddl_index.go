package query

import (
	"context"
	"fmt"

	"wcdb/query/ast"
	"wcdb/query/ddl"
)

// indexPlan is CREATE INDEX or DROP INDEX, computed by package ddl and run
// like ALTER TABLE, storage last: a new index is built in the background
// from there (docs/INDEXES.md).
type indexPlan struct {
	keyspace, table string
	st              ast.Statement
}

func (p *indexPlan) execute(ctx context.Context, x *Executor, s *Session, opts *Options) (*Result, error) {
	if err := checkSchemaPermission("ALTER", p.keyspace, p.table); err != nil {
		return nil, err
	}
	x.catalog.LockDDL()
	defer x.catalog.UnlockDDL()
	var ch *ddl.IndexChange
	var err error
	if st, ok := p.st.(*ast.CreateIndexStmt); ok {
		ch, err = ddl.CreateIndex(x.catalog, p.keyspace, st, x.ddlTimestampLocked(opts))
	} else {
		ch, err = ddl.DropIndex(x.catalog, p.keyspace, p.st.(*ast.DropIndexStmt), x.ddlTimestampLocked(opts))
	}
	if err != nil {
		return nil, err
	} else if ch == nil {
		return voidSchema(), nil
	}
	t := ch.Table
	if err := x.applySchema(ctx, ch.Batch); err != nil {
		return nil, err
	}
	x.catalog.SetTable(t)
	if err := x.cfg.Backend.AlterTable(t); err != nil {
		return nil, fmt.Errorf("query: index storage of %s.%s: %w", t.Keyspace, t.Name, err)
	}
	return x.finishSchemaChangeLocked(ctx, schemaChange("UPDATED", "TABLE", t.Keyspace, t.Name))
}
