package sstabletool

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"wcdb/mutation"
	"wcdb/query/catalog"
	"wcdb/schema"
)

// decoder turns a table's bytes into what people read: with the table's
// schema, CQL values and column names; without it (t nil), hex and
// column ids. Whatever does not decode with the schema (a damaged value, a
// dropped column's cells) is shown in hex too, never hidden.
type decoder struct {
	t *schema.Table
}

func hexOf(b []byte) string { return "0x" + hex.EncodeToString(b) }

// key returns the partition key's components as text (as cqlsh shows
// them; a composite key's components separated by ':' in KeyText).
func (d decoder) key(kb []byte) []string {
	if d.t == nil {
		return []string{hexOf(kb)}
	}
	pk := d.t.PartitionKey()
	comps := [][]byte{kb}
	if len(pk) > 1 {
		var err error
		if comps, err = catalog.SplitPartitionKey(kb, len(pk)); err != nil {
			return []string{hexOf(kb)}
		}
	}
	out := make([]string, len(comps))
	for i, c := range comps {
		out[i] = schema.Display(pk[i].Type, c)
	}
	return out
}

// KeyText is the partition key as -k and -x take it.
func (d decoder) keyText(kb []byte) string { return strings.Join(d.key(kb), ":") }

// clustering returns the values of a clustering key or prefix, as JSON
// values; ok is false when it does not split with the schema (then one hex
// string).
func (d decoder) clustering(c []byte) ([]any, bool) {
	if d.t == nil {
		return []any{hexOf(c)}, false
	}
	types, desc := d.t.ClusteringTypes()
	vals, err := schema.SplitClustering(types, desc, c)
	if err != nil {
		return []any{hexOf(c)}, false
	}
	out := make([]any, len(vals))
	for i, v := range vals {
		out[i] = jsonValue(types[i], v)
	}
	return out, true
}

// clusteringText is clustering as CQL literals separated by ", ".
func (d decoder) clusteringText(c []byte) string {
	if d.t == nil {
		return hexOf(c)
	}
	types, desc := d.t.ClusteringTypes()
	vals, err := schema.SplitClustering(types, desc, c)
	if err != nil {
		return hexOf(c)
	}
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = schema.Format(types[i], v)
	}
	return strings.Join(parts, ", ")
}

// bound is a range tombstone's bound: the clustering prefix it starts or
// ends at and whether it is included.
type bound struct {
	Type       string `json:"type"` // "inclusive" or "exclusive"
	Clustering []any  `json:"clustering"`
	text       string
}

// bound decodes a range tombstone's start (or end) key. The engine keeps
// [start, end) byte ranges; CQL's bounds become them through PrefixEnd (c >
// 5 starts at PrefixEnd(enc(5)), c <= 9 ends there), so a key that does not
// split with the schema is tried as PrefixEnd of one that does.
func (d decoder) bound(b []byte, start bool) bound {
	in, ex := "inclusive", "exclusive"
	if !start {
		in, ex = ex, in // an end key is excluded
	}
	if d.t != nil {
		if vals, ok := d.clustering(b); ok {
			return bound{Type: in, Clustering: vals, text: d.clusteringText(b)}
		}
		if len(b) > 0 && b[len(b)-1] > 0 {
			p := append([]byte(nil), b...)
			p[len(p)-1]--
			for range 16 { // PrefixEnd dropped trailing 0xff bytes
				if vals, ok := d.clustering(p); ok {
					return bound{Type: ex, Clustering: vals, text: d.clusteringText(p)}
				}
				p = append(p, 0xff)
			}
		}
	}
	return bound{Type: in, Clustering: []any{hexOf(b)}, text: hexOf(b)}
}

// column returns the column of a cell, or nil for an unknown (dropped) id.
func (d decoder) column(id uint32) *schema.Column {
	if d.t == nil {
		return nil
	}
	return d.t.ColumnByID(id)
}

// columnName is the column's name, or #id.
func (d decoder) columnName(id uint32) string {
	if c := d.column(id); c != nil {
		return c.Name
	}
	return fmt.Sprintf("#%d", id)
}

// path returns a collection cell's path as a JSON value: a list element's
// timeuuid, a set element or a map key.
func (d decoder) path(id uint32, p []byte) any {
	c := d.column(id)
	if c != nil && !c.Type.IsMultiCell() {
		return versionPath(p)
	}
	if c == nil || !c.Type.IsCollection() {
		return hexOf(p)
	}
	if c.Type.Kind == schema.KindList {
		u, err := schema.ListPathUUID(p)
		if err != nil {
			return hexOf(p)
		}
		return u.String()
	}
	v, rest, err := schema.DecodeComparable(c.Type.Elems[0], p, false)
	if err != nil || len(rest) > 0 {
		return hexOf(p)
	}
	return jsonValue(c.Type.Elems[0], v)
}

// versionPath shows the path of a cell version (a single-cell column's
// cell with a path; mutation/versions.go): "version@" and its timestamp.
func versionPath(p []byte) string {
	if ts, ok := mutation.VersionTimestamp(p); ok {
		return fmt.Sprintf("version@%d", ts)
	}
	return hexOf(p)
}

// pathText is path as a CQL literal.
func (d decoder) pathText(id uint32, p []byte) string {
	c := d.column(id)
	if c != nil && !c.Type.IsMultiCell() {
		return versionPath(p)
	}
	if c == nil || !c.Type.IsCollection() {
		return hexOf(p)
	}
	if c.Type.Kind == schema.KindList {
		if u, err := schema.ListPathUUID(p); err == nil {
			return u.String()
		}
		return hexOf(p)
	}
	v, rest, err := schema.DecodeComparable(c.Type.Elems[0], p, false)
	if err != nil || len(rest) > 0 {
		return hexOf(p)
	}
	return schema.Format(c.Type.Elems[0], v)
}

// valueType is the type of a cell's value: a collection element's for a
// non-frozen collection's cells (the element of a list or a map's value;
// a set's cells have none), the column's otherwise.
func (d decoder) valueType(id uint32, hasPath bool) (schema.Type, bool) {
	c := d.column(id)
	if c == nil {
		return schema.Type{}, false
	}
	if hasPath && c.Type.IsMultiCell() {
		switch c.Type.Kind {
		case schema.KindList:
			return c.Type.Elems[0], true
		case schema.KindMap:
			return c.Type.Elems[1], true
		}
		return schema.Type{}, false
	}
	return c.Type, true
}

// value returns a cell's value as a JSON value.
func (d decoder) value(id uint32, hasPath bool, v []byte) any {
	t, ok := d.valueType(id, hasPath)
	if !ok {
		if len(v) == 0 && hasPath {
			return ""
		}
		return hexOf(v)
	}
	return jsonValue(t, v)
}

// valueText is a cell's value as a CQL literal.
func (d decoder) valueText(id uint32, hasPath bool, v []byte) string {
	t, ok := d.valueType(id, hasPath)
	if !ok {
		if len(v) == 0 && hasPath {
			return "<>" // a set element's cell has no value
		}
		return hexOf(v)
	}
	return schema.Format(t, v)
}

// jsonValue is a serialized value of type t as JSON: numbers and booleans
// as such, strings as strings, everything else as its CQL literal text.
func jsonValue(t schema.Type, v []byte) any {
	if schema.Validate(t, v) != nil {
		return hexOf(v)
	}
	switch t.Kind {
	case schema.KindAscii, schema.KindText:
		return string(v)
	case schema.KindBoolean:
		if len(v) > 0 {
			return v[0] != 0
		}
	case schema.KindTinyint, schema.KindSmallint, schema.KindInt, schema.KindBigint, schema.KindCounter,
		schema.KindVarint, schema.KindDecimal, schema.KindFloat, schema.KindDouble:
		s := schema.Format(t, v)
		if json.Valid([]byte(s)) {
			return json.Number(s)
		}
		return s // NaN, Infinity, an empty value
	}
	return strings.Trim(schema.Format(t, v), "'")
}
