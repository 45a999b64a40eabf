package schema

import (
	"errors"
	"fmt"

	"wcdb/schema/cqldecimal"
	"wcdb/schema/cqltime"
)

// ErrorCode says which native protocol error a schema error becomes when it
// reaches a client.
type ErrorCode uint8

const (
	// CodeInvalid is an invalid request (protocol error 0x2200): a bad value,
	// a bad type, a table definition Cassandra would reject.
	CodeInvalid ErrorCode = iota
	// CodeConfig is a configuration error (0x2300): bad replication options.
	CodeConfig
	// CodeSyntax is a syntax error (0x2000): a type that does not parse.
	CodeSyntax
)

// Error is a schema error with the message Cassandra gives for the same
// mistake (Msg, without the "schema: " prefix, is what a client should see).
type Error struct {
	Code ErrorCode
	Msg  string
}

func (e *Error) Error() string { return "schema: " + e.Msg }

func invalidf(format string, args ...any) error {
	return &Error{Code: CodeInvalid, Msg: fmt.Sprintf(format, args...)}
}

func configf(format string, args ...any) error {
	return &Error{Code: CodeConfig, Msg: fmt.Sprintf(format, args...)}
}

func syntaxf(format string, args ...any) error {
	return &Error{Code: CodeSyntax, Msg: fmt.Sprintf(format, args...)}
}

// literalError makes a literal's error (package cqltime) an invalid
// request with Cassandra's message.
func literalError(err error) error {
	var e *cqltime.Error
	if errors.As(err, &e) {
		return &Error{Code: CodeInvalid, Msg: e.Msg}
	}
	var de *cqldecimal.Error
	if errors.As(err, &de) {
		return &Error{Code: CodeInvalid, Msg: de.Msg}
	}
	return err
}
