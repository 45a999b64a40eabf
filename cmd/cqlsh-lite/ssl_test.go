package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wcdb/internal/tlsgen"
	"wcdb/internal/vfs"
	"wcdb/server"
)

// TestSSL connects with --ssl to a node whose CQL port is TLS only and
// requires a client certificate, with the certificates a cqlshrc names;
// without TLS, without the client certificate, or with another CA, the
// shell cannot connect.
func TestSSL(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	if _, err := tlsgen.Generate(vfs.Default, dir, tlsgen.Options{Nodes: 1}); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "other")
	if _, err := tlsgen.Generate(vfs.Default, other, tlsgen.Options{Nodes: 1}); err != nil {
		t.Fatal(err)
	}
	addr := startNode(t, func(c *server.Config) {
		c.ClientEncryption = server.EncryptionOptions{Enabled: true, Keystore: filepath.Join(dir, tlsgen.NodeFile(1)),
			Truststore: filepath.Join(dir, tlsgen.CAFile), RequireClientAuth: true}
	})
	rc := func(body string) string {
		p := filepath.Join(t.TempDir(), "cqlshrc")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := rc("[connection]\n; a comment\n[ssl]\ncertfile = " + filepath.Join(dir, tlsgen.CAFile) +
		"\nvalidate = true\nusercert = " + filepath.Join(dir, tlsgen.ClientCertFile) +
		"\nuserkey: " + filepath.Join(dir, tlsgen.ClientKeyFile) + "\n")
	out := mustRun(t, "", addr, "--ssl", "--cqlshrc", good, "-e", "SELECT key FROM system.local")
	if !strings.Contains(out, "(1 rows)") {
		t.Errorf("--ssl with the cqlshrc's certificates: got\n%s", out)
	}
	// [connection] ssl = true does what --ssl does.
	on := rc("[connection]\nssl = true\n[ssl]\ncertfile = " + filepath.Join(dir, tlsgen.CAFile) +
		"\nusercert = " + filepath.Join(dir, tlsgen.ClientCertFile) + "\nuserkey = " + filepath.Join(dir, tlsgen.ClientKeyFile) + "\n")
	mustRun(t, "", addr, "--cqlshrc", on, "-e", "SELECT key FROM system.local")

	for _, tc := range []struct {
		what string
		args []string
	}{
		{"plaintext", []string{"--cqlshrc", good}},
		{"no client certificate", []string{"--ssl", "--cqlshrc", rc("[ssl]\ncertfile = " + filepath.Join(dir, tlsgen.CAFile) + "\n")}},
		{"another CA", []string{"--ssl", "--cqlshrc", rc("[ssl]\ncertfile = " + filepath.Join(other, tlsgen.CAFile) +
			"\nusercert = " + filepath.Join(dir, tlsgen.ClientCertFile) + "\nuserkey = " + filepath.Join(dir, tlsgen.ClientKeyFile) + "\n")}},
	} {
		_, errOut, code := runShell(t, "", append([]string{addr, "--connect-timeout", "2"}, append(tc.args, "-e", "SELECT key FROM system.local")...)...)
		if code != 1 || !strings.HasPrefix(errOut, "Connection error:") {
			t.Errorf("%s: exit %d, stderr %q; want a connection error", tc.what, code, errOut)
		}
	}
	// --ssl without a CA to validate against is a usage error.
	_, errOut, code := runShell(t, "", addr, "--ssl", "--cqlshrc", rc(""), "-e", "SELECT 1")
	if code != 2 || !strings.Contains(errOut, "certfile") {
		t.Errorf("--ssl without certfile: exit %d, stderr %q", code, errOut)
	}
}
