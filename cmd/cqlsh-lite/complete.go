package main

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/gocql/gocql"

	"wcdb/cmd/cqlsh-lite/internal/complete"
)

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

func (l *liveSchema) Keyspaces() []string {
	return l.list("SELECT keyspace_name FROM system_schema.keyspaces")
}

func (l *liveSchema) Tables(ks string) []string {
	return l.list("SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?", ks)
}

func (l *liveSchema) Columns(ks, table string) []string {
	return l.list("SELECT column_name FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?", ks, table)
}

func (l *liveSchema) Types(ks string) []string {
	return l.list("SELECT type_name FROM system_schema.types WHERE keyspace_name = ?", ks)
}

func (l *liveSchema) Functions(ks string) []string {
	return l.list("SELECT function_name FROM system_schema.functions WHERE keyspace_name = ?", ks)
}

// shellHelpTopics are the topics HELP takes: the shell's commands and CQL's.
func shellHelpTopics() []string {
	return slices.Concat(slices.Collect(maps.Keys(helpTopics)), slices.Collect(maps.Keys(cqlTopics)))
}

// completeWord is liner's word completer: the line, the cursor's place in
// it (in runes), and back the text before the word, the candidates for
// it, and the text after the cursor.
func (s *Shell) completeWord(line string, pos int) (head string, cands []string, tail string) {
	r := []rune(line)
	before, after := string(r[:pos]), string(r[pos:])
	c := complete.Request{Before: s.partial + fromEditor(before), After: after, Keyspace: s.keyspace, Schema: s.schema,
		Help: shellHelpTopics(), Copy: copyOptionNames}
	cands, n := c.Complete()
	return before[:len(before)-n], cands, after
}
