package query

// Request errors are package qerr's, which every part of query/ returns;
// the protocol layer (package cql) sees them here, with the errors of the
// parser, schema and replication, classified by ErrorKindOf.

import (
	"errors"

	"wcdb/query/parser"
	"wcdb/query/qerr"
	"wcdb/replication"
	"wcdb/schema"
)

// ErrorKind classifies a request error by what went wrong, in the terms of
// Cassandra's error classes; the protocol layer (package cql) sends each
// kind with its error code.
type ErrorKind = qerr.Kind

// The kinds of request errors (see package qerr).
const (
	KindServerError     = qerr.KindServerError
	KindProtocol        = qerr.KindProtocol
	KindUnavailable     = qerr.KindUnavailable
	KindWriteTimeout    = qerr.KindWriteTimeout
	KindReadTimeout     = qerr.KindReadTimeout
	KindSyntax          = qerr.KindSyntax
	KindUnauthorized    = qerr.KindUnauthorized
	KindInvalid         = qerr.KindInvalid
	KindConfig          = qerr.KindConfig
	KindAlreadyExists   = qerr.KindAlreadyExists
	KindFunctionFailure = qerr.KindFunctionFailure
)

// Error is a request error with the message a client sees (Cassandra's
// wording where there is one) and its kind. AlreadyExists errors name the
// keyspace and table ("" for a keyspace).
type Error = qerr.Error

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
func ErrorMessage(err error) string { return qerr.Message(err) }
