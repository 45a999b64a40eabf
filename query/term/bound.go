package term

import "wcdb/query/qerr"

// BoundValues returns a request's bound values in marker order (specs):
// values as they are, or, with names, each marker's value found by its
// name. prepared chooses Cassandra's message for a wrong count.
func BoundValues(specs []ColumnSpec, values [][]byte, names []string, prepared bool) ([][]byte, error) {
	if len(names) > 0 {
		if len(names) != len(values) {
			return nil, &qerr.Error{Kind: qerr.KindProtocol, Msg: "query: named values and names differ in number"}
		}
		byName := make([][]byte, 0, len(specs))
		for _, sp := range specs {
			found := false
			for j, n := range names {
				if n == sp.Name {
					byName = append(byName, values[j])
					found = true
					break
				}
			}
			if !found {
				return nil, qerr.Invalidf("No value has been provided for bind variable %s", sp.Name)
			}
		}
		values = byName
	}
	if len(values) != len(specs) {
		if prepared {
			return nil, qerr.Invalidf("there were %d markers(?) in CQL but %d bound variables", len(specs), len(values))
		}
		return nil, qerr.Invalidf("Invalid amount of bind variables")
	}
	return values, nil
}
