// Package complete is cqlsh-lite's tab completion: CQL keywords by
// their place in the statement, and the live schema's names where a name
// goes.
package complete

import (
	"slices"
	"strings"

	"wcdb/cmd/cqlsh-lite/internal/cqllex"
)

// Tab completion: CQL keywords by their place in the statement, and the
// live schema's names (keyspaces, tables, columns, types, functions) where
// a name goes (complete_ddl.go: types, functions and WITH options). The
// rules read the tokens before the cursor (the statement's earlier lines
// included); they know the common statements' shapes, not the whole
// grammar, and offer nothing rather than something wrong.

// Schema is what completion asks of the schema: names as stored.
type Schema interface {
	Keyspaces() []string
	Tables(keyspace string) []string
	Columns(keyspace, table string) []string
	Types(keyspace string) []string
	Functions(keyspace string) []string
}

// Request is one completion: the statement before the cursor, what
// follows it on the line, the current keyspace and the schema; the
// shell's HELP topics and COPY's options (by direction, true for FROM).
type Request struct {
	Before   string // the statement so far, up to the cursor
	After    string // the rest of the line after the cursor
	Keyspace string
	Schema   Schema
	Help     []string
	Copy     map[bool][]string
}

var (
	statementStarts = []string{
		"SELECT", "INSERT", "UPDATE", "DELETE", "BEGIN", "CREATE", "ALTER", "DROP",
		"TRUNCATE", "USE", "GRANT", "REVOKE", "LIST", "DESCRIBE", "DESC",
		"CONSISTENCY", "SERIAL", "PAGING", "EXPAND", "SHOW", "CAPTURE", "LOGIN",
		"SOURCE", "HELP", "CLEAR", "EXIT", "QUIT", "COPY", "TRACING",
	}
	batchStarts    = []string{"INSERT", "UPDATE", "DELETE", "APPLY"}
	consistencyLvs = []string{"ANY", "ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_ONE", "LOCAL_QUORUM", "EACH_QUORUM", "SERIAL", "LOCAL_SERIAL"}
	schemaObjects  = []string{"KEYSPACE", "TABLE", "ROLE", "USER"}
	// afterWord are the keywords that may follow a keyword, by that
	// keyword (lower case).
	afterWord = map[string][]string{
		"insert":      {"INTO"},
		"begin":       {"BATCH", "UNLOGGED", "COUNTER"},
		"unlogged":    {"BATCH"},
		"counter":     {"BATCH"},
		"apply":       {"BATCH"},
		"create":      append(slices.Clip(schemaObjects), "INDEX", "CUSTOM"),
		"custom":      {"INDEX"},
		"drop":        append(slices.Clip(schemaObjects), "INDEX"),
		"alter":       schemaObjects,
		"describe":    {"KEYSPACES", "KEYSPACE", "TABLES", "TABLE", "CLUSTER", "SCHEMA", "FULL"},
		"desc":        {"KEYSPACES", "KEYSPACE", "TABLES", "TABLE", "CLUSTER", "SCHEMA", "FULL"},
		"full":        {"SCHEMA"},
		"consistency": consistencyLvs,
		"serial":      {"CONSISTENCY"},
		"paging":      {"ON", "OFF"},
		"expand":      {"ON", "OFF"},
		"tracing":     {"ON", "OFF"},
		"show":        {"VERSION", "HOST", "SESSION"},
		"capture":     {"OFF"},
		"if":          {"NOT", "EXISTS"},
		"not":         {"EXISTS"},
		"order":       {"BY"},
		"group":       {"BY"},
		"allow":       {"FILTERING"},
		"using":       {"TTL", "TIMESTAMP"},
		"primary":     {"KEY"},
		"per":         {"PARTITION"},
		"partition":   {"LIMIT"},
		"list":        {"ROLES", "USERS", "ALL"},
	}
	// tableWords are the words a table name follows.
	tableWords = map[string]bool{"from": true, "into": true, "update": true, "truncate": true, "table": true, "columnfamily": true, "copy": true}
	// columnWords are the words a column name follows, once the table is
	// known.
	columnWords = map[string]bool{"where": true, "and": true, "set": true, "by": true, "if": true, "select": true, "distinct": true, "delete": true}
	// clauses are the keywords offered after a table name, by statement.
	clauses = map[string][]string{
		"select":   {"WHERE", "LIMIT", "PER", "GROUP", "ORDER", "ALLOW"},
		"update":   {"SET", "USING", "WHERE", "IF"},
		"delete":   {"USING", "WHERE", "IF"},
		"insert":   {"(", "JSON"},
		"alter":    {"ADD", "DROP", "RENAME", "WITH"},
		"copy":     {"(", "TO", "FROM"},
		"describe": nil, "desc": nil, "truncate": nil, "drop": nil, "create": nil,
	}
)

// Complete's candidates end as they should be followed: a space after a
// keyword or a name, a '.' after a keyspace where a table may follow.
// Complete returns the candidates for the word at the cursor: whole
// words, each ending as it should be followed; and the length of the
// word typed so far, which they replace.
func (c Request) Complete() (cands []string, wordLen int) {
	word := trailingWord(c.Before)
	toks := significantTokens(c.Before[:len(c.Before)-len(word)])
	// The statement starts afresh after a ';' inside a batch.
	start := 0
	for i, t := range toks {
		if t.Text == ";" {
			start = i + 1
		}
	}
	toks = toks[start:]
	words := make([]string, len(toks))
	for i, t := range toks {
		words[i] = strings.ToLower(t.Text)
	}
	last := func(n int) string {
		if n >= 1 && len(words) >= n {
			return words[len(words)-n]
		}
		return ""
	}
	var out []string
	names := func(list []string, suffix string) {
		for _, n := range list {
			out = append(out, quoteName(n)+suffix)
		}
	}
	keywords := func(list []string) {
		for _, k := range list {
			out = append(out, k+" ")
		}
	}
	tableRef := func() {
		// After a keyspace and '.', its tables; else the current
		// keyspace's tables and the keyspaces.
		if last(1) == "." && len(toks) >= 2 {
			names(c.Schema.Tables(cqllex.IdentName(toks[len(toks)-2])), " ")
			return
		}
		if c.Keyspace != "" {
			names(c.Schema.Tables(c.Keyspace), " ")
		}
		names(c.Schema.Keyspaces(), ".")
	}
	first := last(len(words))
	ddl, isDDL := c.ddlCandidates(toks, words)
	valueAt := last(1) == "=" || last(1) == "<" || last(1) == ">" ||
		first == "insert" && slices.Contains(words, "values") && (last(1) == "(" || last(1) == ",")
	switch {
	case len(words) == 0 && start > 0:
		keywords(batchStarts)
	case len(words) == 0:
		keywords(statementStarts)
	case first == "copy" && (last(1) == "with" || last(1) == "and"):
		keywords(c.Copy[slices.Contains(words, "from")])
	case first == "copy" && last(1) == ")":
		keywords([]string{"TO", "FROM"})
	case first == "copy" && (last(1) == "to" || last(1) == "from"):
		// A file name in quotes, or the terminal.
		keywords([]string{map[string]string{"to": "STDOUT", "from": "STDIN"}[last(1)]})
	case last(1) == "use" || last(1) == "keyspace" && first != "create":
		names(c.Schema.Keyspaces(), " ")
	case last(1) == "help" || first == "help" || first == "?":
		for _, topic := range c.Help {
			out = append(out, topic+" ")
		}
		slices.Sort(out)
	case tableWords[last(1)] || tableWords[last(3)] && last(1) == ".":
		if (first == "create" || last(2) == "create") && last(1) == "table" {
			break // a new table's name
		}
		tableRef()
	case last(2) == "serial" && last(1) == "consistency":
		keywords([]string{"SERIAL", "LOCAL_SERIAL"})
	case isDDL:
		out = ddl
	case first != "create" && first != "alter" && valueAt:
		out = c.functionNames()
	case afterWord[last(1)] != nil:
		keywords(afterWord[last(1)])
	default:
		ks, table, at := c.statementTable(toks)
		switch {
		case table == "":
		case at == len(toks): // just after the table's name
			keywords(clauses[first])
		case first == "insert" || first == "copy":
			// The column list, between the table and VALUES (or TO/FROM).
			if (last(1) == "(" && at == len(toks)-1 || last(1) == ",") && !slices.Contains(words, "values") {
				names(c.Schema.Columns(ks, table), " ")
			}
		case columnWords[last(1)] || last(1) == ",":
			names(c.Schema.Columns(ks, table), " ")
		}
		if table == "" && (first == "select" || first == "delete") && (columnWords[last(1)] || last(1) == ",") {
			// Columns come before FROM: the table may be named after the
			// cursor.
			if ks, table, _ := c.statementTable(significantTokens(c.Before + " " + c.After)); table != "" {
				names(c.Schema.Columns(ks, table), " ")
			}
			if last(1) == "select" {
				keywords([]string{"*", "DISTINCT", "JSON"})
			}
			if first == "select" {
				out = append(out, c.functionNames()...)
				out = append(out, selectorFunctions...)
			}
		}
		if table == "" && first == "select" && !columnWords[last(1)] && last(1) != "," && last(1) != "(" {
			keywords([]string{"FROM"}) // after a selector
		}
	}
	return matchPrefix(out, word), len(word)
}

// statementTable finds the table a statement names (after FROM, INTO,
// UPDATE or TABLE): its keyspace (the current one if not given), its name,
// and the index of the token after it.
func (c Request) statementTable(toks []cqllex.Token) (ks, table string, after int) {
	for i := 0; i < len(toks); i++ {
		if !tableWords[strings.ToLower(toks[i].Text)] || i+1 >= len(toks) {
			continue
		}
		j := i + 1
		ks, table = c.Keyspace, cqllex.IdentName(toks[j])
		if j+2 < len(toks) && toks[j+1].Text == "." {
			ks, table = table, cqllex.IdentName(toks[j+2])
			j += 2
		}
		if toks[j].Kind == cqllex.Word || toks[j].Kind == cqllex.Ident {
			return ks, table, j + 1
		}
	}
	return "", "", 0
}

// trailingWord is the word the cursor is at the end of: letters, digits
// and _, or a quoted identifier begun and not closed.
func trailingWord(s string) string {
	toks := cqllex.Lex(s)
	if len(toks) == 0 {
		return ""
	}
	t := toks[len(toks)-1]
	if t.Kind == cqllex.Word || (t.Kind == cqllex.Ident || t.Kind == cqllex.String) && t.Open {
		return t.Text
	}
	return ""
}

func significantTokens(s string) []cqllex.Token {
	var out []cqllex.Token
	for _, t := range cqllex.Lex(s) {
		if t.Significant() {
			out = append(out, t)
		}
	}
	return out
}

// quoteName writes a name as CQL needs it: bare when it is lower case
// letters, digits and _ (not starting with a digit), else in double
// quotes.
func quoteName(n string) string {
	bare := n != "" && !('0' <= n[0] && n[0] <= '9')
	for i := 0; i < len(n) && bare; i++ {
		c := n[i]
		bare = 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_'
	}
	if bare {
		return n
	}
	return `"` + strings.ReplaceAll(n, `"`, `""`) + `"`
}

// matchPrefix keeps the candidates that start with word, ignoring case
// for bare words; keywords take the case of a lower-case word.
func matchPrefix(cands []string, word string) []string {
	var out []string
	lower := word != "" && word == strings.ToLower(word) && !strings.HasPrefix(word, `"`)
	for _, c := range cands {
		ok := strings.HasPrefix(c, word)
		if !ok && !strings.HasPrefix(word, `"`) {
			// A bare word matches without case, and matches a quoted
			// name's letters: o completes to "Other".
			bare := strings.ToLower(strings.TrimPrefix(c, `"`))
			ok = strings.HasPrefix(bare, strings.ToLower(word))
		}
		if !ok {
			continue
		}
		if lower && c == strings.ToUpper(c) {
			c = strings.ToLower(c)
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}
