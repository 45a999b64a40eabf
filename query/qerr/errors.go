// Package qerr holds the request errors of the query layer: the message a
// client sees (Cassandra's wording where there is one) and its kind, which
// the protocol layer (package cql) sends as an error code. Every part of
// query/ (catalog, plan, the executor) reports with these, so that one
// type reaches the client whichever part refused the request.
package qerr

import (
	"errors"
	"fmt"

	"wcdb/schema"
)

// Kind classifies a request error by what went wrong, in the terms of
// Cassandra's error classes; the protocol layer (package cql) sends each
// kind with its error code.
type Kind uint8

// The kinds of request errors.
const (
	// KindServerError: the request was fine, the server failed it.
	KindServerError Kind = iota
	// KindProtocol: a malformed request (a bound value, a paging state or
	// a consistency level that cannot be read).
	KindProtocol
	// KindUnavailable, KindWriteTimeout, KindReadTimeout: the consistency
	// level could not be met (replication's errors carry the details).
	KindUnavailable
	KindWriteTimeout
	KindReadTimeout
	// KindSyntax: the statement is not well-formed CQL.
	KindSyntax
	// KindUnauthorized: the user may not do this.
	KindUnauthorized
	// KindInvalid: a well-formed statement that cannot be executed.
	KindInvalid
	// KindConfig: a schema change with an invalid configuration.
	KindConfig
	// KindAlreadyExists: CREATE of a keyspace or table that exists.
	KindAlreadyExists
	// KindFunctionFailure: a function (an arithmetic operation) failed
	// on its arguments; Keyspace and Table name the function.
	KindFunctionFailure
)

// Error is a request error with the message a client sees (Cassandra's
// wording where there is one) and its kind. AlreadyExists errors name the
// keyspace and table ("" for a keyspace).
type Error struct {
	Kind            Kind
	Msg             string
	Keyspace, Table string
}

func (e *Error) Error() string { return e.Msg }

// Invalidf is an InvalidRequestException.
func Invalidf(format string, args ...any) error {
	return &Error{Kind: KindInvalid, Msg: fmt.Sprintf(format, args...)}
}

// Syntaxf is a SyntaxException: Cassandra reports unknown properties
// and unparseable property values so.
func Syntaxf(format string, args ...any) error {
	return &Error{Kind: KindSyntax, Msg: fmt.Sprintf(format, args...)}
}

// Configf is a ConfigurationException.
func Configf(format string, args ...any) error {
	return &Error{Kind: KindConfig, Msg: fmt.Sprintf(format, args...)}
}

// Unauthorizedf is an UnauthorizedException.
func Unauthorizedf(format string, args ...any) error {
	return &Error{Kind: KindUnauthorized, Msg: fmt.Sprintf(format, args...)}
}

// schemaKind is the kind of a schema error.
func schemaKind(se *schema.Error) Kind {
	switch se.Code {
	case schema.CodeConfig:
		return KindConfig
	case schema.CodeSyntax:
		return KindSyntax
	}
	return KindInvalid
}

// FromSchema gives a schema error the message a client should see (without
// the "schema: " prefix) and its kind; other errors are returned as they
// are.
func FromSchema(err error) error {
	if se, ok := err.(*schema.Error); ok {
		return &Error{Kind: schemaKind(se), Msg: se.Msg}
	}
	return err
}

// Convert makes err a request error with its message prefixed by prefix:
// a schema error keeps Cassandra's message (without the "schema: "
// prefix) and its kind, a request error without prefix stays as it is,
// and any other error becomes KindInvalid.
func Convert(prefix string, err error) error {
	if se, ok := err.(*schema.Error); ok {
		return &Error{Kind: schemaKind(se), Msg: prefix + se.Msg}
	}
	if _, ok := err.(*Error); ok && prefix == "" {
		return err
	}
	return &Error{Kind: KindInvalid, Msg: prefix + err.Error()}
}

// Message returns the text a client should see for err: the message
// without the package prefix Go errors carry (schema.Error's Msg, not its
// Error()).
func Message(err error) string {
	var sch *schema.Error
	var qe *Error
	if errors.As(err, &sch) && !errors.As(err, &qe) {
		return sch.Msg
	}
	return err.Error()
}
