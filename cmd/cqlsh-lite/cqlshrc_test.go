package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestCqlshrcSettings: [connection] and [authentication] give the host,
// port, timeouts, login and keyspace where neither the command line nor
// $CQLSH_HOST/$CQLSH_PORT say otherwise, as cqlsh reads them.
func TestCqlshrcSettings(t *testing.T) {
	t.Setenv("CQLSH_HOST", "")
	t.Setenv("CQLSH_PORT", "")
	rc := filepath.Join(t.TempDir(), "cqlshrc")
	if err := os.WriteFile(rc, []byte(`[connection]
hostname = 10.0.0.7
port = 9043
connect_timeout = 7
request_timeout = 30

[authentication]
username = app
password = secret
keyspace = ks1
`), 0o600); err != nil {
		t.Fatal(err)
	}
	o, code, ok := parseArgs([]string{"--cqlshrc", rc}, io.Discard, io.Discard)
	if !ok {
		t.Fatalf("exit %d", code)
	}
	if o.conn.host != "10.0.0.7" || o.conn.port != 9043 || o.conn.user != "app" || o.conn.password != "secret" ||
		!o.passwordGiven || o.keyspace != "ks1" || o.connectTimeout != 7 || o.requestTimeout != 30 {
		t.Errorf("from the cqlshrc: %+v", o)
	}
	// The command line wins, then the environment.
	t.Setenv("CQLSH_PORT", "7000")
	o, _, ok = parseArgs([]string{"--cqlshrc", rc, "-u", "other", "-k", "ks2", "--request-timeout", "3", "h2"}, io.Discard, io.Discard)
	if !ok || o.conn.host != "h2" || o.conn.port != 7000 || o.conn.user != "other" || o.passwordGiven ||
		o.keyspace != "ks2" || o.requestTimeout != 3 || o.connectTimeout != 7 {
		t.Errorf("over the cqlshrc: %+v", o)
	}
	bad := filepath.Join(t.TempDir(), "bad")
	os.WriteFile(bad, []byte("[connection]\nrequest_timeout = soon\n"), 0o600)
	if _, code, ok := parseArgs([]string{"--cqlshrc", bad}, io.Discard, io.Discard); ok || code != 2 {
		t.Errorf("a request_timeout that is not a number: ok %v, exit %d", ok, code)
	}
}
