package plan

import (
	"wcdb/query/term"
	"wcdb/schema"
)

// The values of statements are analyzed and evaluated by package term;
// the planner and its users name them through these aliases.
type (
	Term       = term.Term
	Binder     = term.Binder
	Analyzer   = term.Analyzer
	Receiver   = term.Receiver
	ColumnSpec = term.ColumnSpec
	Clock      = term.Clock
	JSONDoc    = term.JSONDoc
)

// Native types of pseudo columns ([limit], count(*), token(...)).
var (
	typBigint = schema.Native(schema.KindBigint)
	typInt    = schema.Native(schema.KindInt)
)
