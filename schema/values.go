package schema

import (
	"wcdb/schema/cqldecimal"
	"wcdb/schema/cqltime"
)

// Decimal is a CQL decimal: Unscaled × 10^-Scale (package cqldecimal).
type Decimal = cqldecimal.Decimal

// ParseDecimal parses a decimal number as Java's BigDecimal(String) does
// (cqldecimal.Parse).
func ParseDecimal(s string) (Decimal, error) {
	d, err := cqldecimal.Parse(s)
	return d, literalError(err)
}

// Duration is a CQL duration (package cqltime has its literal form).
type Duration = cqltime.Duration

// ParseDuration parses a duration in any of Cassandra's forms (units such as
// 1h30m, ISO 8601 such as P1DT2H, P2W and P0001-02-03T04:05:06), as
// cqltime.ParseDuration.
func ParseDuration(s string) (Duration, error) {
	d, err := cqltime.ParseDuration(s)
	return d, literalError(err)
}

// decodeDuration reads a serialized duration (cqltime.DecodeDuration).
func decodeDuration(b []byte) (Duration, error) {
	d, err := cqltime.DecodeDuration(b)
	return d, literalError(err)
}
