package main

import (
	"bytes"
	"crypto/x509"
	"path/filepath"
	"strings"
	"testing"

	"wcdb/internal/tlsgen"
	"wcdb/internal/vfs"
)

func TestTLSGenCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	runTLS := func(args ...string) (code int, stdout, stderr string) {
		var out, errOut bytes.Buffer
		code = run(append([]string{"tls", "gen", "--dir", dir}, args...), &out, &errOut)
		return code, out.String(), errOut.String()
	}

	code, out, errOut := runTLS("--ips", "127.0.0.1,127.0.0.2", "--hosts", "localhost,db.local", "--days", "30")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	for _, want := range []string{"ca.pem", "ca-key.pem", "node1.pem", "node2.pem", "client.pem", "client-cert.pem",
		"client-key.pem", "admin.pem", "client_encryption_options:", "server_encryption_options:", "[ssl]",
		"certfile = " + filepath.Join(dir, "ca.pem"), "usercert = ", "userkey = "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "node3.pem") {
		t.Errorf("--ips with two addresses made a third node:\n%s", out)
	}

	roots, err := tlsgen.LoadTruststore(vfs.Default, filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"node1.pem", "node2.pem", "client.pem", "admin.pem"} {
		c, err := tlsgen.LoadKeystore(vfs.Default, filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if name == "node2.pem" {
			if err := c.Leaf.VerifyHostname("db.local"); err != nil {
				t.Errorf("--hosts: %v", err)
			}
			if got := c.Leaf.NotAfter.Sub(c.Leaf.NotBefore).Hours(); got != 30*24+1 {
				t.Errorf("--days 30: valid %v hours, want %v", got, 30*24+1)
			}
		}
	}

	// A second run keeps the CA; --force replaces it.
	if code, _, errOut := runTLS(); code != 1 || !strings.Contains(errOut, "--force") {
		t.Errorf("second run: exit %d, stderr %q; want 1 and a hint of --force", code, errOut)
	}
	if code, out, errOut := runTLS("--force", "--nodes", "1"); code != 0 || !strings.Contains(out, "node1.pem") {
		t.Errorf("--force: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	for _, args := range [][]string{
		{"--days", "0"},
		{"--nodes", "3", "--ips", "10.0.0.1"},
		{"--ips", "10.0.0.x"},
		{"extra"},
	} {
		if code, _, _ := runTLS(append([]string{"--force"}, args...)...); code == 0 {
			t.Errorf("tls gen %q: exit 0, want a failure", args)
		}
	}
	var out2, errOut2 bytes.Buffer
	if code := run([]string{"tls", "rotate"}, &out2, &errOut2); code != 2 || !strings.Contains(errOut2.String(), "usage: wcdb tls gen") {
		t.Errorf("tls rotate: exit %d, stderr %q; want 2 and the usage", code, errOut2.String())
	}
	if code := run([]string{"help"}, &out2, &errOut2); code != 0 || !strings.Contains(out2.String(), "tls gen") {
		t.Errorf("help does not list tls gen:\n%s", out2.String())
	}
}
