package messaging

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"wcdb/replication"
)

// Kind is what a coordinator needs to know of a failed call to a replica.
type Kind uint8

// Error kinds.
const (
	// KindOther: the replica answered with an error (or the call could not
	// be made for a reason of its own); retrying elsewhere may help.
	KindOther Kind = iota
	// KindTimeout: no answer before the deadline. The request may or may
	// not have been applied.
	KindTimeout
	// KindUnavailable: the replica could not be reached, or is stopping.
	// Nothing was applied.
	KindUnavailable
	// KindOverloaded: the replica refused the request to shed load.
	// Nothing was applied.
	KindOverloaded
)

var kindNames = [...]string{"other", "timeout", "unavailable", "overloaded"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Sentinels for errors.Is. A replica's own errors may wrap ErrUnavailable
// or ErrOverloaded to reach the coordinator as those kinds; a call that
// timed out matches context.DeadlineExceeded.
var (
	ErrUnavailable = errors.New("messaging: replica unavailable")
	ErrOverloaded  = errors.New("messaging: replica overloaded")
	// ErrClosed is returned by calls on a closed Client or Network.
	ErrClosed = errors.New("messaging: closed")
)

// Error is a failed call to a remote replica.
type Error struct {
	Kind Kind
	// Op is the method called (Apply, Read, ...) and Peer the replica.
	Op, Peer string
	// Msg is the replica's or the transport's description.
	Msg string
	// cause is what errors.Is matches besides the kind's sentinel:
	// context.Canceled for a canceled call.
	cause error
}

func (e *Error) Error() string {
	return fmt.Sprintf("messaging: %s on %s: %s: %s", e.Op, e.Peer, e.Kind, e.Msg)
}

// Unwrap returns the sentinel of the error's kind (context.DeadlineExceeded
// for a timeout), or context.Canceled for a canceled call.
func (e *Error) Unwrap() error {
	switch {
	case e.cause != nil:
		return e.cause
	case e.Kind == KindTimeout:
		return context.DeadlineExceeded
	case e.Kind == KindUnavailable:
		return ErrUnavailable
	case e.Kind == KindOverloaded:
		return ErrOverloaded
	}
	return nil
}

// Is reports replication.ErrNotDelivered for an unreachable replica.
func (e *Error) Is(target error) bool {
	return target == replication.ErrNotDelivered && e.Kind == KindUnavailable
}

// KindOf classifies err as a coordinator sees it: an *Error's kind, or
// the kind of the sentinel err matches.
func KindOf(err error) Kind {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Kind
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout
	case errors.Is(err, ErrUnavailable), errors.Is(err, ErrClosed):
		return KindUnavailable
	case errors.Is(err, ErrOverloaded):
		return KindOverloaded
	}
	return KindOther
}

// errorCode is the gRPC status code a replica's error crosses the wire as.
func errorCode(err error) codes.Code {
	var e *Error
	switch {
	case errors.As(err, &e):
		// A replica that forwards to another reports that one's verdict.
		switch e.Kind {
		case KindTimeout:
			return codes.DeadlineExceeded
		case KindUnavailable:
			return codes.Unavailable
		case KindOverloaded:
			return codes.ResourceExhausted
		}
		if errors.Is(e.cause, context.Canceled) {
			return codes.Canceled
		}
		return codes.Unknown
	case errors.Is(err, context.DeadlineExceeded):
		return codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return codes.Canceled
	case errors.Is(err, ErrOverloaded):
		return codes.ResourceExhausted
	case errors.Is(err, ErrUnavailable):
		return codes.Unavailable
	}
	return codes.Unknown
}

// toStatus turns a handler's error into the status that crosses the wire.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Error(errorCode(err), err.Error())
}

// callError makes an *Error of a failed call's status code and message.
func callError(op, peer string, code codes.Code, msg string) *Error {
	e := &Error{Kind: KindOther, Op: op, Peer: peer, Msg: msg}
	switch code {
	case codes.DeadlineExceeded:
		e.Kind = KindTimeout
	case codes.Unavailable:
		e.Kind = KindUnavailable
	case codes.ResourceExhausted:
		e.Kind = KindOverloaded
	case codes.Canceled:
		e.cause = context.Canceled
	}
	return e
}

// fromStatus makes an *Error of a gRPC call's error.
func fromStatus(op, peer string, err error) error {
	st := status.Convert(err)
	return callError(op, peer, st.Code(), st.Message())
}
