package query

// This file executes Cassandra 4's server-side DESCRIBE (cqlsh 6 sends
// the statement to the server and prints what comes back): the catalog
// gives the rows (Catalog.Describe) and pages them (DescribePage), this
// file DESCRIBE CLUSTER's.

import (
	"context"

	"wcdb/query/ast"
	"wcdb/query/catalog"
	"wcdb/schema"
)

type describePlan struct{ st *ast.DescribeStmt }

func prepareDescribe(s *Session, st *ast.DescribeStmt) (executable, error) {
	return &describePlan{st: st}, nil
}

var describeTextType = schema.Native(schema.KindText)

func describeColumns(names ...string) []ColumnSpec {
	out := make([]ColumnSpec, len(names))
	for i, n := range names {
		out[i] = ColumnSpec{Keyspace: "system", Table: "describe", Name: n, Type: describeTextType}
	}
	return out
}

var (
	describeListColumns    = describeColumns("keyspace_name", "type", "name")
	describeElementColumns = describeColumns("keyspace_name", "type", "name", "create_statement")
)

func (p *describePlan) execute(ctx context.Context, x *Executor, s *Session, opts *Options) (*Result, error) {
	sessionKS := ""
	if s != nil {
		sessionKS = s.Keyspace
	}
	var version [16]byte
	var rows [][][]byte
	var columns []ColumnSpec
	if p.st.Kind == ast.DescribeCluster {
		version = x.catalog.Version()
		columns = describeColumns("cluster", "partitioner", "snitch")
		rows = [][][]byte{{[]byte(x.cfg.Topology.ClusterName()), []byte("Murmur3Partitioner"),
			[]byte("GossipingPropertyFileSnitch")}}
	} else {
		var listing bool
		var err error
		version, rows, listing, err = x.catalog.Describe(p.st, sessionKS)
		if err != nil {
			return nil, err
		}
		columns = describeElementColumns
		if listing {
			columns = describeListColumns
		}
	}
	var ps []byte
	pageSize := 0
	if opts != nil {
		ps, pageSize = opts.PagingState, opts.PageSize
	}
	rows, next, err := catalog.DescribePage(version, rows, ps, pageSize)
	if err != nil {
		return nil, err
	}
	return &Result{Kind: ResultRows, Columns: columns, Rows: rows, PagingState: next}, nil
}
