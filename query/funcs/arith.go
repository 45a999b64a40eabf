package funcs

// Arithmetic as Cassandra's OperationFcts: the operators + - * / % are
// native functions (_add, _substract, _multiply, _divide, _modulo) with
// one overload per pair of numeric types, returning the wider type
// (floating point if either is; decimal or varint past 8 bytes);
// timestamp and date ± duration; text and ascii concatenation with +; and
// unary minus (_negate) per numeric type. An operation computes in its
// result type, as Java does: integers wrap, floats follow IEEE 754,
// decimals divide to 34 digits (MathContext.DECIMAL128), and an integer
// division by zero fails the function.

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"time"

	"wcdb/query/qerr"
	"wcdb/schema"
)

// OpSig is one overload of an operation: Op is + - * / %, or 'n' for
// negation (Right unused).
type OpSig struct {
	Op          byte
	Left, Right schema.Type
	Ret         schema.Type
}

var opNames = map[byte]string{'+': "_add", '-': "_substract", '*': "_multiply", '/': "_divide", '%': "_modulo", 'n': "_negate"}

// FuncName is the operation's function name in the system keyspace.
func (s *OpSig) FuncName() string { return opNames[s.Op] }

// Args returns the argument types.
func (s *OpSig) Args() []schema.Type {
	if s.Op == 'n' {
		return []schema.Type{s.Left}
	}
	return []schema.Type{s.Left, s.Right}
}

// String prints the overload as Cassandra lists functions in messages.
func (s *OpSig) String() string {
	if s.Op == 'n' {
		return fmt.Sprintf("system.%s : (%s) -> %s", s.FuncName(), s.Left, s.Ret)
	}
	return fmt.Sprintf("system.%s : (%s, %s) -> %s", s.FuncName(), s.Left, s.Right, s.Ret)
}

// opNumeric are the numeric types in Cassandra's registration order.
var opNumeric = []schema.Kind{schema.KindTinyint, schema.KindSmallint, schema.KindInt, schema.KindBigint,
	schema.KindFloat, schema.KindDouble, schema.KindDecimal, schema.KindVarint, schema.KindCounter}

// opSize is the byte size Cassandra promotes by (counter as bigint;
// decimal and varint unbounded).
func opSize(k schema.Kind) int {
	switch k {
	case schema.KindTinyint:
		return 1
	case schema.KindSmallint:
		return 2
	case schema.KindInt, schema.KindFloat:
		return 4
	case schema.KindBigint, schema.KindDouble, schema.KindCounter:
		return 8
	}
	return math.MaxInt32
}

// ResultKind is the type of an operation between numeric kinds l and r.
func ResultKind(l, r schema.Kind) schema.Kind {
	size := max(opSize(l), opSize(r))
	if l == schema.KindFloat || l == schema.KindDouble || l == schema.KindDecimal ||
		r == schema.KindFloat || r == schema.KindDouble || r == schema.KindDecimal {
		switch size {
		case 4:
			return schema.KindFloat
		case 8:
			return schema.KindDouble
		}
		return schema.KindDecimal
	}
	switch size {
	case 1:
		return schema.KindTinyint
	case 2:
		return schema.KindSmallint
	case 4:
		return schema.KindInt
	case 8:
		return schema.KindBigint
	}
	return schema.KindVarint
}

var opSigs []OpSig

func init() {
	nat := schema.Native
	for _, l := range opNumeric {
		for _, r := range opNumeric {
			for _, op := range []byte("+-*/%") {
				opSigs = append(opSigs, OpSig{Op: op, Left: nat(l), Right: nat(r), Ret: nat(ResultKind(l, r))})
			}
		}
		opSigs = append(opSigs, OpSig{Op: 'n', Left: nat(l), Ret: nat(l)})
	}
	for _, op := range []byte("+-") {
		for _, t := range []schema.Kind{schema.KindTimestamp, schema.KindDate} {
			opSigs = append(opSigs, OpSig{Op: op, Left: nat(t), Right: nat(schema.KindDuration), Ret: nat(t)})
		}
	}
	for _, l := range []schema.Kind{schema.KindAscii, schema.KindText} {
		for _, r := range []schema.Kind{schema.KindAscii, schema.KindText} {
			ret := schema.KindText
			if l == schema.KindAscii && r == schema.KindAscii {
				ret = schema.KindAscii
			}
			opSigs = append(opSigs, OpSig{Op: '+', Left: nat(l), Right: nat(r), Ret: nat(ret)})
		}
	}
}

// OpSigs returns the overloads of operation op ('n': negation), in
// Cassandra's order.
func OpSigs(op byte) []*OpSig {
	var out []*OpSig
	for i := range opSigs {
		if opSigs[i].Op == op {
			out = append(out, &opSigs[i])
		}
	}
	return out
}

// failed is Cassandra's OperationExecutionException.
func (s *OpSig) failed(msg string) error {
	m := fmt.Sprintf("the operation '%s %c %s' failed: %s", s.Left, s.Op, s.Right, msg)
	return &qerr.Error{Kind: qerr.KindFunctionFailure, Msg: m, Keyspace: "system", Table: s.FuncName()}
}

// Apply computes the operation on serialized arguments (r unused for a
// negation); a null or empty argument gives null.
func (s *OpSig) Apply(l, r []byte) ([]byte, error) {
	if len(l) == 0 || s.Op != 'n' && len(r) == 0 {
		return nil, nil
	}
	switch {
	case s.Op == 'n':
		n, _, err := decodeNum(s.Left.Kind, l)
		if err != nil {
			return nil, err
		}
		return negate(n)
	case s.Right.Kind == schema.KindDuration:
		return s.temporal(l, r)
	case s.Ret.Kind == schema.KindText || s.Ret.Kind == schema.KindAscii:
		return append(append([]byte{}, l...), r...), nil
	}
	a, _, err := decodeNum(s.Left.Kind, l)
	if err != nil {
		return nil, err
	}
	b, _, err := decodeNum(s.Right.Kind, r)
	if err != nil {
		return nil, err
	}
	var x any
	switch s.Ret.Kind {
	case schema.KindTinyint, schema.KindSmallint, schema.KindInt, schema.KindBigint:
		v, err := intOp(s.Op, a.long(), b.long())
		if err != nil {
			return nil, s.failed(err.Error())
		}
		switch s.Ret.Kind {
		case schema.KindTinyint:
			x = int8(v)
		case schema.KindSmallint:
			x = int16(v)
		case schema.KindInt:
			x = int32(v)
		default:
			x = v
		}
	case schema.KindFloat:
		x = floatOp(s.Op, a.float(), b.float())
	case schema.KindDouble:
		x = doubleOp(s.Op, a.double(), b.double())
	case schema.KindVarint:
		v, err := bigOp(s.Op, a.bigIntExact(), b.bigIntExact())
		if err != nil {
			return nil, s.failed(err.Error())
		}
		x = v
	case schema.KindDecimal:
		da, err := a.opDecimal()
		if err == nil {
			var db schema.Decimal
			if db, err = b.opDecimal(); err == nil {
				x, err = decimalOp(s.Op, da, db)
			}
		}
		if err != nil {
			return nil, s.failed(err.Error())
		}
	}
	out, err := schema.Encode(s.Ret, x)
	if err != nil {
		return nil, qerr.Convert("", err)
	}
	return out, nil
}

// bigIntExact is an integral value as a big integer.
func (n num) bigIntExact() *big.Int {
	if n.kind == schema.KindVarint {
		return n.b
	}
	return big.NewInt(n.long())
}

// opDecimal is the value as Cassandra's NumberType.toBigDecimal gives it
// to decimal arithmetic: varint and decimal exactly, the others by way of
// their double (so 1 is 1.0).
func (n num) opDecimal() (schema.Decimal, error) {
	switch n.kind {
	case schema.KindDecimal:
		return n.d, nil
	case schema.KindVarint:
		return schema.Decimal{Unscaled: n.b}, nil
	}
	return decimalOfDouble(n.double())
}

func intOp(op byte, a, b int64) (int64, error) {
	switch op {
	case '+':
		return a + b, nil
	case '-':
		return a - b, nil
	case '*':
		return a * b, nil
	}
	if b == 0 {
		return 0, fmt.Errorf("/ by zero")
	}
	if op == '/' {
		return a / b, nil
	}
	return a % b, nil
}

func floatOp(op byte, a, b float32) float32 {
	switch op {
	case '+':
		return a + b
	case '-':
		return a - b
	case '*':
		return a * b
	case '/':
		return a / b
	}
	return float32(math.Mod(float64(a), float64(b)))
}

func doubleOp(op byte, a, b float64) float64 {
	switch op {
	case '+':
		return a + b
	case '-':
		return a - b
	case '*':
		return a * b
	case '/':
		return a / b
	}
	return math.Mod(a, b)
}

func bigOp(op byte, a, b *big.Int) (*big.Int, error) {
	z := new(big.Int)
	switch op {
	case '+':
		return z.Add(a, b), nil
	case '-':
		return z.Sub(a, b), nil
	case '*':
		return z.Mul(a, b), nil
	}
	if b.Sign() == 0 {
		return nil, fmt.Errorf("BigInteger divide by zero")
	}
	if op == '/' {
		return z.Quo(a, b), nil
	}
	return z.Rem(a, b), nil
}

// negate is the negation of a number in its own type (integers wrap).
func negate(n num) ([]byte, error) {
	t := schema.Native(n.kind)
	var x any
	switch n.kind {
	case schema.KindTinyint:
		x = -int8(n.i)
	case schema.KindSmallint:
		x = -int16(n.i)
	case schema.KindInt:
		x = -int32(n.i)
	case schema.KindBigint, schema.KindCounter:
		x = -n.i
	case schema.KindFloat:
		x = -float32(n.f)
	case schema.KindDouble:
		x = -n.f
	case schema.KindVarint:
		x = new(big.Int).Neg(n.b)
	case schema.KindDecimal:
		u := n.d.Unscaled
		if u == nil {
			u = new(big.Int)
		}
		x = schema.Decimal{Unscaled: new(big.Int).Neg(u), Scale: n.d.Scale}
	}
	out, err := schema.Encode(t, x)
	if err != nil {
		return nil, qerr.Convert("", err)
	}
	return out, nil
}

// temporal is timestamp or date ± duration, as Cassandra's Duration.addTo:
// whole months and days on the UTC calendar, then milliseconds.
func (s *OpSig) temporal(l, r []byte) ([]byte, error) {
	dv, err := schema.Decode(schema.Native(schema.KindDuration), r)
	if err != nil {
		return nil, qerr.Convert("", err)
	}
	d, ok := dv.(schema.Duration)
	if !ok {
		return nil, nil
	}
	var ms int64
	if s.Left.Kind == schema.KindTimestamp {
		if d.Nanos%1e6 != 0 {
			return nil, s.failed("The duration must have a millisecond precision. Was: " + d.String())
		}
		ms = int64(binary.BigEndian.Uint64(l))
	} else {
		if d.Nanos != 0 {
			return nil, s.failed("The duration must have a day precision. Was: " + d.String())
		}
		ms = (int64(binary.BigEndian.Uint32(l)) - 1<<31) * 86400e3
	}
	if s.Op == '-' {
		d = schema.Duration{Months: -d.Months, Days: -d.Days, Nanos: -d.Nanos}
	}
	if d.Months == 0 {
		ms += int64(d.Days)*86400e3 + d.Nanos/1e6
	} else {
		tm := time.UnixMilli(ms).UTC()
		tm = tm.AddDate(0, int(d.Months), 0)
		if tm.Day() != time.UnixMilli(ms).UTC().Day() {
			// Java's Calendar clamps to the month's last day (Jan 31 +
			// 1 month is Feb 28), where Go normalizes into March.
			tm = tm.AddDate(0, 0, -tm.Day())
		}
		tm = tm.AddDate(0, 0, int(d.Days)).Add(time.Duration(d.Nanos/1e6) * time.Millisecond)
		ms = tm.UnixMilli()
	}
	if s.Left.Kind == schema.KindTimestamp {
		return binary.BigEndian.AppendUint64(nil, uint64(ms)), nil
	}
	days := FloorDiv(ms, 86400e3) + 1<<31
	return binary.BigEndian.AppendUint32(nil, uint32(days)), nil
}

// FloorDiv is a/b rounded toward negative infinity (Java's Math.floorDiv),
// so that a time before the epoch falls in the right second or day.
func FloorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
