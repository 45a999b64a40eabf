package term

// INSERT JSON: the document's values as terms of the table's columns.

import (
	"wcdb/query/funcs"
	"wcdb/query/qerr"
	"wcdb/schema"
)

// JSONDoc is the document of INSERT ... JSON: a constant or a bind marker,
// decoded once per execution into the values of the table's columns.
type JSONDoc struct {
	t            *schema.Table
	doc          Term
	defaultUnset bool
}

// NewJSONDoc returns the document doc of an INSERT JSON into t; with
// defaultUnset, columns it leaves out are unset rather than null.
func NewJSONDoc(t *schema.Table, doc Term, defaultUnset bool) *JSONDoc {
	return &JSONDoc{t: t, doc: doc, defaultUnset: defaultUnset}
}

// Field returns the term of column c's value in the document.
func (d *JSONDoc) Field(c *schema.Column) Term { return &jsonField{d: d, col: c} }

// jsonField is one column's value in an INSERT JSON document.
type jsonField struct {
	d   *JSONDoc
	col *schema.Column
}

func (f *jsonField) Eval(b *Binder) ([]byte, error) {
	vals, err := f.d.values(b)
	if err != nil {
		return nil, err
	}
	v, ok := vals[f.col.Name]
	if !ok && f.d.defaultUnset {
		return Unset, nil
	}
	return v, nil
}

// values decodes the document (cached in the binder).
func (d *JSONDoc) values(b *Binder) (map[string][]byte, error) {
	if v, ok := b.json[d]; ok {
		return v, nil
	}
	raw, err := d.doc.Eval(b)
	if err != nil {
		return nil, err
	}
	if raw == nil || IsUnset(raw) {
		return nil, qerr.Invalidf("Got null for INSERT JSON values")
	}
	out, err := funcs.JSONDocValues(d.t, raw)
	if err != nil {
		return nil, err
	}
	if b.json == nil {
		b.json = map[*JSONDoc]map[string][]byte{}
	}
	b.json[d] = out
	return out, nil
}
