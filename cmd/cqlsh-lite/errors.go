package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/gocql/gocql"
)

// serverErrors names the protocol's error codes as the Python driver does
// (the class cqlsh prints) with the summary it puts in its message.
// Classes the driver turns into exceptions (InvalidRequest, Unavailable,
// ...) print "Error from server: code=… [summary] message=…"; the others
// (SyntaxException, ...) print the server's message alone.
var serverErrors = map[int]struct {
	class, summary string
	summarized     bool
}{
	gocql.ErrCodeServer:          {"ServerError", "Server error", false},
	gocql.ErrCodeProtocol:        {"ProtocolException", "Protocol error", false},
	gocql.ErrCodeCredentials:     {"BadCredentials", "Bad credentials", false},
	gocql.ErrCodeUnavailable:     {"Unavailable", "Unavailable exception", true},
	gocql.ErrCodeOverloaded:      {"OverloadedErrorMessage", "Coordinator node overloaded", false},
	gocql.ErrCodeBootstrapping:   {"IsBootstrappingErrorMessage", "Coordinator node is bootstrapping", false},
	gocql.ErrCodeTruncate:        {"TruncateError", "Error during truncate", false},
	gocql.ErrCodeWriteTimeout:    {"WriteTimeout", "Coordinator node timed out waiting for replica nodes' responses", true},
	gocql.ErrCodeReadTimeout:     {"ReadTimeout", "Coordinator node timed out waiting for replica nodes' responses", true},
	gocql.ErrCodeReadFailure:     {"ReadFailure", "Replica(s) failed to execute read", true},
	gocql.ErrCodeFunctionFailure: {"FunctionFailure", "User Defined Function failure", true},
	gocql.ErrCodeWriteFailure:    {"WriteFailure", "Replica(s) failed to execute write", true},
	gocql.ErrCodeCDCWriteFailure: {"CDCWriteFailure", "Failed to execute write due to CDC space exhaustion.", true},
	gocql.ErrCodeCASWriteUnknown: {"CASWriteUnknown", "CAS operation result is unknown", true},
	gocql.ErrCodeSyntax:          {"SyntaxException", "Syntax error in CQL query", false},
	gocql.ErrCodeUnauthorized:    {"Unauthorized", "Unauthorized", true},
	gocql.ErrCodeInvalid:         {"InvalidRequest", "Invalid query", true},
	gocql.ErrCodeConfig:          {"ConfigurationException", "Query invalid because of configuration issue", false},
	gocql.ErrCodeUnprepared:      {"PreparedQueryNotFound", "Matching prepared statement not found on this node", false},
}

// errorText renders an error of a statement as cqlsh prints it:
//
//	InvalidRequest: Error from server: code=2200 [Invalid query] message="unconfigured table t"
//	SyntaxException: line 1:0 no viable alternative at input 'SELEC'
//	AlreadyExists: Table 'ks.t' already exists
func errorText(err error) string {
	var exists *gocql.RequestErrAlreadyExists
	if errors.As(err, &exists) {
		if exists.Table != "" {
			return fmt.Sprintf("AlreadyExists: Table '%s.%s' already exists", exists.Keyspace, exists.Table)
		}
		return fmt.Sprintf("AlreadyExists: Keyspace '%s' already exists", exists.Keyspace)
	}
	var re gocql.RequestError
	if errors.As(err, &re) {
		e, ok := serverErrors[re.Code()]
		if !ok {
			return fmt.Sprintf("ErrorMessage: code=%04x message=%q", re.Code(), re.Message())
		}
		if !e.summarized {
			return e.class + ": " + re.Message()
		}
		return e.class + ": " + summary(re.Code(), e.summary, re.Message()) + errorInfo(err)
	}
	switch {
	case errors.Is(err, gocql.ErrTimeoutNoResponse), errors.Is(err, context.DeadlineExceeded):
		return "OperationTimedOut: " + err.Error()
	case errors.Is(err, gocql.ErrNoConnections), errors.Is(err, gocql.ErrConnectionClosed):
		return "NoHostAvailable: " + err.Error()
	case errors.Is(err, context.Canceled):
		return "Interrupted"
	}
	return "Error: " + err.Error()
}

func summary(code int, summary, message string) string {
	return fmt.Sprintf("Error from server: code=%04x [%s] message=\"%s\"", code, summary, message)
}

// errorInfo is the info={...} the driver appends for the errors that carry
// replica counts.
func errorInfo(err error) string {
	var (
		un *gocql.RequestErrUnavailable
		rt *gocql.RequestErrReadTimeout
		wt *gocql.RequestErrWriteTimeout
	)
	switch {
	case errors.As(err, &un):
		return fmt.Sprintf(" info={'consistency': '%s', 'required_replicas': %d, 'alive_replicas': %d}",
			consistencyName(un.Consistency), un.Required, un.Alive)
	case errors.As(err, &rt):
		return fmt.Sprintf(" info={'consistency': '%s', 'required_responses': %d, 'received_responses': %d}",
			consistencyName(rt.Consistency), rt.BlockFor, rt.Received)
	case errors.As(err, &wt):
		return fmt.Sprintf(" info={'consistency': '%s', 'required_responses': %d, 'received_responses': %d, 'write_type': '%s'}",
			consistencyName(wt.Consistency), wt.BlockFor, wt.Received, wt.WriteType)
	}
	return ""
}

// serverMessage is the server's message alone, which cqlsh prints for a
// failed DESCRIBE.
func serverMessage(err error) string {
	var re gocql.RequestError
	if errors.As(err, &re) {
		return re.Message()
	}
	return errorText(err)
}
