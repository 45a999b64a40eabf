package parser

import (
	"errors"
	"fmt"
)

// SyntaxError is a statement that is not well-formed CQL. The server answers
// it with a Syntax error (0x2000) carrying Error() as the message.
//
// Error() mimics Cassandra's messages, which clients already know:
//
//	line 1:9 mismatched input 'FORM' expecting K_FROM (SELECT * [FORM]...)
//	line 1:0 no viable alternative at input 'SELEC' ([SELEC]...)
//	line 0:-1 mismatched input '<EOF>' expecting ')'
//
// Like Cassandra it prints "line 0:-1" when the parser ran out of input; the
// Line and Col fields still hold the real end-of-input position. The message
// carries no "query:" prefix because it is meant for the client verbatim.
type SyntaxError struct {
	// Line is the 1-based line of the offending token; Col its 0-based
	// column in characters (Cassandra's convention).
	Line, Col int
	// AtEOF reports that the input ended too early (including an
	// unterminated string or comment): a shell can read another line and
	// try again.
	AtEOF bool
	// Msg is the message without position and snippet.
	Msg string
	// Snippet is the excerpt of the statement around the offending token,
	// which is put in brackets; empty at end of input.
	Snippet string

	bare    bool // a Cassandra "recognition error": the message alone
	lexical bool // reported by the lexer: real position even at EOF
}

// Error implements error.
func (e *SyntaxError) Error() string {
	if e.bare {
		return e.Msg
	}
	if e.AtEOF && !e.lexical {
		return "line 0:-1 " + e.Msg
	}
	s := fmt.Sprintf("line %d:%d %s", e.Line, e.Col, e.Msg)
	if e.Snippet != "" {
		s += " (" + e.Snippet + ")"
	}
	return s
}

// InvalidError is a statement that is well-formed but that the parser
// already knows cannot run: a kind of statement wcdb does not implement
// (Unsupported, e.g. "CREATE INDEX is not supported"), or a definition
// Cassandra rejects while parsing (two PRIMARY KEY clauses). The server
// answers it with an Invalid error (0x2200) carrying Msg.
type InvalidError struct {
	Line, Col   int // where the statement (or clause) starts
	Msg         string
	Unsupported bool
}

// Error implements error.
func (e *InvalidError) Error() string { return e.Msg }

// Is lets errors.Is(err, errors.ErrUnsupported) pick out unsupported
// statements.
func (e *InvalidError) Is(target error) bool {
	return e.Unsupported && target == errors.ErrUnsupported
}
