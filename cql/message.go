package cql

import (
	"math"
	"net/netip"

	"wcdb/mutation"
	"wcdb/query"
	"wcdb/query/ast"
	"wcdb/replication"
)

// Query parameter flags (spec section 4.1.4).
const (
	qfValues            = 0x01
	qfSkipMetadata      = 0x02
	qfPageSize          = 0x04
	qfPagingState       = 0x08
	qfSerialConsistency = 0x10
	qfDefaultTimestamp  = 0x20
	qfNamesForValues    = 0x40
)

// Rows metadata flags (spec section 4.2.5.2).
const (
	mfGlobalTablesSpec = 0x0001
	mfHasMorePages     = 0x0002
	mfNoMetadata       = 0x0004
)

// Event types (spec section 4.2.6).
const (
	eventTopologyChange = "TOPOLOGY_CHANGE"
	eventStatusChange   = "STATUS_CHANGE"
	eventSchemaChange   = "SCHEMA_CHANGE"
)

// maxTimestampError is Cassandra's complaint about the one timestamp a
// client may not send (it would read as "no timestamp").
const maxTimestampError = "Out of bound timestamp, must be in [-9223372036854775807, 9223372036854775807]"

// queryParams is the decoded <query_parameters> of QUERY and EXECUTE.
type queryParams struct {
	opts         query.Options
	skipMetadata bool
}

// queryParams reads <consistency><flags>[values][page size][paging
// state][serial consistency][timestamp].
func (r *reader) queryParams() queryParams {
	var p queryParams
	r.readQueryParams(&p, nil)
	return p
}

// readQueryParams is queryParams into p, the values in vals' array when it
// has room for them.
func (r *reader) readQueryParams(p *queryParams, vals [][]byte) {
	p.opts.Consistency = r.consistency()
	p.opts.SerialConsistency = replication.Serial
	p.opts.Timestamp = mutation.NoTimestamp
	flags := r.byte()
	if flags&qfValues != 0 {
		n := int(r.short())
		if n > len(r.b)/4 {
			r.fail(errTruncated)
			return
		}
		if vals == nil || cap(vals) < n {
			vals = make([][]byte, n)
		}
		p.opts.Values = vals[:n:n]
		if flags&qfNamesForValues != 0 {
			p.opts.Names = make([]string, n)
		}
		for i := range n {
			if p.opts.Names != nil {
				p.opts.Names[i] = r.string()
			}
			p.opts.Values[i] = r.value()
		}
	}
	p.skipMetadata = flags&qfSkipMetadata != 0
	if flags&qfPageSize != 0 {
		// Zero or negative means no paging, as in Cassandra.
		p.opts.PageSize = max(int(r.int()), 0)
	}
	if flags&qfPagingState != 0 {
		p.opts.PagingState = r.bytes()
	}
	if flags&qfSerialConsistency != 0 {
		p.opts.SerialConsistency = r.consistency()
	}
	if flags&qfDefaultTimestamp != 0 {
		p.opts.Timestamp = r.long()
		if r.err == nil && p.opts.Timestamp == math.MinInt64 {
			r.fail(protoErrorf(maxTimestampError))
		}
	}
}

// batchRequest is a decoded BATCH.
type batchRequest struct {
	typ     ast.BatchType
	entries []rawBatchEntry
	opts    query.Options
}

// rawBatchEntry is a batch statement before its prepared ID is resolved.
type rawBatchEntry struct {
	query  string
	id     []byte // prepared when non-nil
	values [][]byte
}

// batch reads <type><n><query_1>...<query_n><consistency><flags>
// [<serial_consistency>][<timestamp>].
func (r *reader) batch() batchRequest {
	var b batchRequest
	typ := r.byte()
	if r.err == nil && typ > byte(ast.CounterBatch) {
		r.fail(protoErrorf("invalid BATCH type %d", typ))
		return b
	}
	b.typ = ast.BatchType(typ)
	n := int(r.short())
	if n > len(r.b)/5 {
		r.fail(errTruncated)
		return b
	}
	b.entries = make([]rawBatchEntry, n)
	// The entries' values share one array, sized from the first entry's
	// (a batch's statements are mostly alike), a new one when it runs out.
	var vals [][]byte
	for i := range b.entries {
		e := &b.entries[i]
		switch kind := r.byte(); kind {
		case 0:
			e.query = r.longString()
		case 1:
			e.id = r.shortBytes()
			if e.id == nil {
				e.id = []byte{}
			}
		default:
			if r.err == nil {
				r.fail(protoErrorf("invalid BATCH query kind %d (want 0 or 1)", kind))
			}
			return b
		}
		nv := int(r.short())
		if nv > len(r.b)/4 {
			r.fail(errTruncated)
			return b
		}
		if cap(vals)-len(vals) < nv || nv == 0 {
			// At most a value per 4 bytes left: a frame cannot claim more.
			vals = make([][]byte, 0, min(nv*(n-i), len(r.b)/4))
		}
		e.values, vals = vals[len(vals):len(vals)+nv:len(vals)+nv], vals[:len(vals)+nv]
		for j := range e.values {
			e.values[j] = r.value()
		}
	}
	b.opts.Consistency = r.consistency()
	b.opts.SerialConsistency = replication.Serial
	b.opts.Timestamp = mutation.NoTimestamp
	flags := r.byte()
	if r.err != nil {
		return b
	}
	if flags&qfNamesForValues != 0 {
		// The v4 layout puts the flags after the values, so names cannot
		// be told from values (CASSANDRA-10246).
		r.fail(protoErrorf("names for values are not supported in BATCH (CASSANDRA-10246)"))
		return b
	}
	if flags&qfSerialConsistency != 0 {
		b.opts.SerialConsistency = r.consistency()
	}
	if flags&qfDefaultTimestamp != 0 {
		b.opts.Timestamp = r.long()
		if r.err == nil && b.opts.Timestamp == math.MinInt64 {
			r.fail(protoErrorf(maxTimestampError))
		}
	}
	return b
}

// columnsInOneTable reports whether all columns share a keyspace and table
// (the Global_tables_spec case).
func columnsInOneTable(cols []query.ColumnSpec) bool {
	if len(cols) == 0 {
		return false
	}
	for _, c := range cols[1:] {
		if c.Keyspace != cols[0].Keyspace || c.Table != cols[0].Table {
			return false
		}
	}
	return true
}

// columnSpecs writes [<global_table_spec>]<col_spec_1>...<col_spec_n>.
func (w *writer) columnSpecs(cols []query.ColumnSpec, global bool) {
	if global {
		w.string(cols[0].Keyspace)
		w.string(cols[0].Table)
	}
	for _, c := range cols {
		if !global {
			w.string(c.Keyspace)
			w.string(c.Table)
		}
		w.string(c.Name)
		w.option(c.Type)
	}
}

// rowsMetadata writes a Rows <metadata>.
func (w *writer) rowsMetadata(cols []query.ColumnSpec, pagingState []byte, noMetadata bool) {
	var flags int32
	global := !noMetadata && columnsInOneTable(cols)
	if global {
		flags |= mfGlobalTablesSpec
	}
	if pagingState != nil {
		flags |= mfHasMorePages
	}
	if noMetadata {
		flags |= mfNoMetadata
	}
	w.int(flags)
	w.int(int32(len(cols)))
	if pagingState != nil {
		w.bytes(pagingState)
	}
	if !noMetadata {
		w.columnSpecs(cols, global)
	}
}

// warnings opens a response body with res's warnings, a [string list],
// and flags the frame for them (spec section 2.2, flag 0x08): drivers
// log them or hand them to the application (gocql's Iter.Warnings).
func (w *writer) warnings(res *query.Result) {
	if res == nil || len(res.Warnings) == 0 {
		return
	}
	l := res.Warnings
	if len(l) > math.MaxUint16 {
		l = l[:math.MaxUint16]
	}
	w.stringList(l)
	w.flags |= flagWarning
}

// resultBody writes a RESULT body for res. noMetadata asks for a Rows
// result without column specs.
func (w *writer) resultBody(res *query.Result, noMetadata bool) {
	if res == nil {
		w.int(int32(query.ResultVoid))
		return
	}
	switch res.Kind {
	case query.ResultRows:
		w.int(int32(query.ResultRows))
		w.rowsMetadata(res.Columns, res.PagingState, noMetadata)
		w.int(int32(len(res.Rows)))
		for _, row := range res.Rows {
			for i := range res.Columns {
				var v []byte
				if i < len(row) {
					v = row[i]
				}
				if query.IsUnset(v) {
					v = nil
				}
				w.bytes(v)
			}
		}
	case query.ResultSetKeyspace:
		w.int(int32(query.ResultSetKeyspace))
		w.string(res.Keyspace)
	case query.ResultSchemaChange:
		if res.Change == nil {
			w.int(int32(query.ResultVoid))
			return
		}
		w.int(int32(query.ResultSchemaChange))
		w.schemaChange(res.Change)
	default:
		w.int(int32(query.ResultVoid))
	}
}

// resultPrepared is the Prepared result kind (spec section 4.2.5.4).
const resultPrepared = 0x0004

// preparedBody writes the RESULT of a PREPARE.
func (w *writer) preparedBody(p *query.Prepared) {
	w.int(resultPrepared)
	w.shortBytes(p.ID[:])
	global := columnsInOneTable(p.Bind)
	var flags int32
	if global {
		flags |= mfGlobalTablesSpec
	}
	w.int(flags)
	w.int(int32(len(p.Bind)))
	w.int(int32(len(p.PKIndexes)))
	for _, i := range p.PKIndexes {
		w.short(i)
	}
	w.columnSpecs(p.Bind, global)
	// Result metadata: empty (No_metadata, no columns) for a statement
	// that returns no rows.
	w.rowsMetadata(p.Columns, nil, len(p.Columns) == 0)
}

// schemaChange writes <change_type><target><options>.
func (w *writer) schemaChange(c *query.SchemaChange) {
	w.string(c.Change)
	w.string(c.Target)
	w.string(c.Keyspace)
	switch c.Target {
	case "KEYSPACE":
	case "FUNCTION", "AGGREGATE":
		w.string(c.Name)
		w.stringList(nil)
	default: // TABLE, TYPE
		w.string(c.Name)
	}
}

// TopologyChange is the kind of a TOPOLOGY_CHANGE event.
type TopologyChange string

// Topology changes.
const (
	NewNode     TopologyChange = "NEW_NODE"
	RemovedNode TopologyChange = "REMOVED_NODE"
	MovedNode   TopologyChange = "MOVED_NODE"
)

// StatusChange is the kind of a STATUS_CHANGE event.
type StatusChange string

// Status changes.
const (
	NodeUp   StatusChange = "UP"
	NodeDown StatusChange = "DOWN"
)

// nodeEvent writes a TOPOLOGY_CHANGE or STATUS_CHANGE event body.
func (w *writer) nodeEvent(typ, change string, addr netip.AddrPort) {
	w.string(typ)
	w.string(change)
	w.inet(addr)
}
