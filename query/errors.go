package query

import (
	"errors"
	"fmt"

	"wcdb/query/parser"
	"wcdb/replication"
	"wcdb/schema"
)

// ErrorKind classifies a request error by what went wrong, in the terms of
// Cassandra's error classes; the protocol layer (package cql) sends each
// kind with its error code.
type ErrorKind uint8

// The kinds of request errors.
const (
	// KindServerError: the request was fine, the server failed it.
	KindServerError ErrorKind = iota
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
)

// Error is a request error with the message a client sees (Cassandra's
// wording where there is one) and its kind. AlreadyExists errors name the
// keyspace and table ("" for a keyspace).
type Error struct {
	Kind            ErrorKind
	Msg             string
	Keyspace, Table string
}

func (e *Error) Error() string { return e.Msg }

func invalidRequest(format string, args ...any) error {
	return &Error{Kind: KindInvalid, Msg: fmt.Sprintf(format, args...)}
}

// ErrorKindOf returns the kind of a request error, and whether err is a
// request error at all (false: a server error): this package's *Error,
// the parser's and schema's errors, and replication's Unavailable and
// timeout errors (which keep their own types for the fields the protocol
// sends with them).
func ErrorKindOf(err error) (ErrorKind, bool) {
	var qe *Error
	var se *parser.SyntaxError
	var ie *parser.InvalidError
	var sch *schema.Error
	var ue *replication.UnavailableError
	var wt *replication.WriteTimeoutError
	var rt *replication.ReadTimeoutError
	switch {
	case errors.As(err, &qe):
		return qe.Kind, true
	case errors.As(err, &se):
		return KindSyntax, true
	case errors.As(err, &ie):
		return KindInvalid, true
	case errors.As(err, &sch):
		switch sch.Code {
		case schema.CodeConfig:
			return KindConfig, true
		case schema.CodeSyntax:
			return KindSyntax, true
		}
		return KindInvalid, true
	case errors.As(err, &ue):
		return KindUnavailable, true
	case errors.As(err, &wt):
		return KindWriteTimeout, true
	case errors.As(err, &rt):
		return KindReadTimeout, true
	}
	return KindServerError, false
}

// ErrorMessage returns the text a client should see for err: the
// message without the package prefix Go errors carry (schema.Error's Msg,
// not its Error()).
func ErrorMessage(err error) string {
	var sch *schema.Error
	var qe *Error
	if errors.As(err, &sch) && !errors.As(err, &qe) {
		return sch.Msg
	}
	return err.Error()
}
