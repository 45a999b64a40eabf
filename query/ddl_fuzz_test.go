package query

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"wcdb/query/ast"
	"wcdb/query/parser"
)

// ddlFuzz is the environment the fuzz targets of one process share; it is
// replaced every so often so that the schema stays small.
var ddlFuzz struct {
	sync.Mutex
	env  *ddlEnv
	runs int
}

// FuzzSchemaStatement runs arbitrary schema statements: none may panic,
// every error must be a request error (a server error would mean the
// statement got past validation and failed in storage), and DESCRIBE's
// output of the resulting schema must parse back.
func FuzzSchemaStatement(f *testing.F) {
	for _, dir := range []string{"testdata/ddl", "testdata/system"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			for _, block := range strings.Split(string(b), "\n\n") {
				if rest, ok := strings.CutPrefix(block, "exec\n"); ok {
					input, _, _ := strings.Cut(rest, "\n----")
					for _, s := range strings.Split(input, ";\n") {
						f.Add(s)
					}
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		st, err := parser.Parse(src)
		if err != nil {
			return
		}
		switch st.(type) {
		case *ast.SelectStmt, *ast.InsertStmt, *ast.UpdateStmt, *ast.DeleteStmt, *ast.BatchStmt:
			return
		}
		ddlFuzz.Lock()
		defer ddlFuzz.Unlock()
		if ddlFuzz.env == nil || ddlFuzz.runs%200 == 0 {
			if ddlFuzz.env != nil {
				ddlFuzz.env.engine.Close()
			}
			// The environment outlives this input's t: it must not
			// register cleanups or report through it later.
			ddlFuzz.env = newDDLEnv(nopTB{t})
			ddlFuzz.env.mustExec("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
			ddlFuzz.env.mustExec("CREATE TABLE ks.t (k int, c int, v text, PRIMARY KEY (k, c))")
		}
		ddlFuzz.runs++
		e := ddlFuzz.env
		e.t = t
		defer func() { e.t = nopTB{t} }()
		e.session.Keyspace = "ks"
		if _, err := e.execStmt(st, nil); err != nil {
			if _, ok := ErrorKindOf(err); !ok {
				t.Fatalf("%s: server error %v", src, err)
			}
			return
		}
		r, err := e.exec("DESCRIBE FULL SCHEMA", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range r.Rows {
			if _, err := parser.ParseAll(string(row[3])); err != nil {
				t.Fatalf("after %s, DESCRIBE output does not parse: %v\n%s", src, err, row[3])
			}
		}
	})
}

// nopTB is a testing.TB whose Cleanup does nothing, for an environment
// that outlives a fuzz input.
type nopTB struct{ testing.TB }

func (nopTB) Cleanup(func()) {}
