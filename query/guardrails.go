package query

import "wcdb/query/guardrails"

// Guardrails are the executor's limits on writes (package guardrails).
type Guardrails = guardrails.Guardrails

// DefaultGuardrails returns the node's defaults (guardrails.Default).
func DefaultGuardrails() Guardrails { return guardrails.Default() }
