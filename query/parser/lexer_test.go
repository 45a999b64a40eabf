package parser

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"wcdb/query/ast"
)

// lexString renders the tokens of src as kind:text pairs.
func lexString(src string) string {
	toks, err := lex(src, nil)
	var parts []string
	for _, t := range toks {
		text := src[t.start:t.end]
		switch t.kind {
		case tEOF:
			parts = append(parts, "EOF")
			continue
		case tError:
			parts = append(parts, "ERROR")
			continue
		case tIdent:
			if t.kw != kwNone {
				parts = append(parts, fmt.Sprintf("K_%s:%s", keywordNames[t.kw], text))
				continue
			}
		}
		parts = append(parts, fmt.Sprintf("%s:%s", strings.Trim(tokNames[t.kind], "'"), text))
	}
	s := strings.Join(parts, " ")
	if err != nil {
		s += " / " + err.Error()
	}
	return s
}

func TestLex(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"SELECT * FROM t", "K_SELECT:SELECT *:* K_FROM:FROM IDENT:t EOF"},
		{"select Key, \"Key\", \"a\"\"b\", \"\"", `K_SELECT:select K_KEY:Key ,:, QUOTED_NAME:"Key" ,:, QUOTED_NAME:"a""b" ,:, QUOTED_NAME:"" EOF`},
		{"table schema columnfamily columnfamilies", "K_COLUMNFAMILY:table K_SCHEMA:schema K_COLUMNFAMILY:columnfamily K_TABLES:columnfamilies EOF"},
		{"'a''b' $$x'y$$ ''", "STRING_LITERAL:'a''b' STRING_LITERAL:$$x'y$$ STRING_LITERAL:'' EOF"},
		{"1 -1 1.5 -1.5 1. 1e5 1E-5 1.5e+3", "INTEGER:1 INTEGER:-1 FLOAT:1.5 FLOAT:-1.5 FLOAT:1. FLOAT:1e5 FLOAT:1E-5 FLOAT:1.5e+3 EOF"},
		{"a-1 a - 1 a -1", "IDENT:a INTEGER:-1 IDENT:a -:- INTEGER:1 IDENT:a INTEGER:-1 EOF"},
		{"1..2 1...2 1.5..2", "INTEGER:1 RANGE:.. INTEGER:2 FLOAT:1. RANGE:.. INTEGER:2 FLOAT:1.5 RANGE:.. INTEGER:2 EOF"},
		{"1e 1ex", "INTEGER:1 IDENT:e INTEGER:1 IDENT:ex EOF"},
		{"NaN -NaN nan Infinity -infinity", "K_NAN:NaN K_NAN:-NaN K_NAN:nan K_INFINITY:Infinity K_INFINITY:-infinity EOF"},
		{"true FALSE trueish", "BOOLEAN:true BOOLEAN:FALSE IDENT:trueish EOF"},
		{"0x 0xCAFE 0Xff 0x12zz", "HEXNUMBER:0x HEXNUMBER:0xCAFE HEXNUMBER:0Xff HEXNUMBER:0x12 IDENT:zz EOF"},
		{"123e4567-e89b-12d3-a456-426614174000 deadbeef-dead-beef-dead-beefdeadbeef", "UUID:123e4567-e89b-12d3-a456-426614174000 UUID:deadbeef-dead-beef-dead-beefdeadbeef EOF"},
		{"deadbeef-dead", "IDENT:deadbeef -:- IDENT:dead EOF"},
		{"1h30m -2d 3mo 4ms 5us 6µs 7ns 8Y 9w 10s", "DURATION:1h30m DURATION:-2d DURATION:3mo DURATION:4ms DURATION:5us DURATION:6µs DURATION:7ns DURATION:8Y DURATION:9w DURATION:10s EOF"},
		{"P1Y2M3DT4H5M6S PT1H P2W -P1D P pT1H P1H", "DURATION:P1Y2M3DT4H5M6S DURATION:PT1H DURATION:P2W DURATION:-P1D IDENT:P IDENT:pT1H IDENT:P1H EOF"},
		{"P0001-02-03T04:05:06 -P0000-00-01T00:00:00 P0001-02-03", "DURATION:P0001-02-03T04:05:06 DURATION:-P0000-00-01T00:00:00 IDENT:P0001 INTEGER:-02 INTEGER:-03 EOF"},
		{"? :name : = != < <= > >= + += - -= * / % ; , . ( ) [ ] { }", "QMARK:? ::: IDENT:name ::: =:= !=:!= <:< <=:<= >:> >=:>= +:+ +=:+= -:- -=:-= *:* /:/ %:% ;:; ,:, .:. (:( ):) [:[ ]:] {:{ }:} EOF"},
		{"map<text,frozen<list<int>>>", "K_MAP:map <:< K_TEXT:text ,:, K_FROZEN:frozen <:< K_LIST:list <:< K_INT:int >:> >:> >:> EOF"},
		{"a -- comment\nb // comment\nc /* multi\nline */ d", "IDENT:a IDENT:b IDENT:c IDENT:d EOF"},
		{"a --no newline at end", "IDENT:a EOF"},
		{"x@", "IDENT:x ERROR / line 1:1 no viable alternative at character '@'"},
		{"x\n  'open", "IDENT:x ERROR / line 2:7 mismatched character '<EOF>' expecting '''"},
		{"a\tb\r\nc", "IDENT:a IDENT:b IDENT:c EOF"},
		{"\f", "ERROR / line 1:0 no viable alternative at character '\f'"},
		{"é", "ERROR / line 1:0 no viable alternative at character 'é'"},
	} {
		if got := lexString(tc.src); got != tc.want {
			t.Errorf("lex(%q)\n got %s\nwant %s", tc.src, got, tc.want)
		}
	}
}

func TestLexPositions(t *testing.T) {
	src := "SELECT\n  a,\r\n\t\"é\" /* x\ny */ ,ü"
	toks, _ := lex(src, nil)
	var got []string
	for _, tk := range toks {
		got = append(got, fmt.Sprintf("%d:%d", tk.line, tokenCol(src, tk)))
	}
	want := "1:0 2:2 2:3 3:1 4:5 4:6" // the last is the error at ü
	if strings.Join(got, " ") != want {
		t.Errorf("positions %v, want %s", got, want)
	}
	for off, want := range map[int]string{0: "1:0", 7: "2:0", 12: "2:5", 13: "3:0", 17: "3:3", len(src): "4:7"} {
		line, col := lineCol(src, off)
		if got := fmt.Sprintf("%d:%d", line, col); got != want {
			t.Errorf("lineCol(%d) = %s, want %s", off, got, want)
		}
	}
}

// cassandraReserved is Cassandra 4.x's
// src/resources/org/apache/cassandra/cql3/reserved_keywords.txt.
var cassandraReserved = strings.Fields(`ADD ALLOW ALTER AND APPLY ASC AUTHORIZE BATCH BEGIN BY
COLUMNFAMILY CREATE DELETE DESC DESCRIBE DROP ENTRIES EXECUTE FROM FULL GRANT IF IN INDEX
INFINITY INSERT INTO IS KEYSPACE LIMIT MATERIALIZED MODIFY NAN NORECURSIVE NOT NULL OF ON OR
ORDER PRIMARY RENAME REVOKE SCHEMA SELECT SET TABLE TO TOKEN TRUNCATE UNLOGGED UPDATE USE USING
VIEW WHERE WITH`)

func TestReservedKeywords(t *testing.T) {
	want := map[string]bool{}
	for _, w := range cassandraReserved {
		want[strings.ToLower(w)] = true
	}
	var got []string
	for _, e := range keywordTable {
		w, kw := e.word, e.kw
		if kw.reserved() {
			got = append(got, w)
			if !want[w] {
				t.Errorf("%q is reserved here but not in Cassandra", w)
			}
		}
	}
	for w := range want {
		if !lookupKeyword(w).reserved() {
			t.Errorf("%q is reserved in Cassandra but not here", w)
		}
	}
	sort.Strings(got)
	if len(got) != len(want) {
		t.Errorf("%d reserved words, want %d: %v", len(got), len(want), got)
	}
}

func TestUnreservedKeywordsAreIdentifiers(t *testing.T) {
	// Names that system tables and applications use for columns, all
	// unreserved in Cassandra.
	for _, name := range strings.Fields(`key keys type types kind position value values time date
		timestamp text list map ttl writetime count json distinct as static frozen filtering exists
		custom cluster clustering compact storage contains function functions aggregate language
		input called returns options password login user users role roles superuser all permissions
		partition per group like default unset replace trigger tuple access datacenters duration
		counter ascii bigint blob boolean decimal double float inet int smallint tinyint uuid
		timeuuid varchar varint initcond sfunc stype finalfunc internals only mbean mbeans cast`) {
		st, err := Parse("SELECT " + name + " FROM " + name + "." + name + " WHERE " + name + " = 1")
		if err != nil {
			t.Errorf("%s as an identifier: %v", name, err)
			continue
		}
		if got, want := ast.QuoteIdent(name), name; got != want {
			t.Errorf("QuoteIdent(%q) = %q, want it bare", name, got)
		}
		if s := st.(*ast.SelectStmt); s.Table.Keyspace != name || s.Where[0].Column != name {
			t.Errorf("%s: got %s", name, st)
		}
	}
}

func TestQuoteIdent(t *testing.T) {
	for name, want := range map[string]string{
		"a":       "a",
		"a1_b":    "a1_b",
		"A":       `"A"`,
		"1a":      `"1a"`,
		"_a":      `"_a"`,
		"a-b":     `"a-b"`,
		`a"b`:     `"a""b"`,
		"":        `""`,
		"select":  `"select"`,
		"table":   `"table"`,
		"token":   `"token"`,
		"true":    `"true"`,
		"nan":     `"nan"`,
		"key":     "key",
		"ünïcödé": `"ünïcödé"`,
	} {
		if got := ast.QuoteIdent(name); got != want {
			t.Errorf("QuoteIdent(%q) = %s, want %s", name, got, want)
		}
		if name == "" {
			continue
		}
		// Whatever the quoting, the name must read back unchanged.
		st, err := Parse("SELECT " + ast.QuoteIdent(name) + " FROM t")
		if err != nil {
			t.Errorf("SELECT %s: %v", ast.QuoteIdent(name), err)
			continue
		}
		if got := st.(*ast.SelectStmt).Selectors[0].Expr.(*ast.ColumnRef).Name; got != name {
			t.Errorf("%s reads back as %q, want %q", ast.QuoteIdent(name), got, name)
		}
	}
	if got, want := ast.QuoteString("it's"), "'it''s'"; got != want {
		t.Errorf("QuoteString = %s, want %s", got, want)
	}
}

func TestLexNoAllocs(t *testing.T) {
	src := "SELECT a, \"B\", 'it''s' FROM ks.t WHERE k = ? AND c IN (1, 2.5, 0xff) LIMIT 10"
	toks := make([]token, 0, 64)
	allocs := testing.AllocsPerRun(100, func() {
		toks, _ = lex(src, toks[:0])
	})
	if allocs != 0 {
		t.Errorf("lex allocates %v times per run, want 0", allocs)
	}
}

func BenchmarkLex(b *testing.B) {
	const q = "SELECT id, name, email, created_at FROM app.users WHERE tenant = ? AND id IN (?, ?, ?) AND created_at > '2024-01-01' LIMIT 100"
	toks := make([]token, 0, 64)
	b.ReportAllocs()
	b.SetBytes(int64(len(q)))
	for b.Loop() {
		toks, _ = lex(q, toks[:0])
	}
}
