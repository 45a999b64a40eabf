package tlsgen

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"io/fs"
	"math/big"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"wcdb/internal/vfs"
	"wcdb/internal/vfstest"
)

// t0 is the fake clock's reading when certificates are made.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func at(t time.Time) func() time.Time { return func() time.Time { return t } }

func generate(t *testing.T, fsys vfs.FS, dir string, o Options) Files {
	t.Helper()
	if o.Now == nil {
		o.Now = at(t0)
	}
	files, err := Generate(fsys, dir, o)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func loadKeystore(t *testing.T, fsys vfs.FS, path string) tls.Certificate {
	t.Helper()
	c, err := LoadKeystore(fsys, path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func loadTruststore(t *testing.T, fsys vfs.FS, path string) *x509.CertPool {
	t.Helper()
	p, err := LoadTruststore(fsys, path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// verify checks c's chain against roots for usage at time now.
func verify(c tls.Certificate, roots *x509.CertPool, usage x509.ExtKeyUsage, now time.Time) error {
	inter := x509.NewCertPool()
	for _, der := range c.Certificate[1:] {
		ic, err := x509.ParseCertificate(der)
		if err != nil {
			return err
		}
		inter.AddCert(ic)
	}
	_, err := c.Leaf.Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{usage},
	})
	return err
}

func pemTypes(t *testing.T, fsys vfs.FS, path string) []string {
	t.Helper()
	data, err := vfs.ReadFile(fsys, path)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		types = append(types, b.Type)
	}
	if len(bytes.TrimSpace(data)) > 0 {
		t.Errorf("%s: %d bytes after the last PEM block", path, len(data))
	}
	return types
}

func TestTLSGenerateLayout(t *testing.T) {
	m := vfs.NewMem()
	files := generate(t, m, "/tls", Options{Nodes: 3})

	names, err := m.List("/tls")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"admin.pem", "ca-key.pem", "ca.pem", "client-cert.pem", "client-key.pem", "client.pem", "node1.pem", "node2.pem", "node3.pem"}
	if !slices.Equal(names, want) {
		t.Errorf("dir holds %q, want %q", names, want)
	}
	var fromFiles []string
	for _, p := range files.All() {
		fromFiles = append(fromFiles, filepath.Base(p))
	}
	slices.Sort(fromFiles)
	if !slices.Equal(fromFiles, want) {
		t.Errorf("Files.All() = %q, want %q", fromFiles, want)
	}

	keystore := []string{"PRIVATE KEY", "CERTIFICATE", "CERTIFICATE"}
	for _, tc := range []struct {
		path string
		want []string
	}{
		{files.CA, []string{"CERTIFICATE"}},
		{files.CAKey, []string{"PRIVATE KEY"}},
		{files.Nodes[0], keystore},
		{files.Nodes[2], keystore},
		{files.Client, keystore},
		{files.ClientCert, []string{"CERTIFICATE"}},
		{files.ClientKey, []string{"PRIVATE KEY"}},
		{files.Admin, keystore},
	} {
		if got := pemTypes(t, m, tc.path); !slices.Equal(got, tc.want) {
			t.Errorf("%s: blocks %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestTLSGenerateCertificates(t *testing.T) {
	m := vfs.NewMem()
	files := generate(t, m, "/tls", Options{Nodes: 3})
	roots := loadTruststore(t, m, files.CA)

	caData, err := vfs.ReadFile(m, files.CA)
	if err != nil {
		t.Fatal(err)
	}
	caBlock, _ := pem.Decode(caData)
	ca, err := x509.ParseCertificate(caBlock.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !ca.IsCA || !ca.BasicConstraintsValid || ca.MaxPathLen != 0 || !ca.MaxPathLenZero {
		t.Errorf("CA: IsCA %v, basic constraints %v, MaxPathLen %d (zero %v); want a CA with path length 0",
			ca.IsCA, ca.BasicConstraintsValid, ca.MaxPathLen, ca.MaxPathLenZero)
	}
	if ca.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign {
		t.Errorf("CA key usage %v, want CertSign|CRLSign", ca.KeyUsage)
	}

	serials := map[string]bool{ca.SerialNumber.String(): true}
	check := func(name string, c tls.Certificate, cn string) {
		t.Helper()
		if c.Leaf.Subject.CommonName != cn {
			t.Errorf("%s: CN %q, want %q", name, c.Leaf.Subject.CommonName, cn)
		}
		if !c.Leaf.NotBefore.Equal(t0.Add(-time.Hour)) || !c.Leaf.NotAfter.Equal(t0.Add(DefaultValidity)) {
			t.Errorf("%s: valid %v to %v, want %v to %v", name, c.Leaf.NotBefore, c.Leaf.NotAfter, t0.Add(-time.Hour), t0.Add(DefaultValidity))
		}
		if k, ok := c.PrivateKey.(*ecdsa.PrivateKey); !ok || k.Curve != elliptic.P256() {
			t.Errorf("%s: key %T, want ECDSA P-256", name, c.PrivateKey)
		}
		if sn := c.Leaf.SerialNumber; sn.Sign() <= 0 || sn.BitLen() > 128 || serials[sn.String()] {
			t.Errorf("%s: serial %v: want a fresh positive number of at most 128 bits", name, sn)
		} else {
			serials[sn.String()] = true
		}
		if !bytes.Equal(c.Certificate[len(c.Certificate)-1], ca.Raw) {
			t.Errorf("%s: the chain does not end with the CA", name)
		}
	}

	for i, p := range files.Nodes {
		n := loadKeystore(t, m, p)
		check(p, n, "wcdb node "+string(rune('1'+i)))
		for _, u := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
			if err := verify(n, roots, u, t0); err != nil {
				t.Errorf("%s for usage %v: %v", p, u, err)
			}
		}
		var ips []string
		for _, ip := range n.Leaf.IPAddresses {
			ips = append(ips, ip.String())
		}
		wantIPs := []string{"127.0.0." + string(rune('1'+i)), "127.0.0.1", "::1"}
		if i == 0 {
			wantIPs = wantIPs[1:]
		}
		if !slices.Equal(ips, wantIPs) || !slices.Equal(n.Leaf.DNSNames, []string{"localhost"}) {
			t.Errorf("%s: SANs %q %q, want %q [localhost]", p, ips, n.Leaf.DNSNames, wantIPs)
		}
		for _, host := range append(wantIPs, "localhost") {
			if err := n.Leaf.VerifyHostname(host); err != nil {
				t.Errorf("%s: %v", p, err)
			}
		}
		if err := n.Leaf.VerifyHostname("127.0.0.9"); err == nil {
			t.Errorf("%s is valid for 127.0.0.9, another node's address", p)
		}
	}

	client := loadKeystore(t, m, files.Client)
	check(files.Client, client, "wcdb client")
	admin := loadKeystore(t, m, files.Admin)
	check(files.Admin, admin, "wcdb admin")
	for name, c := range map[string]tls.Certificate{files.Client: client, files.Admin: admin} {
		if err := verify(c, roots, x509.ExtKeyUsageClientAuth, t0); err != nil {
			t.Errorf("%s as a client: %v", name, err)
		}
		if err := verify(c, roots, x509.ExtKeyUsageServerAuth, t0); err == nil {
			t.Errorf("%s verifies as a server certificate; want ClientAuth only", name)
		}
	}

	// cqlsh's usercert and userkey: the client's certificate and key apart.
	certPEM, err := vfs.ReadFile(m, files.ClientCert)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := vfs.ReadFile(m, files.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pair.Certificate[0], client.Certificate[0]) {
		t.Errorf("client-cert.pem and client.pem hold different certificates")
	}
}

func TestTLSGenerateOptions(t *testing.T) {
	m := vfs.NewMem()
	files := generate(t, m, "/a/b/tls", Options{
		Nodes:    2,
		IPs:      []string{"10.0.0.5", "::ffff:10.0.0.6"},
		Hosts:    []string{"db.example", "192.168.1.1", "localhost"},
		Validity: 48 * time.Hour,
	})
	n2 := loadKeystore(t, m, files.Nodes[1])
	var ips []string
	for _, ip := range n2.Leaf.IPAddresses {
		ips = append(ips, ip.String())
	}
	if want := []string{"10.0.0.6", "127.0.0.1", "::1", "192.168.1.1"}; !slices.Equal(ips, want) {
		t.Errorf("node2 IPs %q, want %q", ips, want)
	}
	if want := []string{"db.example", "localhost"}; !slices.Equal(n2.Leaf.DNSNames, want) {
		t.Errorf("node2 DNS names %q, want %q", n2.Leaf.DNSNames, want)
	}
	if got, want := n2.Leaf.NotAfter, t0.Add(48*time.Hour); !got.Equal(want) {
		t.Errorf("NotAfter %v, want %v", got, want)
	}

	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{}, "0 nodes"},
		{Options{Nodes: 3, IPs: []string{"10.0.0.1"}}, "1 addresses for 3 nodes"},
		{Options{Nodes: 1, IPs: []string{"10.0.0.300"}}, "node 1's address"},
		{Options{Nodes: 1, Hosts: []string{""}}, "empty host"},
		{Options{Nodes: 1, Validity: -time.Hour}, "negative validity"},
		{Options{Nodes: 255}, "at most 254"},
	} {
		_, err := Generate(m, "/bad", tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Generate(%+v) = %v, want an error with %q", tc.o, err, tc.want)
		}
	}
	if _, err := m.Stat("/bad"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("rejected options left /bad behind (stat: %v)", err)
	}
}

func TestTLSGenerateRefusesExistingCA(t *testing.T) {
	m := vfs.NewMem()
	files := generate(t, m, "/tls", Options{Nodes: 1})
	before, err := vfs.ReadFile(m, files.CA)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(m, "/tls", Options{Nodes: 1}); !errors.Is(err, ErrCAExists) {
		t.Fatalf("second Generate: %v, want ErrCAExists", err)
	}
	after, err := vfs.ReadFile(m, files.CA)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("a refused Generate changed ca.pem")
	}

	oldNode := loadKeystore(t, m, files.Nodes[0])
	generate(t, m, "/tls", Options{Nodes: 1, Force: true})
	roots := loadTruststore(t, m, files.CA)
	if err := verify(loadKeystore(t, m, files.Nodes[0]), roots, x509.ExtKeyUsageServerAuth, t0); err != nil {
		t.Errorf("after Force: %v", err)
	}
	if err := verify(oldNode, roots, x509.ExtKeyUsageServerAuth, t0); err == nil {
		t.Error("after Force, the old CA's node certificate still verifies")
	}
}

func TestTLSValidityWindow(t *testing.T) {
	m := vfs.NewMem()
	files := generate(t, m, "/tls", Options{Nodes: 1, Validity: 24 * time.Hour})
	roots := loadTruststore(t, m, files.CA)
	n := loadKeystore(t, m, files.Nodes[0])
	for _, tc := range []struct {
		at time.Duration
		ok bool
	}{
		{-2 * time.Hour, false},
		{-30 * time.Minute, true}, // a peer whose clock is behind
		{23 * time.Hour, true},
		{25 * time.Hour, false},
	} {
		err := verify(n, roots, x509.ExtKeyUsageServerAuth, t0.Add(tc.at))
		var invalid x509.CertificateInvalidError
		switch {
		case tc.ok && err != nil:
			t.Errorf("at t0%+v: %v, want valid", tc.at, err)
		case !tc.ok && (!errors.As(err, &invalid) || invalid.Reason != x509.Expired):
			t.Errorf("at t0%+v: %v, want an expired (or not yet valid) certificate", tc.at, err)
		}
	}
}

// handshake runs a TLS handshake over an in-process pipe and returns each
// side's error and the client certificate's CN as the server saw it. The
// server writes a byte once done so that the client also learns of a client
// certificate refused after its own handshake ended (TLS 1.3). Raw pipe
// ends are closed: a close_notify on an unread pipe would block.
func handshake(server, client *tls.Config) (peer string, serverErr, clientErr error) {
	sc, cc := net.Pipe()
	srv, cli := tls.Server(sc, server), tls.Client(cc, client)
	errc := make(chan error, 1)
	go func() {
		err := srv.Handshake()
		if err == nil {
			peer = srv.ConnectionState().PeerCertificates[0].Subject.CommonName
			_, err = srv.Write([]byte{1})
		}
		sc.Close()
		errc <- err
	}()
	err := cli.Handshake()
	if err == nil {
		_, err = io.ReadFull(cli, make([]byte, 1))
	}
	cc.Close()
	serverErr = <-errc
	return peer, serverErr, err
}

func TestTLSMutualHandshake(t *testing.T) {
	m := vfs.NewMem()
	files := generate(t, m, "/tls", Options{Nodes: 2})
	other := generate(t, m, "/other", Options{Nodes: 2})
	roots := loadTruststore(t, m, files.CA)
	otherRoots := loadTruststore(t, m, other.CA)
	node1 := loadKeystore(t, m, files.Nodes[0])
	node2 := loadKeystore(t, m, files.Nodes[1])

	serverConf := func(cert tls.Certificate, now time.Time) *tls.Config {
		return &tls.Config{
			Certificates: []tls.Certificate{cert},
			ClientAuth:   tls.RequireAndVerifyClientCert,
			ClientCAs:    roots,
			Time:         at(now),
		}
	}
	clientConf := func(cert tls.Certificate, roots *x509.CertPool, now time.Time) *tls.Config {
		return &tls.Config{
			Certificates: []tls.Certificate{cert},
			RootCAs:      roots,
			ServerName:   "127.0.0.1",
			Time:         at(now),
		}
	}

	node2At := func(host string) *tls.Config {
		c := clientConf(node2, roots, t0)
		c.ServerName = host
		return c
	}
	later := t0.Add(366 * 24 * time.Hour)
	for _, tc := range []struct {
		name           string
		server, client *tls.Config
		peer           string // the client's CN, or "" if the handshake must fail
	}{
		{"node2 dials node1", serverConf(node1, t0), clientConf(node2, roots, t0), "wcdb node 2"},
		{"node2 dials node1 by name", serverConf(node1, t0), node2At("localhost"), "wcdb node 2"},
		{"node2 dials node1 over IPv6", serverConf(node1, t0), node2At("::1"), "wcdb node 2"},
		{"client dials node1", serverConf(node1, t0), clientConf(loadKeystore(t, m, files.Client), roots, t0), "wcdb client"},
		{"admin dials node1", serverConf(node1, t0), clientConf(loadKeystore(t, m, files.Admin), roots, t0), "wcdb admin"},
		{"node2 dials node1 as 127.0.0.2", serverConf(node1, t0), node2At("127.0.0.2"), ""},
		{"another CA's node dials node1", serverConf(node1, t0), clientConf(loadKeystore(t, m, other.Nodes[1]), roots, t0), ""},
		{"node2 trusting another CA dials node1", serverConf(node1, t0), clientConf(node2, otherRoots, t0), ""},
		{"the client certificate serves", serverConf(loadKeystore(t, m, files.Client), t0), clientConf(node2, roots, t0), ""},
		{"a year and a day later", serverConf(node1, later), clientConf(node2, roots, later), ""},
	} {
		peer, serr, cerr := handshake(tc.server, tc.client)
		switch {
		case tc.peer != "" && (serr != nil || cerr != nil):
			t.Errorf("%s: server %v, client %v; want a handshake", tc.name, serr, cerr)
		case tc.peer != "" && peer != tc.peer:
			t.Errorf("%s: the server saw %q, want %q", tc.name, peer, tc.peer)
		case tc.peer == "" && (serr == nil || cerr == nil):
			t.Errorf("%s: server %v, client %v; want both to fail", tc.name, serr, cerr)
		}
	}
}

// TestTLSLoadKeystoreForms loads keystores as other tools write them and
// checks the errors for broken ones.
func TestTLSLoadKeystoreForms(t *testing.T) {
	m := vfs.NewMem()
	files := generate(t, m, "/tls", Options{Nodes: 2})
	blocks := func(path string) map[string][]byte {
		data, err := vfs.ReadFile(m, path)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]byte{}
		for i := 0; ; i++ {
			var b *pem.Block
			b, data = pem.Decode(data)
			if b == nil {
				return out
			}
			key := b.Type
			if key == "CERTIFICATE" && i > 1 {
				key = "CA"
			}
			out[key] = pem.EncodeToMemory(b)
		}
	}
	n1, n2 := blocks(files.Nodes[0]), blocks(files.Nodes[1])
	k1, err := x509.ParsePKCS8PrivateKey(pemBytes(n1["PRIVATE KEY"]))
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalECPrivateKey(k1.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	ecPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER})
	rsaKey, rsaCert := rsaPEM(t)
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

	for _, tc := range []struct {
		name string
		data []byte
		want string // "" for success
	}{
		{"certificates first", join(n1["CERTIFICATE"], n1["CA"], n1["PRIVATE KEY"]), ""},
		{"EC key with openssl's parameters", join([]byte("-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"), ecPEM, n1["CERTIFICATE"]), ""},
		{"RSA PKCS#1 key", join(rsaKey, rsaCert), ""},
		{"no key", join(n1["CERTIFICATE"], n1["CA"]), "no private key in /ks.pem"},
		{"no certificate", n1["PRIVATE KEY"], "no certificate in /ks.pem"},
		{"not PEM", []byte("hello"), "no private key in /ks.pem"},
		{"another node's key", join(n2["PRIVATE KEY"], n1["CERTIFICATE"], n1["CA"]), "key does not match certificate in /ks.pem"},
		{"CA first", join(n1["PRIVATE KEY"], n1["CA"], n1["CERTIFICATE"]), "key does not match certificate in /ks.pem"},
		{"two keys", join(n1["PRIVATE KEY"], n1["PRIVATE KEY"], n1["CERTIFICATE"]), "more than one private key"},
		{"encrypted key", join([]byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"), n1["CERTIFICATE"]), "encrypted"},
	} {
		if err := vfs.WriteFileAtomic(m, "/ks.pem", tc.data); err != nil {
			t.Fatal(err)
		}
		_, err := LoadKeystore(m, "/ks.pem")
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got %v, want an error with %q", tc.name, err, tc.want)
		}
	}

	if _, err := LoadKeystore(m, "/missing.pem"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing keystore: %v, want ErrNotExist", err)
	}
	// A keystore as truststore trusts the certificates in it; a key file
	// holds none.
	if _, err := LoadTruststore(m, files.Nodes[0]); err != nil {
		t.Errorf("keystore as truststore: %v", err)
	}
	if _, err := LoadTruststore(m, files.ClientKey); err == nil || !strings.Contains(err.Error(), "no certificate in "+files.ClientKey) {
		t.Errorf("key file as truststore: %v, want no certificate", err)
	}
}

func pemBytes(p []byte) []byte {
	b, _ := pem.Decode(p)
	return b.Bytes
}

// rsaPEM returns an RSA key in PKCS#1 PEM and a self-signed certificate.
func rsaPEM(t *testing.T) (key, cert []byte) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 1024) // small: only parsing is tested
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rsa"}, NotBefore: t0, NotAfter: t0.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// TestTLSGenerateModes writes through the OS: the files holding a key are
// 0600 and the directory 0700.
func TestTLSGenerateModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	files := generate(t, vfs.Default, dir, Options{Nodes: 1})
	for _, tc := range []struct {
		path    string
		private bool
	}{
		{dir, true}, {files.CAKey, true}, {files.Nodes[0], true}, {files.Client, true},
		{files.ClientKey, true}, {files.Admin, true}, {files.CA, false}, {files.ClientCert, false},
	} {
		fi, err := vfs.Default.Stat(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		private := fi.Mode().Perm()&0o077 == 0
		if private != tc.private {
			t.Errorf("%s: mode %v, want private %v", tc.path, fi.Mode(), tc.private)
		}
	}
	if _, err := LoadKeystore(vfs.Default, files.Nodes[0]); err != nil {
		t.Error(err)
	}
}

// checkSet fails unless the set in dir is complete and consistent (every
// keystore loads and verifies against ca.pem), or has no ca.pem.
func checkSet(t testing.TB, fsys vfs.FS, dir string, nodes int) (complete bool) {
	t.Helper()
	roots, err := LoadTruststore(fsys, filepath.Join(dir, CAFile))
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{ClientFile, AdminFile}
	for i := 1; i <= nodes; i++ {
		paths = append(paths, NodeFile(i))
	}
	for _, p := range paths {
		c, err := LoadKeystore(fsys, filepath.Join(dir, p))
		if err != nil {
			t.Fatalf("ca.pem is there but %v", err)
		}
		if err := verify(c, roots, x509.ExtKeyUsageClientAuth, t0); err != nil {
			t.Fatalf("ca.pem is there but %s: %v", p, err)
		}
	}
	if _, err := tlsKeyPair(fsys, dir); err != nil {
		t.Fatalf("ca.pem is there but client-cert.pem and client-key.pem: %v", err)
	}
	return true
}

func tlsKeyPair(fsys vfs.FS, dir string) (tls.Certificate, error) {
	c, err := vfs.ReadFile(fsys, filepath.Join(dir, ClientCertFile))
	if err != nil {
		return tls.Certificate{}, err
	}
	k, err := vfs.ReadFile(fsys, filepath.Join(dir, ClientKeyFile))
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(c, k)
}

// TestTLSGenerateErrorInjection fails each file operation of Generate in
// turn: a ca.pem, live or after a crash, always comes with a complete set;
// without one, Generate can be run again without Force; a Generate that
// returned nil survives a crash.
func TestTLSGenerateErrorInjection(t *testing.T) {
	o := Options{Nodes: 2, Now: at(t0)}
	vfstest.Loop{
		Run: func(fsys vfs.FS) error {
			_, err := Generate(fsys, "/x/tls", o)
			return err
		},
		Check: func(t testing.TB, m *vfs.MemFS, runErr error) {
			if crashed := checkSet(t, m.Crash(), "/x/tls", 2); runErr == nil && !crashed {
				t.Fatal("Generate returned nil but a crash loses ca.pem")
			}
			if names, _ := m.List("/x/tls"); slices.ContainsFunc(names, func(n string) bool { return strings.HasSuffix(n, ".tmp") }) {
				t.Errorf("temporary files left: %q", names)
			}
			if !checkSet(t, m, "/x/tls", 2) {
				if _, err := Generate(m, "/x/tls", o); err != nil {
					t.Fatalf("running again after %v: %v", runErr, err)
				}
				checkSet(t, m, "/x/tls", 2)
			}
		},
	}.Do(t)

	// Replacing a set: the old one or the new one, never a mix.
	force := o
	force.Force = true
	vfstest.Loop{
		Setup: func(t testing.TB, m *vfs.MemFS) {
			if _, err := Generate(m, "/x/tls", o); err != nil {
				t.Fatal(err)
			}
		},
		Run: func(fsys vfs.FS) error {
			_, err := Generate(fsys, "/x/tls", force)
			return err
		},
		Check: func(t testing.TB, m *vfs.MemFS, runErr error) {
			checkSet(t, m.Crash(), "/x/tls", 2)
			if !checkSet(t, m, "/x/tls", 2) && runErr == nil {
				t.Fatal("Generate returned nil without a ca.pem")
			}
		},
	}.Do(t)
}

func TestVerifyChain(t *testing.T) {
	fsys := vfs.NewMem()
	if _, err := Generate(fsys, "/a", Options{Nodes: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(fsys, "/b", Options{Nodes: 1}); err != nil {
		t.Fatal(err)
	}
	pool, err := LoadTruststore(fsys, "/a/"+CAFile)
	if err != nil {
		t.Fatal(err)
	}
	verify := VerifyChain(pool, x509.ExtKeyUsageServerAuth)
	for _, tc := range []struct {
		keystore string
		ok       bool
	}{{"/a/" + NodeFile(1), true}, {"/b/" + NodeFile(1), false}, {"/a/" + ClientFile, false}} {
		cert, err := LoadKeystore(fsys, tc.keystore)
		if err != nil {
			t.Fatal(err)
		}
		if err := verify(cert.Certificate, nil); (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok %v", tc.keystore, err, tc.ok)
		}
	}
	if verify(nil, nil) == nil {
		t.Error("no certificate passed")
	}
}
