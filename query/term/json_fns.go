package term

// fromJson() in terms, as Cassandra's: it reads JSON text as a value of
// the type its receiver needs (funcs.FromJSON, the conversions of INSERT
// JSON).

import (
	"strings"

	"wcdb/query/ast"
	"wcdb/query/funcs"
	"wcdb/query/qerr"
	"wcdb/schema"
)

var typText = schema.Native(schema.KindText)

// IsJSONFunction reports whether f is the (system) function name.
func IsJSONFunction(f *ast.FunctionCall, name string) bool {
	return strings.EqualFold(f.Name, name) && (f.Keyspace == "" || f.Keyspace == "system")
}

// fromJSONTerm analyzes fromJson(text) assigned to a receiver.
func (a *Analyzer) fromJSONTerm(f *ast.FunctionCall, r Receiver) (Term, error) {
	if len(f.Args) != 1 {
		return nil, qerr.Invalidf("fromJson() only accepts one argument (got %d)", len(f.Args))
	}
	arg, err := a.Term(f.Args[0], Receiver{Name: "arg0(system.fromjson)", Type: typText})
	if err != nil {
		return nil, err
	}
	return &fromJSONTerm{arg: arg, to: r.Type}, nil
}

// fromJSONTerm is fromJson(arg) read as type to.
type fromJSONTerm struct {
	arg Term
	to  schema.Type
}

func (t *fromJSONTerm) Eval(b *Binder) ([]byte, error) {
	v, err := t.arg.Eval(b)
	if err != nil || v == nil || IsUnset(v) {
		return v, err
	}
	return funcs.FromJSON(t.to, v)
}
