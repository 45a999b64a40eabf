package funcs

// The native scalar functions of CQL (now(), totimestamp(), blobAs...,
// ...) and their overloads, as Cassandra's; query/plan resolves a call
// among the overloads by its arguments.

import (
	"encoding/binary"
	"strings"
	"time"

	"wcdb/query/qerr"
	"wcdb/schema"
)

// Clock is the time the native functions read (now(), currenttimestamp(),
// ...): the executor's, which tests replace. Safe for concurrent use.
type Clock interface {
	// Now returns the time in microseconds since the epoch.
	Now() int64
	// NewTimeuuid returns a version 1 UUID for now(), after every other
	// the clock gave.
	NewTimeuuid() schema.UUID
}

// Native types of function signatures.
var (
	typTimestamp = schema.Native(schema.KindTimestamp)
	typTimeuuid  = schema.Native(schema.KindTimeuuid)
	typDate      = schema.Native(schema.KindDate)
	typTime      = schema.Native(schema.KindTime)
	typBigint    = schema.Native(schema.KindBigint)
	typBlob      = schema.Native(schema.KindBlob)
	typUUID      = schema.Native(schema.KindUUID)
	typDuration  = schema.Native(schema.KindDuration)
)

// Function is a native CQL function: its name (lower case, in the system
// keyspace) and its overloads.
type Function struct {
	Name string
	Sigs []Signature
}

// Qualified is the name as Cassandra prints it in messages.
func (f *Function) Qualified() string { return "system." + f.Name }

// Signature is one overload: argument and result types and the
// implementation, which gets serialized arguments (nil for null).
type Signature struct {
	Args []schema.Type
	Ret  schema.Type
	Impl func(c Clock, args [][]byte) ([]byte, error)
}

// String prints the signature as Cassandra lists it in messages:
// (arg, ...) -> result.
func (s *Signature) String() string {
	var b strings.Builder
	b.WriteByte('(')
	for i, a := range s.Args {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.String())
	}
	b.WriteString(") -> ")
	b.WriteString(s.Ret.String())
	return b.String()
}

// nullSafe wraps a one-argument conversion so a null argument gives null.
func nullSafe(f func(b []byte) ([]byte, error)) func(Clock, [][]byte) ([]byte, error) {
	return func(_ Clock, args [][]byte) ([]byte, error) {
		if args[0] == nil {
			return nil, nil
		}
		out, err := f(args[0])
		if err != nil {
			return nil, qerr.Convert("", err)
		}
		return out, nil
	}
}

func toTimestampOf(t schema.Type) func(Clock, [][]byte) ([]byte, error) {
	return nullSafe(func(b []byte) ([]byte, error) { return ToTimestamp(t, b) })
}

func toDateOf(t schema.Type) func(Clock, [][]byte) ([]byte, error) {
	return nullSafe(func(b []byte) ([]byte, error) { return ToDate(t, b) })
}

func timeuuidBound(max bool) func(Clock, [][]byte) ([]byte, error) {
	return nullSafe(func(b []byte) ([]byte, error) {
		if len(b) != 8 {
			return nil, nil
		}
		ms := int64(binary.BigEndian.Uint64(b))
		var u schema.UUID
		if max {
			u = schema.MaxTimeuuid(time.UnixMilli(ms))
		} else {
			u = schema.MinTimeuuid(time.UnixMilli(ms))
		}
		return u[:], nil
	})
}

// functions are the native scalar functions by lower-case name.
var functions = map[string]*Function{}

func init() {
	add := func(name string, sigs ...Signature) { functions[name] = &Function{Name: name, Sigs: sigs} }
	add("now", Signature{Ret: typTimeuuid, Impl: func(c Clock, _ [][]byte) ([]byte, error) {
		u := c.NewTimeuuid()
		return u[:], nil
	}})
	add("currenttimeuuid", functions["now"].Sigs...)
	add("uuid", Signature{Ret: typUUID, Impl: func(Clock, [][]byte) ([]byte, error) {
		u := schema.NewRandomUUID()
		return u[:], nil
	}})
	add("currenttimestamp", Signature{Ret: typTimestamp, Impl: func(c Clock, _ [][]byte) ([]byte, error) {
		return binary.BigEndian.AppendUint64(nil, uint64(FloorDiv(c.Now(), 1000))), nil
	}})
	add("currentdate", Signature{Ret: typDate, Impl: func(c Clock, _ [][]byte) ([]byte, error) {
		days := FloorDiv(c.Now(), 86400e6) + 1<<31
		return binary.BigEndian.AppendUint32(nil, uint32(days)), nil
	}})
	add("currenttime", Signature{Ret: typTime, Impl: func(c Clock, _ [][]byte) ([]byte, error) {
		us := c.Now()
		ns := (us - FloorDiv(us, 86400e6)*86400e6) * 1000
		return binary.BigEndian.AppendUint64(nil, uint64(ns)), nil
	}})
	add("totimestamp",
		Signature{Args: []schema.Type{typTimeuuid}, Ret: typTimestamp, Impl: toTimestampOf(typTimeuuid)},
		Signature{Args: []schema.Type{typDate}, Ret: typTimestamp, Impl: toTimestampOf(typDate)})
	add("todate",
		Signature{Args: []schema.Type{typTimeuuid}, Ret: typDate, Impl: toDateOf(typTimeuuid)},
		Signature{Args: []schema.Type{typTimestamp}, Ret: typDate, Impl: toDateOf(typTimestamp)})
	add("tounixtimestamp",
		Signature{Args: []schema.Type{typTimeuuid}, Ret: typBigint, Impl: toTimestampOf(typTimeuuid)},
		Signature{Args: []schema.Type{typTimestamp}, Ret: typBigint, Impl: toTimestampOf(typTimestamp)},
		Signature{Args: []schema.Type{typDate}, Ret: typBigint, Impl: toTimestampOf(typDate)})
	add("dateof", Signature{Args: []schema.Type{typTimeuuid}, Ret: typTimestamp, Impl: toTimestampOf(typTimeuuid)})
	add("unixtimestampof", Signature{Args: []schema.Type{typTimeuuid}, Ret: typBigint, Impl: toTimestampOf(typTimeuuid)})
	floor := func(in, ret schema.Type, start ...schema.Type) Signature {
		return Signature{Args: append([]schema.Type{in, typDuration}, start...), Ret: ret,
			Impl: func(_ Clock, args [][]byte) ([]byte, error) { return Floor(in.Kind, args) }}
	}
	add("floor", floor(typTimestamp, typTimestamp), floor(typTimestamp, typTimestamp, typTimestamp),
		floor(typTimeuuid, typTimestamp), floor(typTimeuuid, typTimestamp, typTimestamp),
		floor(typDate, typDate), floor(typDate, typDate, typDate), floor(typTime, typTime))
	add("mintimeuuid", Signature{Args: []schema.Type{typTimestamp}, Ret: typTimeuuid, Impl: timeuuidBound(false)})
	add("maxtimeuuid", Signature{Args: []schema.Type{typTimestamp}, Ret: typTimeuuid, Impl: timeuuidBound(true)})
	// typeAsBlob and blobAsType for every native type.
	for k := schema.KindAscii; k <= schema.KindVarint; k++ {
		t := schema.Native(k)
		if k == schema.KindCounter {
			continue
		}
		name := k.String()
		if k != schema.KindBlob {
			add(name+"asblob", Signature{Args: []schema.Type{t}, Ret: typBlob,
				Impl: func(_ Clock, args [][]byte) ([]byte, error) { return args[0], nil }})
		}
		add("blobas"+name, Signature{Args: []schema.Type{typBlob}, Ret: t,
			Impl: func(_ Clock, args [][]byte) ([]byte, error) {
				if args[0] == nil {
					return nil, nil
				}
				if err := schema.Validate(t, args[0]); err != nil {
					return nil, qerr.Convert("", err)
				}
				return args[0], nil
			}})
	}
}

// Native returns the native function of that name (any case), or nil.
func Native(name string) *Function { return functions[strings.ToLower(name)] }
