package main

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/gocql/gocql"

	"wcdb/cmd/cqlsh-lite/internal/cqllex"
)

// Tab completion: CQL keywords by their place in the statement, and the
// live schema's names (keyspaces, tables, columns, types, functions) where
// a name goes (complete_ddl.go: types, functions and WITH options). The
// rules read the tokens before the cursor (the statement's earlier lines
// included); they know the common statements' shapes, not the whole
// grammar, and offer nothing rather than something wrong.

// schemaNames is what completion asks of the schema: names as stored.
type schemaNames interface {
	keyspaces() []string
	tables(keyspace string) []string
	columns(keyspace, table string) []string
	types(keyspace string) []string
	functions(keyspace string) []string
}

// completion is one request: the statement before the cursor, what follows
// it on the line, the current keyspace and the schema.
type completion struct {
	before   string // the statement so far, up to the cursor
	after    string // the rest of the line after the cursor
	keyspace string
	schema   schemaNames
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
		"create":      schemaObjects,
		"drop":        schemaObjects,
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

// complete returns the candidates for the word at the cursor: whole
// words, each ending as it should be followed (a space after a keyword or
// a name, a '.' after a keyspace where a table may follow); and the length
// of the word typed so far, which they replace.
func (c completion) complete() (cands []string, wordLen int) {
	word := trailingWord(c.before)
	toks := significantTokens(c.before[:len(c.before)-len(word)])
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
			names(c.schema.tables(identName(toks[len(toks)-2])), " ")
			return
		}
		if c.keyspace != "" {
			names(c.schema.tables(c.keyspace), " ")
		}
		names(c.schema.keyspaces(), ".")
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
		keywords(copyOptionNames[slices.Contains(words, "from")])
	case first == "copy" && last(1) == ")":
		keywords([]string{"TO", "FROM"})
	case first == "copy" && (last(1) == "to" || last(1) == "from"):
		// A file name in quotes, or the terminal.
		keywords([]string{map[string]string{"to": "STDOUT", "from": "STDIN"}[last(1)]})
	case last(1) == "use" || last(1) == "keyspace" && first != "create":
		names(c.schema.keyspaces(), " ")
	case last(1) == "help" || first == "help" || first == "?":
		for topic := range helpTopics {
			out = append(out, topic+" ")
		}
		for topic := range cqlTopics {
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
				names(c.schema.columns(ks, table), " ")
			}
		case columnWords[last(1)] || last(1) == ",":
			names(c.schema.columns(ks, table), " ")
		}
		if table == "" && (first == "select" || first == "delete") && (columnWords[last(1)] || last(1) == ",") {
			// Columns come before FROM: the table may be named after the
			// cursor.
			if ks, table, _ := c.statementTable(significantTokens(c.before + " " + c.after)); table != "" {
				names(c.schema.columns(ks, table), " ")
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
func (c completion) statementTable(toks []cqllex.Token) (ks, table string, after int) {
	for i := 0; i < len(toks); i++ {
		if !tableWords[strings.ToLower(toks[i].Text)] || i+1 >= len(toks) {
			continue
		}
		j := i + 1
		ks, table = c.keyspace, identName(toks[j])
		if j+2 < len(toks) && toks[j+1].Text == "." {
			ks, table = table, identName(toks[j+2])
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

// identName is the name a token stands for: a quoted identifier as
// written, a bare one lower-cased.
func identName(t cqllex.Token) string {
	if t.Kind == cqllex.Ident {
		if n, ok := parseIdent(t.Text); ok {
			return n
		}
	}
	return strings.ToLower(t.Text)
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

// liveSchema reads names from system_schema through the shell's session,
// each list kept for a moment so that repeated tabs do not query again,
// and forgotten when the shell runs DDL. Completion runs in the shell's
// goroutine (liner calls it from Prompt), so the cache needs no lock.
type liveSchema struct {
	sh    *Shell
	cache map[string]cachedNames
}

type cachedNames struct {
	names []string
	at    time.Time
}

// schemaCacheFor is how long a list of names is reused.
const schemaCacheFor = 5 * time.Second

func (l *liveSchema) list(query string, args ...string) []string {
	key := strings.Join(append([]string{query}, args...), "\x00")
	if c, ok := l.cache[key]; ok && time.Since(c.at) < schemaCacheFor {
		return c.names
	}
	// A tab must not hang on a slow node: give up after a second.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	values := make([]any, len(args))
	for i, a := range args {
		values[i] = a
	}
	iter := l.sh.session.Query(query, values...).WithContext(ctx).Consistency(gocql.One).Iter()
	var names []string
	var n string
	for iter.Scan(&n) {
		names = append(names, n)
	}
	if iter.Close() != nil {
		return nil
	}
	slices.Sort(names)
	if l.cache == nil {
		l.cache = map[string]cachedNames{}
	}
	l.cache[key] = cachedNames{names, time.Now()}
	return names
}

func (l *liveSchema) forget() { l.cache = nil }

func (l *liveSchema) keyspaces() []string {
	return l.list("SELECT keyspace_name FROM system_schema.keyspaces")
}

func (l *liveSchema) tables(ks string) []string {
	return l.list("SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?", ks)
}

func (l *liveSchema) columns(ks, table string) []string {
	return l.list("SELECT column_name FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?", ks, table)
}

func (l *liveSchema) types(ks string) []string {
	return l.list("SELECT type_name FROM system_schema.types WHERE keyspace_name = ?", ks)
}

func (l *liveSchema) functions(ks string) []string {
	return l.list("SELECT function_name FROM system_schema.functions WHERE keyspace_name = ?", ks)
}

// completeWord is liner's word completer: the line, the cursor's place in
// it (in runes), and back the text before the word, the candidates for
// it, and the text after the cursor.
func (s *Shell) completeWord(line string, pos int) (head string, cands []string, tail string) {
	r := []rune(line)
	before, after := string(r[:pos]), string(r[pos:])
	c := completion{before: s.partial + fromEditor(before), after: after, keyspace: s.keyspace, schema: s.schema}
	cands, n := c.complete()
	return before[:len(before)-n], cands, after
}
