package query

// This file executes Cassandra 4's server-side DESCRIBE (cqlsh 6 sends
// the statement to the server and prints what comes back): the catalog
// gives the rows (Catalog.Describe), this file DESCRIBE CLUSTER's, and pages
// them like Cassandra: the paging state is the schema version and a row
// offset, and a page asked for after the schema changed is refused.

import (
	"context"
	"encoding/binary"

	"wcdb/query/ast"
	"wcdb/query/qerr"
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

const schemaChangedWhilePaging = "The schema has changed since the previous page of the DESCRIBE statement result. Please retry the DESCRIBE statement."

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
	res := &Result{Kind: ResultRows, Columns: columns}
	var offset uint64
	if opts != nil && len(opts.PagingState) > 0 {
		ps := opts.PagingState
		if len(ps) != 24 {
			return nil, qerr.Invalidf("Invalid paging state.")
		}
		if [16]byte(ps[:16]) != version {
			return nil, qerr.Invalidf(schemaChangedWhilePaging)
		}
		offset = binary.BigEndian.Uint64(ps[16:])
	}
	offset = min(offset, uint64(len(rows)))
	rows = rows[offset:]
	if opts != nil && opts.PageSize > 0 && len(rows) > opts.PageSize {
		rows = rows[:opts.PageSize]
		next := binary.BigEndian.AppendUint64(append([]byte(nil), version[:]...), offset+uint64(opts.PageSize))
		res.PagingState = next
	}
	res.Rows = rows
	return res, nil
}
