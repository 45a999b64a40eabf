package main

import (
	"strings"
	"testing"
)

// The bench commands are tested in bench/cli; this test checks that wcdb
// reaches them.
func TestBenchDispatch(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		inStderr string
	}{
		{[]string{"bench", "ycsb", "--db", "nosuch", "--records", "1"}, `--db "nosuch"`},
		{[]string{"bench", "timeline", "--db", "nosuch"}, `--db "nosuch"`},
		{[]string{"bench", "report"}, "no result files given"},
		{[]string{"bench", "nosuch"}, "usage: wcdb bench engine|ycsb|timeline|lwt|report"},
	} {
		if code, out, errOut := runCmd(tc.args...); code != 2 || out != "" || !strings.Contains(errOut, tc.inStderr) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.args, code, out, errOut, tc.inStderr)
		}
	}
}
