package query

// CREATE INDEX and DROP INDEX: computed by package ddl, run here under the
// catalog's DDL lock like ALTER TABLE (docs/INDEXES.md).

import (
	"context"
	"fmt"

	"wcdb/query/ast"
	"wcdb/query/ddl"
)

type indexPlan struct {
	keyspace string
	st       ast.Statement // *ast.CreateIndexStmt or *ast.DropIndexStmt
}

func prepareIndexPlan(s *Session, st ast.Statement) (executable, error) {
	var tn ast.TableName
	switch st := st.(type) {
	case *ast.CreateIndexStmt:
		tn = st.Table
	case *ast.DropIndexStmt:
		tn = ast.TableName{Keyspace: st.Keyspace}
	}
	ks, err := ddlKeyspace(s, tn)
	if err != nil {
		return nil, err
	}
	return &indexPlan{keyspace: ks, st: st}, nil
}

func (p *indexPlan) execute(ctx context.Context, x *Executor, s *Session, opts *Options) (*Result, error) {
	table := ""
	if st, ok := p.st.(*ast.CreateIndexStmt); ok {
		table = st.Table.Name
	}
	if err := checkSchemaPermission("ALTER", p.keyspace, table); err != nil {
		return nil, err
	}
	x.catalog.LockDDL()
	defer x.catalog.UnlockDDL()
	ts := x.ddlTimestampLocked(opts)
	var ch *ddl.IndexChange
	var err error
	switch st := p.st.(type) {
	case *ast.CreateIndexStmt:
		ch, err = ddl.CreateIndex(x.catalog, p.keyspace, st, ts)
	case *ast.DropIndexStmt:
		ch, err = ddl.DropIndex(x.catalog, p.keyspace, st, ts)
	}
	if err != nil || ch == nil {
		if err == nil {
			return voidSchema(), nil
		}
		return nil, err
	}
	t := ch.Table
	if err := x.applySchema(ctx, ch.Batch); err != nil {
		return nil, err
	}
	x.catalog.SetTable(t)
	// Storage last: a new index is built in the background from here.
	if err := x.cfg.Backend.AlterTable(t); err != nil {
		return nil, fmt.Errorf("query: index storage of %s.%s: %w", t.Keyspace, t.Name, err)
	}
	return x.finishSchemaChangeLocked(ctx, schemaChange("UPDATED", "TABLE", t.Keyspace, t.Name))
}
