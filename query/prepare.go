package query

// Preparing and executing statements: Prepare analyzes a statement once
// into a Prepared (bind-marker and result metadata, and the plan), Execute
// binds values to it and runs it, Query does both for a one-shot statement.
// DML and SELECT plans remember the schema version they were analyzed at
// and are analyzed again, transparently, when the schema has changed since.

import (
	"context"
	"crypto/md5"
	"fmt"
	"sync/atomic"

	"wcdb/internal/tracing"
	"wcdb/mutation"
	"wcdb/query/access"
	"wcdb/query/ast"
	"wcdb/query/parser"
	"wcdb/query/qerr"
	"wcdb/query/term"
	"wcdb/replication"
	"wcdb/schema"
)

// Prepare parses and analyzes a statement for later executions. Its ID is
// Cassandra's: the MD5 of the session's keyspace followed by the query.
func (x *Executor) Prepare(s *Session, query string) (*Prepared, error) {
	st, err := parser.Parse(query)
	if err != nil {
		return nil, err
	}
	p := &Prepared{ID: preparedID(s.Keyspace, query), Query: query, Keyspace: s.Keyspace}
	switch st.(type) {
	case *ast.SelectStmt, *ast.InsertStmt, *ast.UpdateStmt, *ast.DeleteStmt, *ast.BatchStmt:
		a, err := x.analyze(s.Keyspace, st)
		if err != nil {
			return nil, err
		}
		ps := &preparedStmt{query: query, sessionKeyspace: s.Keyspace}
		ps.cur.Store(a)
		p.Bind, p.PKIndexes, p.Columns, p.plan = a.specs, a.pkIndexes, a.columns, ps
		if a.keyspace != "" {
			p.Keyspace = a.keyspace
		}
		return p, nil
	}
	pl, err := x.prepareSchemaStatement(s, st)
	if err != nil {
		return nil, err
	}
	p.plan = pl
	return p, nil
}

// preparedID is Cassandra's statement id: MD5(keyspace + query).
func preparedID(keyspace, query string) [16]byte {
	return md5.Sum([]byte(keyspace + query))
}

// Execute runs a prepared statement with the bound values of opts (by
// position, or by name when opts.Names is set).
func (x *Executor) Execute(ctx context.Context, s *Session, p *Prepared, opts *Options) (*Result, error) {
	if p == nil || p.plan == nil {
		return nil, &qerr.Error{Kind: qerr.KindServerError, Msg: "query: nil prepared statement"}
	}
	if opts == nil {
		opts = &Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp}
	}
	res, err := p.plan.execute(ctx, x, s, opts)
	traceResult(ctx, res)
	return res, err
}

// traceResult records the size of a traced request's result.
func traceResult(ctx context.Context, res *Result) {
	if res != nil && res.Kind == ResultRows && tracing.From(ctx) != nil {
		if tr := tracing.From(ctx); tr != nil {
			tr.Eventf(tracing.Native, "Returning %d rows of %d columns", len(res.Rows), len(res.Columns))
		}
	}
}

// Query parses, analyzes and runs a statement once.
func (x *Executor) Query(ctx context.Context, s *Session, query string, opts *Options) (*Result, error) {
	if tr := tracing.From(ctx); tr != nil {
		tr.Eventf(tracing.Native, "Parsing %s", query)
	}
	st, err := parser.Parse(query)
	if err != nil {
		return nil, err
	}
	if tr := tracing.From(ctx); tr != nil {
		tr.Eventf(tracing.Native, "Preparing statement")
	}
	if opts == nil {
		opts = &Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp}
	}
	switch st.(type) {
	case *ast.SelectStmt, *ast.InsertStmt, *ast.UpdateStmt, *ast.DeleteStmt, *ast.BatchStmt:
		a, err := x.analyze(s.Keyspace, st)
		if err != nil {
			return nil, err
		}
		values, err := term.BoundValues(a.specs, opts.Values, opts.Names, false)
		if err != nil {
			return nil, err
		}
		if err := x.authorize(ctx, s, a.needs); err != nil {
			return nil, err
		}
		res, err := a.run.run(ctx, x, s, opts, values)
		traceResult(ctx, res)
		return res, err
	}
	pl, err := x.prepareSchemaStatement(s, st)
	if err != nil {
		return nil, err
	}
	return pl.execute(ctx, x, s, opts)
}

// analyzed is a DML or SELECT statement analyzed against one version of the
// schema.
type analyzed struct {
	specs     []ColumnSpec
	pkIndexes []uint16
	columns   []ColumnSpec
	keyspace  string
	version   [16]byte
	run       runner
	needs     []access.Need // the permissions it needs
}

// runner executes an analyzed statement with its values in marker order.
type runner interface {
	run(ctx context.Context, x *Executor, s *Session, opts *Options, values [][]byte) (*Result, error)
}

// preparedStmt is the plan of a prepared DML or SELECT statement: the
// current analysis, replaced when the schema version changes.
type preparedStmt struct {
	query           string
	sessionKeyspace string
	cur             atomic.Pointer[analyzed]
}

func (p *preparedStmt) execute(ctx context.Context, x *Executor, s *Session, opts *Options) (*Result, error) {
	a, err := p.current(x)
	if err != nil {
		return nil, err
	}
	values, err := term.BoundValues(a.specs, opts.Values, opts.Names, true)
	if err != nil {
		return nil, err
	}
	if err := x.authorize(ctx, s, a.needs); err != nil {
		return nil, err
	}
	return a.run.run(ctx, x, s, opts, values)
}

// current returns the analysis for the catalog's version, analyzing the
// statement again if the schema changed since (a dropped table then gives
// the error a new PREPARE would).
func (p *preparedStmt) current(x *Executor) (*analyzed, error) {
	a := p.cur.Load()
	if a.version == x.catalog.Version() {
		return a, nil
	}
	st, err := parser.Parse(p.query)
	if err != nil {
		return nil, err
	}
	na, err := x.analyze(p.sessionKeyspace, st)
	if err != nil {
		return nil, err
	}
	p.cur.Store(na)
	return na, nil
}

// analyze analyzes a DML, SELECT or BATCH statement; keyspace is the
// session's keyspace for unqualified table names.
func (x *Executor) analyze(keyspace string, st ast.Statement) (*analyzed, error) {
	version := x.catalog.Version()
	var a *analyzed
	var err error
	switch st := st.(type) {
	case *ast.SelectStmt:
		a, err = x.analyzeSelect(keyspace, st)
	case *ast.InsertStmt, *ast.UpdateStmt, *ast.DeleteStmt:
		var m *modStmt
		m, err = x.analyzeModification(keyspace, st, st.BindMarkers())
		if err == nil {
			a = &analyzed{specs: m.an.Specs, pkIndexes: m.an.PKIndexes(m.t), keyspace: m.t.Keyspace, run: m}
		}
	case *ast.BatchStmt:
		a, err = x.analyzeBatch(keyspace, st)
	default:
		err = qerr.Invalidf("query: cannot analyze %T", st)
	}
	if err != nil {
		return nil, err
	}
	a.version = version
	a.needs = access.StatementNeeds(keyspace, st)
	return a, nil
}

// lookupTable resolves a table name against the session keyspace.
func (x *Executor) lookupTable(sessionKeyspace string, n ast.TableName) (*schema.Keyspace, *schema.Table, error) {
	ksName := n.Keyspace
	if ksName == "" {
		ksName = sessionKeyspace
	}
	if ksName == "" {
		return nil, nil, qerr.Invalidf("No keyspace has been specified. USING a keyspace, or explicitly specify keyspace.tablename")
	}
	ks := x.catalog.Keyspace(ksName)
	if ks == nil {
		return nil, nil, qerr.Invalidf("keyspace %s does not exist", ksName)
	}
	t := x.catalog.Table(ksName, n.Name)
	if t == nil {
		return nil, nil, qerr.Invalidf("unconfigured table %s", n.Name)
	}
	return ks, t, nil
}

// checkReadConsistency refuses the levels Cassandra refuses for reads. A
// read at SERIAL or LOCAL_SERIAL (of one partition) is the coordinator's
// to run through Paxos.
func checkReadConsistency(cl replication.Consistency) error {
	if cl == replication.Any {
		return qerr.Invalidf("ANY ConsistencyLevel is only supported for writes")
	}
	if !cl.Valid() {
		return &qerr.Error{Kind: qerr.KindProtocol, Msg: fmt.Sprintf("Unknown consistency level %d", cl)}
	}
	return nil
}

// checkWriteConsistency refuses the serial levels for writes, as Cassandra
// does for non-conditional updates.
func checkWriteConsistency(cl replication.Consistency) error {
	switch cl {
	case replication.Serial, replication.LocalSerial:
		return qerr.Invalidf("You must use conditional updates for serializable writes")
	}
	if !cl.Valid() {
		return &qerr.Error{Kind: qerr.KindProtocol, Msg: fmt.Sprintf("Unknown consistency level %d", cl)}
	}
	return nil
}
