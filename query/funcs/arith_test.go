package funcs

import (
	"testing"

	"wcdb/schema"
)

func TestResultKind(t *testing.T) {
	k := func(s string) schema.Kind {
		typ, err := schema.ParseType(s)
		if err != nil {
			t.Fatal(err)
		}
		return typ.Kind
	}
	for _, tc := range [][3]string{
		{"tinyint", "tinyint", "tinyint"},
		{"tinyint", "smallint", "smallint"},
		{"int", "bigint", "bigint"},
		{"counter", "int", "bigint"},
		{"int", "float", "float"},
		{"bigint", "float", "double"},
		{"float", "double", "double"},
		{"varint", "int", "varint"},
		{"varint", "float", "decimal"},
		{"decimal", "tinyint", "decimal"},
	} {
		if got := ResultKind(k(tc[0]), k(tc[1])); got != k(tc[2]) {
			t.Errorf("ResultKind(%s, %s) = %s, want %s", tc[0], tc[1], got, tc[2])
		}
	}
}

func TestDecimalOps(t *testing.T) {
	d := func(s string) schema.Decimal {
		x, err := schema.ParseDecimal(s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	for _, tc := range []struct {
		a    string
		op   byte
		b    string
		want string
	}{
		{"8.5", '/', "1.0", "8.5"},
		{"8.5", '/', "8.5", "1"},
		{"1.0", '/', "8.5", "0.11764705882352941176470588235294"},
		{"10000", '/', "3", "3333.33333333333333333333333333333333"},
		{"8.5", '/', "200000000000000000000000000000000000", "4.25E-35"},
		{"100", '/', "1", "1E+2"},
		{"-2", '/', "3", "-0.66666666666666666666666666666667"},
		{"8.5", '*', "1.0", "8.50"},
		{"8.5", '+', "1.25", "9.75"},
		{"8.5", '%', "3.0", "2.5"},
		{"7", '%', "5.5", "1.5"},
		{"8.50", '%', "1", "0.50"},
		{"-7", '%', "2", "-1"},
		{"2.0", '%', "0.5", "0.0"},
	} {
		got, err := decimalOp(tc.op, d(tc.a), d(tc.b))
		if err != nil || got.String() != tc.want {
			t.Errorf("%s %c %s = %s, %v; want %s", tc.a, tc.op, tc.b, got, err, tc.want)
		}
	}
}
