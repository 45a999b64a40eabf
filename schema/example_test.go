package schema_test

import (
	"bytes"
	"fmt"

	"wcdb/schema"
)

func ExampleParseType() {
	t, err := schema.ParseType("MAP<varchar, frozen<list<list<int>>>>")
	if err != nil {
		panic(err)
	}
	fmt.Println(t, t.IsMultiCell())

	_, err = schema.ParseType("list<list<int>>")
	fmt.Println(err)
	// Output:
	// map<text, frozen<list<frozen<list<int>>>>> true
	// schema: Non-frozen collections are not allowed inside collections: list<list<int>>
}

func ExampleEncode() {
	t, _ := schema.ParseType("map<text, frozen<set<int>>>")
	b, err := schema.Encode(t, []schema.MapEntry{
		{Key: "b", Value: []any{3, 1, 2}},
		{Key: "a", Value: []any{}},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(schema.Format(t, b))
	fmt.Println(schema.Display(t, b))
	// Output:
	// {'a': {}, 'b': {1, 2, 3}}
	// {'a': {}, 'b': {1, 2, 3}}
}

// A table clustered by (day DESC, seq ASC): keys sort as the rows should,
// and a prefix of the key bounds the rows sharing it.
func ExampleClusteringKey() {
	types := []schema.Type{schema.Native(schema.KindDate), schema.Native(schema.KindInt)}
	desc := []bool{true, false}
	row := func(day string, seq int) []byte {
		d, _ := schema.Encode(types[0], day)
		s, _ := schema.Encode(types[1], seq)
		k, err := schema.ClusteringKey(types, desc, [][]byte{d, s})
		if err != nil {
			panic(err)
		}
		return k
	}
	a, b, c := row("2024-01-02", 1), row("2024-01-02", 2), row("2024-01-01", 1)
	fmt.Println(bytes.Compare(a, b), bytes.Compare(b, c))

	d, _ := schema.Encode(types[0], "2024-01-02")
	prefix, _ := schema.ClusteringKey(types, desc, [][]byte{d})
	fmt.Println(bytes.HasPrefix(a, prefix), bytes.HasPrefix(c, prefix))

	vals, _ := schema.SplitClustering(types, desc, b)
	fmt.Println(schema.Format(types[0], vals[0]), schema.Format(types[1], vals[1]))
	// Output:
	// -1 -1
	// true false
	// '2024-01-02' 2
}
