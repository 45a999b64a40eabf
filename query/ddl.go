package query

// This file analyzes and executes the schema statements: USE, CREATE /
// ALTER / DROP KEYSPACE, CREATE / ALTER / DROP TABLE, TRUNCATE (and
// DESCRIBE, in describe.go).
//
// Analysis (prepareSchemaStatement) only resolves the session's keyspace;
// everything that depends on the schema is checked when the statement
// runs, under the catalog's DDL lock, in Cassandra's order and with its
// messages: permission on system keyspaces (Unauthorized), existence (IF
// [NOT] EXISTS makes a no-op a Void result), then the definition. A change
// then goes to storage (cfg.Backend), to system_schema (at the statement's
// timestamp, see package catalog), to the catalog, and to system.local's
// schema_version; its result is a Schema_change.

import (
	"context"
	"fmt"
	"slices"

	"wcdb/auth"
	"wcdb/mutation"
	"wcdb/query/access"
	"wcdb/query/ast"
	"wcdb/query/catalog"
	"wcdb/query/ddl"
	"wcdb/query/qerr"
	"wcdb/schema"
)

// prepareSchemaStatement analyzes a statement other than SELECT, INSERT,
// UPDATE, DELETE and BATCH.
func (x *Executor) prepareSchemaStatement(s *Session, st ast.Statement) (executable, error) {
	if access.IsStatement(st) {
		return &accessPlan{st: st}, nil
	}
	pl, err := x.prepareSchemaPlan(s, st)
	if err != nil {
		return nil, err
	}
	keyspace := ""
	if s != nil {
		keyspace = s.Keyspace
	}
	switch st := st.(type) {
	case *ast.CreateTableStmt:
		keyspace, _ = ddlKeyspace(s, st.Table)
	case *ast.AlterTableStmt:
		keyspace, _ = ddlKeyspace(s, st.Table)
	case *ast.DropTableStmt:
		keyspace, _ = ddlKeyspace(s, st.Table)
	case *ast.TruncateStmt:
		keyspace, _ = ddlKeyspace(s, st.Table)
	case *ast.CreateIndexStmt:
		keyspace, _ = ddlKeyspace(s, st.Table)
	case *ast.DropIndexStmt:
		keyspace, _ = ddlKeyspace(s, ast.TableName{Keyspace: st.Keyspace})
	default:
		if n, _, ok := ddl.TypeStatement(st); ok {
			keyspace, _ = ddlKeyspace(s, n)
		}
	}
	g := &guardedPlan{inner: pl}
	g.needs, g.created = access.SchemaNeeds(keyspace, st)
	switch st := st.(type) {
	case *ast.DropKeyspaceStmt:
		g.dropped = auth.KeyspaceResource(st.Name)
	case *ast.DropTableStmt:
		g.dropped = auth.TableResource(keyspace, st.Table.Name)
	case *ast.DropIndexStmt:
		// ALTER on the index's table, as Cassandra; an index unknown
		// when the statement is prepared keeps the keyspace's.
		if t, _ := x.catalog.FindIndex(keyspace, st.Name); t != nil {
			g.needs = []access.Need{{Resource: auth.TableResource(keyspace, t.Name), Perm: auth.Alter}}
		}
	}
	return g, nil
}

// prepareSchemaPlan analyzes a schema statement (keyspaces, tables,
// TRUNCATE, USE, DESCRIBE).
func (x *Executor) prepareSchemaPlan(s *Session, st ast.Statement) (executable, error) {
	if n, perm, ok := ddl.TypeStatement(st); ok { // ddl_type.go
		ks, err := ddlKeyspace(s, n)
		return &typePlan{keyspace: ks, perm: perm, st: st}, err
	}
	switch st := st.(type) {
	case *ast.UseStmt:
		return &useKeyspacePlan{keyspace: st.Keyspace}, nil
	case *ast.CreateKeyspaceStmt:
		return &createKeyspacePlan{st: st}, nil
	case *ast.AlterKeyspaceStmt:
		return &alterKeyspacePlan{st: st}, nil
	case *ast.DropKeyspaceStmt:
		return &dropKeyspacePlan{st: st}, nil
	case *ast.CreateTableStmt:
		ks, err := ddlKeyspace(s, st.Table)
		if err != nil {
			return nil, err
		}
		return &createTablePlan{keyspace: ks, st: st}, nil
	case *ast.AlterTableStmt:
		ks, err := ddlKeyspace(s, st.Table)
		if err != nil {
			return nil, err
		}
		return &alterTablePlan{keyspace: ks, st: st}, nil
	case *ast.DropTableStmt:
		ks, err := ddlKeyspace(s, st.Table)
		if err != nil {
			return nil, err
		}
		return &dropTablePlan{keyspace: ks, st: st}, nil
	case *ast.TruncateStmt:
		ks, err := ddlKeyspace(s, st.Table)
		if err != nil {
			return nil, err
		}
		return &truncatePlan{keyspace: ks, table: st.Table.Name}, nil
	case *ast.DescribeStmt:
		return prepareDescribe(s, st)
	case *ast.CreateIndexStmt:
		ks, err := ddlKeyspace(s, st.Table)
		return &indexPlan{keyspace: ks, table: st.Table.Name, st: st}, err
	case *ast.DropIndexStmt:
		ks, err := ddlKeyspace(s, ast.TableName{Keyspace: st.Keyspace})
		return &indexPlan{keyspace: ks, st: st}, err
	}
	return nil, qerr.Invalidf("query: statement %T is not supported", st)
}

// ddlKeyspace is the keyspace a statement on table n applies to.
func ddlKeyspace(s *Session, n ast.TableName) (string, error) {
	if n.Keyspace != "" {
		return n.Keyspace, nil
	}
	if s != nil && s.Keyspace != "" {
		return s.Keyspace, nil
	}
	return "", qerr.Invalidf("No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename")
}

// checkSchemaPermission refuses changes to system keyspaces as Cassandra's
// ClientState.preventSystemKSSchemaModification: the local ones (system,
// system_schema) are not modifiable at all; of the replicated ones only
// the replication may be altered. perm is CREATE, ALTER or DROP; table is
// "" for the keyspace itself.
func checkSchemaPermission(perm, keyspace, table string) error {
	if catalog.IsLocalSystemKeyspace(keyspace) {
		return qerr.Unauthorizedf("%s keyspace is not user-modifiable.", keyspace)
	}
	if catalog.IsReplicatedSystemKeyspace(keyspace) {
		if perm == "ALTER" && table == "" {
			return nil
		}
		if table == "" {
			return qerr.Unauthorizedf("Cannot %s <keyspace %s>", perm, keyspace)
		}
		return qerr.Unauthorizedf("Cannot %s <table %s.%s>", perm, keyspace, table)
	}
	return nil
}

func schemaChange(change, target, keyspace, name string) *Result {
	return &Result{Kind: ResultSchemaChange, Change: &SchemaChange{Change: change, Target: target, Keyspace: keyspace, Name: name}}
}

// voidSchema is the result of a schema statement that changed nothing
// (IF [NOT] EXISTS), as Cassandra answers it.
func voidSchema() *Result { return &Result{Kind: ResultVoid} }

// knownDatacenters returns the datacenters of the topology, for
// NetworkTopologyStrategy.
func (x *Executor) knownDatacenters() []string {
	var dcs []string
	add := func(dc string) {
		if dc != "" && !slices.Contains(dcs, dc) {
			dcs = append(dcs, dc)
		}
	}
	add(x.cfg.Topology.Local().DataCenter)
	for _, n := range x.cfg.Topology.Peers() {
		add(n.DataCenter)
	}
	slices.Sort(dcs)
	return dcs
}

// finishSchemaChangeLocked records the new schema version in system.local
// and tells the node, which sends the schema to the other nodes.
func (x *Executor) finishSchemaChangeLocked(ctx context.Context, r *Result) (*Result, error) {
	if err := x.recordSchemaVersionLocked(ctx); err != nil {
		return nil, err
	}
	if x.cfg.SchemaChanged != nil {
		go x.cfg.SchemaChanged()
	}
	return r, nil
}

// USE.

type useKeyspacePlan struct{ keyspace string }

func (p *useKeyspacePlan) execute(ctx context.Context, x *Executor, s *Session, opts *Options) (*Result, error) {
	if x.catalog.Keyspace(p.keyspace) == nil {
		return nil, qerr.Invalidf("Keyspace '%s' does not exist", p.keyspace)
	}
	if s != nil {
		s.Keyspace = p.keyspace
	}
	return &Result{Kind: ResultSetKeyspace, Keyspace: p.keyspace}, nil
}

// CREATE KEYSPACE.

type createKeyspacePlan struct{ st *ast.CreateKeyspaceStmt }

func (p *createKeyspacePlan) execute(ctx context.Context, x *Executor, s *Session, opts *Options) (*Result, error) {
	st := p.st
	props, err := catalog.ParseKeyspaceProps(st.Properties)
	if err != nil {
		return nil, err
	}
	if props.Replication == nil {
		return nil, qerr.Invalidf("Missing mandatory option 'replication'")
	}
	x.catalog.LockDDL()
	defer x.catalog.UnlockDDL()
	if x.catalog.Keyspace(st.Name) != nil {
		if st.IfNotExists {
			return voidSchema(), nil
		}
		return nil, &qerr.Error{Kind: qerr.KindAlreadyExists, Msg: fmt.Sprintf("Cannot add already existing keyspace \"%s\"", st.Name), Keyspace: st.Name}
	}
	ks, err := ddl.Keyspace(st.Name, props, nil, x.knownDatacenters())
	if err != nil {
		return nil, err
	}
	return x.saveKeyspaceLocked(ctx, opts, ks, "CREATED")
}

// saveKeyspaceLocked records a created or altered keyspace definition in
// system_schema and the catalog, and reports the change.
func (x *Executor) saveKeyspaceLocked(ctx context.Context, opts *Options, ks *schema.Keyspace, change string) (*Result, error) {
	b := catalog.NewBatch(x.ddlTimestampLocked(opts))
	b.AddKeyspace(ks)
	if err := x.applySchema(ctx, b); err != nil {
		return nil, err
	}
	x.catalog.SetKeyspace(ks)
	return x.finishSchemaChangeLocked(ctx, schemaChange(change, "KEYSPACE", ks.Name, ""))
}

// ALTER KEYSPACE.

type alterKeyspacePlan struct{ st *ast.AlterKeyspaceStmt }

func (p *alterKeyspacePlan) execute(ctx context.Context, x *Executor, s *Session, opts *Options) (*Result, error) {
	st := p.st
	if err := checkSchemaPermission("ALTER", st.Name, ""); err != nil {
		return nil, err
	}
	props, err := catalog.ParseKeyspaceProps(st.Properties)
	if err != nil {
		return nil, err
	}
	x.catalog.LockDDL()
	defer x.catalog.UnlockDDL()
	old := x.catalog.Keyspace(st.Name)
	if old == nil {
		if st.IfExists {
			return voidSchema(), nil
		}
		return nil, qerr.Invalidf("Keyspace '%s' doesn't exist", st.Name)
	}
	ks, err := ddl.Keyspace(st.Name, props, old, x.knownDatacenters())
	if err != nil {
		return nil, err
	}
	return x.saveKeyspaceLocked(ctx, opts, ks, "UPDATED")
}

// DROP KEYSPACE.

type dropKeyspacePlan struct{ st *ast.DropKeyspaceStmt }

func (p *dropKeyspacePlan) execute(ctx context.Context, x *Executor, s *Session, opts *Options) (*Result, error) {
	st := p.st
	if err := checkSchemaPermission("DROP", st.Name, ""); err != nil {
		return nil, err
	}
	x.catalog.LockDDL()
	defer x.catalog.UnlockDDL()
	if x.catalog.Keyspace(st.Name) == nil {
		if st.IfExists {
			return voidSchema(), nil
		}
		return nil, qerr.Invalidf("Keyspace '%s' doesn't exist", st.Name)
	}
	tables := x.catalog.Tables(st.Name)
	b := catalog.NewBatch(x.ddlTimestampLocked(opts))
	b.DropKeyspace(st.Name)
	if err := x.applySchema(ctx, b); err != nil {
		return nil, err
	}
	x.catalog.DropKeyspace(st.Name)
	// The schema no longer names the tables: their storage goes now (a
	// failure leaves files the next drop of a table with that id, which
	// cannot happen, would remove; it is reported).
	var dropErr error
	for _, t := range tables {
		if err := x.cfg.Backend.DropTable(t.ID); err != nil && dropErr == nil {
			dropErr = fmt.Errorf("query: drop storage of %s.%s: %w", t.Keyspace, t.Name, err)
		}
	}
	r, err := x.finishSchemaChangeLocked(ctx, schemaChange("DROPPED", "KEYSPACE", st.Name, ""))
	if dropErr != nil {
		return nil, dropErr
	}
	return r, err
}

// CREATE TABLE.

type createTablePlan struct {
	keyspace string
	st       *ast.CreateTableStmt
}

func (p *createTablePlan) execute(ctx context.Context, x *Executor, s *Session, opts *Options) (*Result, error) {
	st := p.st
	if err := checkSchemaPermission("CREATE", p.keyspace, ""); err != nil {
		return nil, err
	}
	x.catalog.LockDDL()
	defer x.catalog.UnlockDDL()
	if x.catalog.Keyspace(p.keyspace) == nil {
		return nil, qerr.Invalidf("Keyspace '%s' doesn't exist", p.keyspace)
	}
	if x.catalog.Table(p.keyspace, st.Table.Name) != nil {
		if st.IfNotExists {
			return voidSchema(), nil
		}
		return nil, &qerr.Error{Kind: qerr.KindAlreadyExists, Keyspace: p.keyspace, Table: st.Table.Name,
			Msg: fmt.Sprintf("Cannot add already existing table \"%s\" to keyspace \"%s\"", st.Table.Name, p.keyspace)}
	}
	t, params, id, err := catalog.BuildTableIn(p.keyspace, st, x.catalog.Resolver(p.keyspace))
	if err != nil {
		return nil, err
	}
	if id != nil {
		t.ID = mutation.TableID(*id)
		if o := x.catalog.TableByID(t.ID); o != nil {
			return nil, qerr.Configf("Table id %s is already used by %s.%s", *id, o.Keyspace, o.Name)
		}
	} else {
		t.ID = mutation.TableID(schema.NewRandomUUID())
	}
	if err := x.cfg.Backend.CreateTable(t); err != nil {
		return nil, fmt.Errorf("query: create storage of %s.%s: %w", t.Keyspace, t.Name, err)
	}
	b := catalog.NewBatch(x.ddlTimestampLocked(opts))
	b.AddTable(t, params)
	if err := x.applySchema(ctx, b); err != nil {
		_ = x.cfg.Backend.DropTable(t.ID) // no schema names it
		return nil, err
	}
	x.catalog.SetTableParams(t, params)
	return x.finishSchemaChangeLocked(ctx, schemaChange("CREATED", "TABLE", t.Keyspace, t.Name))
}

// ALTER TABLE.

type alterTablePlan struct {
	keyspace string
	st       *ast.AlterTableStmt
}

func (p *alterTablePlan) execute(ctx context.Context, x *Executor, s *Session, opts *Options) (*Result, error) {
	st := p.st
	name := st.Table.Name
	if err := checkSchemaPermission("ALTER", p.keyspace, name); err != nil {
		return nil, err
	}
	x.catalog.LockDDL()
	defer x.catalog.UnlockDDL()
	old := x.catalog.Table(p.keyspace, name)
	if old == nil {
		if st.IfExists {
			return voidSchema(), nil
		}
		return nil, qerr.Invalidf("Table '%s.%s' doesn't exist", p.keyspace, name)
	}
	ch, err := ddl.AlterTable(old, x.catalog.TableParams(p.keyspace, name), st, x.ddlTimestampLocked(opts), x.catalog.Resolver(p.keyspace))
	if err != nil {
		return nil, err
	}
	if ch == nil {
		return voidSchema(), nil
	}
	t, params, b, storage := ch.Table, ch.Params, ch.Batch, ch.Storage
	if storage {
		if err := x.cfg.Backend.AlterTable(t); err != nil {
			return nil, fmt.Errorf("query: alter storage of %s.%s: %w", t.Keyspace, t.Name, err)
		}
	}
	if err := x.applySchema(ctx, b); err != nil {
		if storage {
			_ = x.cfg.Backend.AlterTable(old)
		}
		return nil, err
	}
	x.catalog.SetTableParams(t, params)
	return x.finishSchemaChangeLocked(ctx, schemaChange("UPDATED", "TABLE", t.Keyspace, t.Name))
}

// DROP TABLE.

type dropTablePlan struct {
	keyspace string
	st       *ast.DropTableStmt
}

func (p *dropTablePlan) execute(ctx context.Context, x *Executor, s *Session, opts *Options) (*Result, error) {
	st := p.st
	if err := checkSchemaPermission("DROP", p.keyspace, st.Table.Name); err != nil {
		return nil, err
	}
	x.catalog.LockDDL()
	defer x.catalog.UnlockDDL()
	t := x.catalog.Table(p.keyspace, st.Table.Name)
	if t == nil {
		if st.IfExists {
			return voidSchema(), nil
		}
		return nil, qerr.Invalidf("Table '%s.%s' doesn't exist", p.keyspace, st.Table.Name)
	}
	b := catalog.NewBatch(x.ddlTimestampLocked(opts))
	b.DropTable(t)
	if err := x.applySchema(ctx, b); err != nil {
		return nil, err
	}
	x.catalog.DropTable(t.Keyspace, t.Name)
	r, err := x.finishSchemaChangeLocked(ctx, schemaChange("DROPPED", "TABLE", t.Keyspace, t.Name))
	if derr := x.cfg.Backend.DropTable(t.ID); derr != nil {
		return nil, fmt.Errorf("query: drop storage of %s.%s: %w", t.Keyspace, t.Name, derr)
	}
	return r, err
}

// TRUNCATE.

type truncatePlan struct{ keyspace, table string }

func (p *truncatePlan) execute(ctx context.Context, x *Executor, s *Session, opts *Options) (*Result, error) {
	if x.catalog.Keyspace(p.keyspace) == nil {
		return nil, qerr.Invalidf("keyspace %s does not exist", p.keyspace)
	}
	t := x.catalog.Table(p.keyspace, p.table)
	if t == nil {
		return nil, qerr.Invalidf("unconfigured table %s", p.table)
	}
	if catalog.IsLocalSystemKeyspace(p.keyspace) {
		return nil, qerr.Unauthorizedf("%s keyspace is not user-modifiable.", p.keyspace)
	}
	if err := x.cfg.Backend.Truncate(ctx, t.ID); err != nil {
		return nil, fmt.Errorf("query: truncate %s.%s: %w", t.Keyspace, t.Name, err)
	}
	return voidSchema(), nil
}

// applySchema writes a schema change's rows and makes them durable before
// the change is acknowledged (Backend.SyncSchema), in every sync mode.
func (x *Executor) applySchema(ctx context.Context, b *catalog.Batch) error {
	if err := b.Apply(ctx, x.cfg.Coordinator, catalog.SchemaKeyspace()); err != nil {
		return err
	}
	return x.cfg.Backend.SyncSchema()
}
