package cql

import (
	"context"
	"errors"
	"fmt"

	"wcdb/query"
	"wcdb/replication"
)

// errorCode is a native-protocol error code (protocol v4, section 9).
type errorCode uint16

const (
	codeServerError     errorCode = 0x0000
	codeProtocolError   errorCode = 0x000A
	codeAuthError       errorCode = 0x0100
	codeUnavailable     errorCode = 0x1000
	codeOverloaded      errorCode = 0x1001
	codeWriteTimeout    errorCode = 0x1100
	codeReadTimeout     errorCode = 0x1200
	codeReadFailure     errorCode = 0x1300
	codeFunctionFailure errorCode = 0x1400
	codeWriteFailure    errorCode = 0x1500
	codeSyntax          errorCode = 0x2000
	codeUnauthorized    errorCode = 0x2100
	codeInvalid         errorCode = 0x2200
	codeConfig          errorCode = 0x2300
	codeAlreadyExists   errorCode = 0x2400
	codeUnprepared      errorCode = 0x2500
)

// kindCodes are the codes query's kinds of error are sent with.
var kindCodes = [...]errorCode{
	query.KindServerError:     codeServerError,
	query.KindProtocol:        codeProtocolError,
	query.KindUnavailable:     codeUnavailable,
	query.KindWriteTimeout:    codeWriteTimeout,
	query.KindReadTimeout:     codeReadTimeout,
	query.KindSyntax:          codeSyntax,
	query.KindUnauthorized:    codeUnauthorized,
	query.KindInvalid:         codeInvalid,
	query.KindConfig:          codeConfig,
	query.KindAlreadyExists:   codeAlreadyExists,
	query.KindFunctionFailure: codeFunctionFailure,
}

// codeOf returns the code a kind of error is sent with.
func codeOf(k query.ErrorKind) errorCode {
	if int(k) < len(kindCodes) {
		return kindCodes[k]
	}
	return codeServerError
}

// authError is a failed authentication, sent as ERROR 0x0100.
type authError struct{ msg string }

func (e *authError) Error() string { return "cql: authentication failed: " + e.msg }

// overloadedError is sent as ERROR 0x1001 (Overloaded).
type overloadedError struct{ msg string }

func (e *overloadedError) Error() string { return "cql: overloaded: " + e.msg }

// unpreparedError is an EXECUTE (or BATCH entry) of an unknown prepared
// ID, sent as ERROR 0x2500 with the ID so the driver re-prepares.
type unpreparedError struct{ id []byte }

func (e *unpreparedError) Error() string {
	return fmt.Sprintf("Prepared query with ID %x not found (either the query was not prepared on this host (maybe the host has been restarted?) or you have prepared too many queries and it has been evicted from the internal cache)", e.id)
}

// panicError is a request that panicked; it is a Server error.
type panicError struct{ v any }

func (e *panicError) Error() string { return fmt.Sprintf("cql: internal error: %v", e.v) }

// errorBody writes an ERROR body for err: <code><message> and, for the
// codes that have them, the fields the spec defines. cl is the request's
// consistency, used when err does not carry one.
func (w *writer) errorBody(err error, cl replication.Consistency) {
	var (
		pe *protocolError
		ae *authError
		oe *overloadedError
		up *unpreparedError
		ue *replication.UnavailableError
		wt *replication.WriteTimeoutError
		rt *replication.ReadTimeoutError
		wf *replication.WriteFailureError
		rf *replication.ReadFailureError
		qe *query.Error
	)
	switch {
	case errors.As(err, &pe):
		w.int(int32(codeProtocolError))
		w.string(pe.msg)
	case errors.As(err, &ae):
		w.int(int32(codeAuthError))
		w.string(ae.msg)
	case errors.As(err, &oe):
		w.int(int32(codeOverloaded))
		w.string(oe.msg)
	case errors.As(err, &up):
		w.int(int32(codeUnprepared))
		w.string(up.Error())
		w.shortBytes(up.id)
	case errors.As(err, &ue):
		w.int(int32(codeUnavailable))
		w.string(err.Error())
		w.consistency(ue.Consistency)
		w.int(int32(ue.Required))
		w.int(int32(ue.Alive))
	case errors.As(err, &wt):
		w.int(int32(codeWriteTimeout))
		w.string(err.Error())
		w.consistency(wt.Consistency)
		w.int(int32(wt.Received))
		w.int(int32(wt.BlockFor))
		typ := string(wt.WriteType)
		if typ == "" {
			typ = string(replication.WriteSimple)
		}
		w.string(typ)
	case errors.As(err, &rt):
		w.int(int32(codeReadTimeout))
		w.string(err.Error())
		w.consistency(rt.Consistency)
		w.int(int32(rt.Received))
		w.int(int32(rt.BlockFor))
		w.byte(boolByte(rt.DataPresent))
	case errors.As(err, &wf):
		w.int(int32(codeWriteFailure))
		w.string(wf.Message())
		w.consistency(wf.Consistency)
		w.int(int32(wf.Received))
		w.int(int32(wf.BlockFor))
		w.int(int32(wf.Failures))
		typ := string(wf.WriteType)
		if typ == "" {
			typ = string(replication.WriteSimple)
		}
		w.string(typ)
	case errors.As(err, &rf):
		w.int(int32(codeReadFailure))
		w.string(rf.Message())
		w.consistency(rf.Consistency)
		w.int(int32(rf.Received))
		w.int(int32(rf.BlockFor))
		w.int(int32(rf.Failures))
		w.byte(boolByte(rf.DataPresent))
	case errors.As(err, &qe):
		w.codedError(codeOf(qe.Kind), qe.Msg, qe.Keyspace, qe.Table, cl)
	case errors.Is(err, context.DeadlineExceeded):
		w.int(int32(codeServerError))
		w.string("Request timed out")
	case errors.Is(err, context.Canceled):
		w.int(int32(codeServerError))
		w.string("Request cancelled: the server is shutting down")
	default:
		// Not a request error: ErrorKindOf says KindServerError.
		kind, _ := query.ErrorKindOf(err)
		w.codedError(codeOf(kind), query.ErrorMessage(err), "", "", cl)
	}
}

// codedError writes an error of a code known only by number, with zero
// values for the fields its code requires (so the client can parse it).
func (w *writer) codedError(code errorCode, msg, ks, table string, cl replication.Consistency) {
	w.int(int32(code))
	w.string(msg)
	switch code {
	case codeUnavailable:
		w.consistency(cl)
		w.int(1)
		w.int(0)
	case codeWriteTimeout:
		w.consistency(cl)
		w.int(0)
		w.int(1)
		w.string(string(replication.WriteSimple))
	case codeReadTimeout:
		w.consistency(cl)
		w.int(0)
		w.int(1)
		w.byte(0)
	case codeReadFailure:
		w.consistency(cl)
		w.int(0)
		w.int(1)
		w.int(1)
		w.byte(0)
	case codeFunctionFailure:
		w.string(ks)
		w.string(table)
		w.stringList(nil)
	case codeWriteFailure:
		w.consistency(cl)
		w.int(0)
		w.int(1)
		w.int(1)
		w.string(string(replication.WriteSimple))
	case codeAlreadyExists:
		w.string(ks)
		w.string(table)
	case codeUnprepared:
		w.shortBytes(nil)
	}
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}
