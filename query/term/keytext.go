package term

import (
	"strings"

	"wcdb/query/ast"
	"wcdb/query/qerr"
	"wcdb/schema"
)

// KeyComponents reads a partition key written as nodetool getendpoints
// takes it: each component of the key (columns pk of table, named for
// messages) as text, no quotes, components separated by ':'. It returns
// the serialized components.
func KeyComponents(table string, pk []schema.Column, key string) ([][]byte, error) {
	parts := []string{key}
	if len(pk) > 1 {
		parts = strings.Split(key, ":")
		if len(parts) != len(pk) {
			return nil, qerr.Invalidf("the partition key of %s has %d components, %q has %d (separate them with ':')",
				table, len(pk), key, len(parts))
		}
	}
	comps := make([][]byte, len(pk))
	for i, c := range pk {
		v, err := LiteralValue(textConstant(parts[i], c.Type), Receiver{Name: c.Name, Type: c.Type})
		if err != nil {
			return nil, err
		}
		comps[i] = v
	}
	return comps, nil
}

// textConstant reads s as a constant of type t, as a string literal for
// the types CQL writes quoted.
func textConstant(s string, t schema.Type) *ast.Constant {
	switch t.Kind {
	case schema.KindTinyint, schema.KindSmallint, schema.KindInt, schema.KindBigint, schema.KindVarint,
		schema.KindCounter:
		return &ast.Constant{Kind: ast.IntegerConst, Text: s}
	case schema.KindFloat, schema.KindDouble, schema.KindDecimal:
		if isIntegerText(s) {
			return &ast.Constant{Kind: ast.IntegerConst, Text: s}
		}
		return &ast.Constant{Kind: ast.FloatConst, Text: s}
	case schema.KindBoolean:
		return &ast.Constant{Kind: ast.BooleanConst, Text: strings.ToLower(s)}
	case schema.KindUUID, schema.KindTimeuuid:
		return &ast.Constant{Kind: ast.UUIDConst, Text: s}
	case schema.KindBlob:
		if !strings.HasPrefix(s, "0x") && !strings.HasPrefix(s, "0X") {
			s = "0x" + s
		}
		return &ast.Constant{Kind: ast.HexConst, Text: s}
	}
	return &ast.Constant{Kind: ast.StringConst, Text: s}
}

func isIntegerText(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
