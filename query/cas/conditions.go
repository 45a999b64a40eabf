// Package cas is the query side of lightweight transactions: the IF
// clause of INSERT, UPDATE, DELETE and BATCH analyzed (conditions.go), the
// request a replication.CASCoordinator runs (request.go: what to read,
// the decision on the partition as read, the update's timestamps) and the
// result Cassandra returns ([applied] and, when not applied, the current
// values).
//
// The rules and messages are Cassandra 5's (ModificationStatement,
// ColumnCondition, CQL3CasRequest, BatchStatement):
//
//   - IF EXISTS holds when the row (the static row for a statement on
//     static columns only) has live data; IF NOT EXISTS when it has none.
//   - A column condition compares the current value with the condition's:
//     against null, = holds only when the value is null and != only when
//     it is not (other operators are refused); a null current value fails
//     every comparison but !=. IN holds when one of its values would with
//     =; CONTAINS and CONTAINS KEY look into a collection; l[i] and m[k]
//     compare one element (null when absent or beyond the list's end).
//   - A non-frozen collection without elements is the empty collection:
//     IF l = [] holds on it, and it is smaller than any other.
package cas

import (
	"wcdb/query/ast"
	"wcdb/query/plan"
	"wcdb/query/qerr"
	"wcdb/query/term"
	"wcdb/replication"
	"wcdb/schema"
)

// Condition is one column condition of an IF clause.
type Condition struct {
	Col *schema.Column
	// Elem is the list index or map key of col[elem] op value; nil for a
	// condition on the whole column.
	Elem plan.Term
	// Field is the position of the field of col.field op value (a user
	// type's), when HasField.
	Field    int
	HasField bool
	Op       ast.Operator
	// Vals are the values: one, or IN's list written out.
	Vals []plan.Term
	// InList is the bound list of IN ?; Vals is empty then.
	InList plan.Term
}

// Conditions is the IF clause of a statement.
type Conditions struct {
	Exists    bool // IF EXISTS
	NotExists bool // IF NOT EXISTS
	Conds     []Condition
}

// Analyze analyzes a statement's IF clause against table t: IF EXISTS, IF
// NOT EXISTS or conditions (rels). timestamp tells whether the statement
// has USING TIMESTAMP. It returns nil for a statement without an IF.
func Analyze(an *plan.Analyzer, t *schema.Table, exists, notExists bool, rels []ast.Relation, timestamp bool) (*Conditions, error) {
	if !exists && !notExists && len(rels) == 0 {
		return nil, nil
	}
	if timestamp && len(rels) > 0 {
		return nil, qerr.Invalidf("Cannot provide custom timestamp for conditional updates")
	}
	cs := &Conditions{Exists: exists, NotExists: notExists}
	for i := range rels {
		c, err := analyzeCondition(an, t, &rels[i])
		if err != nil {
			return nil, err
		}
		if c.Col.Kind == schema.PartitionKeyColumn || c.Col.Kind == schema.ClusteringColumn {
			return nil, qerr.Invalidf("PRIMARY KEY column '%s' cannot have IF conditions", c.Col.Name)
		}
		cs.Conds = append(cs.Conds, c)
	}
	// Then the statement's checks, in Cassandra's order.
	for i := range t.Columns {
		if t.Columns[i].Type.Kind == schema.KindCounter {
			return nil, qerr.Invalidf("Conditional updates are not supported on counter tables")
		}
	}
	if timestamp {
		return nil, qerr.Invalidf("Cannot provide custom timestamp for conditional updates")
	}
	return cs, nil
}

func analyzeCondition(an *plan.Analyzer, t *schema.Table, r *ast.Relation) (Condition, error) {
	col := t.Column(r.Column)
	if col == nil {
		return Condition{}, qerr.Invalidf("Undefined column name %s", r.Column)
	}
	c := Condition{Col: col, Op: r.Op}
	typ := col.Type
	if typ.Kind == schema.KindCounter {
		return c, qerr.Invalidf("Conditions on counters are not supported")
	}
	recv := term.ColumnReceiver(col)
	if r.Kind == ast.RelElement {
		var kr plan.Receiver
		switch {
		case !typ.IsCollection():
			return c, qerr.Invalidf("Invalid element access syntax for non-collection column %s", col.Name)
		case typ.Kind == schema.KindSet:
			return c, qerr.Invalidf("Invalid element access syntax for set column %s", col.Name)
		case typ.Kind == schema.KindList:
			kr = plan.Receiver{Name: "idx(" + col.Name + ")", Type: schema.Native(schema.KindInt)}
		default:
			kr = plan.Receiver{Name: "key(" + col.Name + ")", Type: typ.Key()}
		}
		var err error
		if c.Elem, err = an.Term(r.Key, kr); err != nil {
			return c, err
		}
		recv = plan.Receiver{Name: "value(" + col.Name + ")", Type: typ.Elem()}
	}
	if r.Field != "" {
		if typ.Kind != schema.KindUDT {
			return c, qerr.Invalidf("Invalid field selection: %s of type %s is not a user type", col.Name, typ)
		}
		if c.Field, c.HasField = typ.FieldIndex(r.Field), true; c.Field < 0 {
			return c, qerr.Invalidf("Unknown field %s for column %s", r.Field, col.Name)
		}
		typ = typ.Elems[c.Field]
		recv = plan.Receiver{Name: col.Name + "." + r.Field, Type: typ}
	}
	if err := checkDurations(recv.Type, r.Op); err != nil {
		return c, err
	}
	switch r.Op {
	case ast.OpContainsKey:
		if typ.Kind != schema.KindMap {
			return c, qerr.Invalidf("Cannot use CONTAINS KEY on non-map column %s", col.Name)
		}
		recv = plan.Receiver{Name: "key(" + col.Name + ")", Type: typ.Key()}
	case ast.OpContains:
		if !typ.IsCollection() {
			return c, qerr.Invalidf("Cannot use CONTAINS on non-collection column %s", col.Name)
		}
		recv = plan.Receiver{Name: "value(" + col.Name + ")", Type: typ.Elem()}
	case ast.OpIn:
		if r.Value != nil {
			v, err := an.Term(r.Value, plan.Receiver{Name: "in(" + recv.Name + ")", Type: schema.ListOf(recv.Type)})
			c.InList = v
			return c, err
		}
		c.Vals = make([]plan.Term, 0, len(r.InValues))
		for _, iv := range r.InValues {
			v, err := an.Term(iv, recv)
			if err != nil {
				return c, err
			}
			c.Vals = append(c.Vals, v)
		}
		return c, nil
	case ast.OpEq, ast.OpNeq, ast.OpLt, ast.OpLte, ast.OpGt, ast.OpGte:
	default:
		return c, qerr.Invalidf("Unsupported operator %s in condition on %s", r.Op, col.Name)
	}
	v, err := an.Term(r.Value, recv)
	c.Vals = []plan.Term{v}
	return c, err
}

// checkDurations refuses slices on durations, which have no order.
func checkDurations(t schema.Type, op ast.Operator) error {
	if !t.References(schema.KindDuration) || !isSlice(op) {
		return nil
	}
	switch {
	case t.IsCollection():
		return qerr.Invalidf("Slice conditions are not supported on collections containing durations")
	case t.Kind == schema.KindTuple:
		return qerr.Invalidf("Slice conditions are not supported on tuples containing durations")
	}
	return qerr.Invalidf("Slice conditions ( %s ) are not supported on durations", op)
}

func isSlice(op ast.Operator) bool {
	return op == ast.OpLt || op == ast.OpLte || op == ast.OpGt || op == ast.OpGte
}

// Columns returns the columns the conditions name, each once, in the
// order of the IF clause.
func (cs *Conditions) Columns() []*schema.Column {
	var out []*schema.Column
	for _, c := range cs.Conds {
		seen := false
		for _, o := range out {
			seen = seen || o.ID == c.Col.ID
		}
		if !seen {
			out = append(out, c.Col)
		}
	}
	return out
}

// AnalyzeStatement analyzes the IF clause of an INSERT, UPDATE or DELETE
// (nil when it has none).
func AnalyzeStatement(an *plan.Analyzer, t *schema.Table, st ast.Statement) (*Conditions, error) {
	switch st := st.(type) {
	case *ast.InsertStmt:
		return Analyze(an, t, false, st.IfNotExists, nil, st.Using.Timestamp != nil)
	case *ast.UpdateStmt:
		return Analyze(an, t, st.IfExists, false, st.If, st.Using.Timestamp != nil)
	case *ast.DeleteStmt:
		return Analyze(an, t, st.IfExists, false, st.If, st.Using.Timestamp != nil)
	}
	return nil, nil
}

// CheckWhere applies Cassandra's rules on the WHERE clause of a
// conditional statement of the given kind: one row (or one partition's
// static row), named by equalities. deleteRows: a DELETE of whole rows;
// regularOps: it writes regular columns. A missing partition key column is
// left for the statement's own checks to report.
func CheckWhere(w *plan.Where, kind string, deleteRows, regularOps bool, cs *Conditions) error {
	what := "deletions"
	if kind == plan.KindUpdate {
		what = "updates"
	}
	allEq := true
	for _, r := range w.PK {
		if r == nil {
			return nil
		}
		if r.Eq == nil {
			return qerr.Invalidf("IN on the partition key is not supported with conditional %s", what)
		}
	}
	for _, r := range w.CK {
		allEq = allEq && r != nil && r.IsEqOrIn()
	}
	if w.Multi != nil {
		allEq = len(w.Multi.Cols) == len(w.CK) && (w.Multi.Eq != nil || w.Multi.IsIn)
	}
	if kind == plan.KindDelete && !allEq {
		if deleteRows || regularOps {
			return qerr.Invalidf("DELETE statements must restrict all PRIMARY KEY columns with equality relations in order to delete non static columns")
		}
		if cs.OnKind(schema.RegularColumn) {
			return qerr.Invalidf("DELETE statements must restrict all PRIMARY KEY columns with equality relations in order to use IF condition on non static columns")
		}
	}
	return CheckClusteringIn(w, what)
}

// CheckClusteringIn refuses IN on clustering columns in a statement of a
// lightweight transaction (what: "updates" or "deletions").
func CheckClusteringIn(w *plan.Where, what string) error {
	in := w.Multi != nil && w.Multi.IsIn
	for _, r := range w.CK {
		in = in || r != nil && r.IsEqOrIn() && r.Eq == nil
	}
	if in {
		return qerr.Invalidf("IN on the clustering key columns is not supported with conditional %s", what)
	}
	return nil
}

// Levels checks a lightweight transaction's consistency levels, as
// Cassandra's validateForCas and validateForCasCommit: serial must be
// SERIAL or LOCAL_SERIAL (ANY, the zero value, stands for SERIAL: no level
// given), commit must not be.
func Levels(serial, commit replication.Consistency) (replication.Consistency, error) {
	if serial == replication.Any {
		serial = replication.Serial
	}
	if serial != replication.Serial && serial != replication.LocalSerial {
		return 0, qerr.Invalidf("Invalid consistency for conditional update. Must be one of SERIAL or LOCAL_SERIAL")
	}
	if commit == replication.Serial || commit == replication.LocalSerial {
		return 0, qerr.Invalidf("%s is not supported as conditional update commit consistency. Use ANY if you mean \"make sure it is accepted but I don't care how many replicas commit it for non-SERIAL reads\"", commit)
	}
	return serial, nil
}

// CheckSerialRead refuses a read at SERIAL or LOCAL_SERIAL of other than
// one partition (partitions < 0: a range of them).
func CheckSerialRead(cl replication.Consistency, partitions int) error {
	if (cl == replication.Serial || cl == replication.LocalSerial) && partitions != 1 {
		return qerr.Invalidf("SERIAL/LOCAL_SERIAL consistency may only be requested for one partition at a time")
	}
	return nil
}

// OnKind reports whether some condition is on a column of kind k.
func (cs *Conditions) OnKind(k schema.ColumnKind) bool {
	if cs == nil {
		return false
	}
	for _, c := range cs.Conds {
		if c.Col.Kind == k {
			return true
		}
	}
	return false
}
