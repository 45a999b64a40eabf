package cql

import (
	"reflect"

	"wcdb/internal/memsize"
	"wcdb/query"
)

// Measuring what a prepared statement holds, so that the prepared cache
// is bounded in bytes (internal/memsize; Cassandra measures its prepared
// statements with jamm's measureDeep for the same purpose). Schema
// metadata the plan points to (tables, keyspaces, columns) and the
// executor are shared by every statement and the catalog, so they are not
// charged to any one statement (as Cassandra leaves TableMetadata
// unmetered); pieces of the query text cost nothing beyond it.
// TestPreparedSizeIsHonest checks the measure against the heap.

// preparedEntryOverhead is the cache's own memory per statement: the list
// element, the map slot and the entry.
const preparedEntryOverhead = 160

// preparedSize returns the bytes p holds, or a number over limit (and
// true) as soon as it is known to exceed limit: a statement too large for
// the cache is not walked to its end.
func preparedSize(p *query.Prepared, limit int64) (int64, bool) {
	n, over := memsize.Measure(p, limit-preparedEntryOverhead, memsize.Options{Text: p.Query, Skip: unmetered})
	return n + preparedEntryOverhead, over
}

// unmetered reports whether pointers to t lead to shared state that no
// one statement is charged for: the schema and the catalog, roles, the
// executor.
func unmetered(t reflect.Type) bool {
	switch t.PkgPath() {
	case "wcdb/schema", "wcdb/query/catalog", "wcdb/auth":
		return true
	case "wcdb/query":
		return t.Name() == "Executor" || t.Name() == "execClock"
	}
	return false
}
