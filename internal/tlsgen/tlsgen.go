// Package tlsgen makes a certificate authority and the certificates of a
// local cluster (its nodes, a client, wcdb admin) and loads them back, in
// the PEM form Cassandra 5 reads for client_encryption_options and
// server_encryption_options: a keystore is one PEM file holding a private
// key and its certificate chain, a truststore a PEM file of CA certificates.
// It uses the standard library's crypto/x509 only.
//
// Generate writes, in one directory:
//
//	file             blocks, in order                                     use
//	ca.pem           CERTIFICATE (CA)                                     truststore; cqlshrc certfile
//	ca-key.pem       PRIVATE KEY (CA)                                     signs certificates; keep off the nodes
//	node<I>.pem      PRIVATE KEY, CERTIFICATE (node I), CERTIFICATE (CA)  node I's keystore
//	client.pem       PRIVATE KEY, CERTIFICATE (client), CERTIFICATE (CA)  a driver's keystore
//	client-cert.pem  CERTIFICATE (client)                                 cqlshrc usercert
//	client-key.pem   PRIVATE KEY (client)                                 cqlshrc userkey
//	admin.pem        PRIVATE KEY, CERTIFICATE (admin), CERTIFICATE (CA)   wcdb admin's keystore
//
// Every PRIVATE KEY block is an unencrypted PKCS#8 ECDSA P-256 key (the one
// form Cassandra's PEM keystore, Go and Python's ssl all read); every
// CERTIFICATE block is an X.509 v3 certificate (DER). The certificates:
//
//	CA        CN "wcdb CA"; IsCA, MaxPathLen 0; KeyUsage CertSign|CRLSign
//	node I    CN "wcdb node I"; SANs: its address, 127.0.0.1, ::1, Options.Hosts;
//	          ExtKeyUsage ServerAuth and ClientAuth (internode TLS is mutual:
//	          each node dials and accepts)
//	client    CN "wcdb client"; ExtKeyUsage ClientAuth
//	admin     CN "wcdb admin"; ExtKeyUsage ClientAuth
//
// All have a random 128-bit serial number and are valid from an hour before
// Options.Now (for clock skew between machines) to Options.Now plus
// Options.Validity. The files holding a private key are made 0600 where
// the FS can set modes (see Generate).
//
// PEM is RFC 7468's, not ours, so these files carry no version of their
// own; what is ours is the file names and the blocks each file holds.
package tlsgen

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"time"

	"wcdb/internal/vfs"
)

// The names of the files Generate writes in its directory.
const (
	CAFile         = "ca.pem"
	CAKeyFile      = "ca-key.pem"
	ClientFile     = "client.pem"
	ClientCertFile = "client-cert.pem"
	ClientKeyFile  = "client-key.pem"
	AdminFile      = "admin.pem"
)

// NodeFile returns the name of node i's keystore (1-based): node<i>.pem.
func NodeFile(i int) string { return "node" + strconv.Itoa(i) + ".pem" }

// DefaultValidity is how long certificates are valid when
// Options.Validity is zero.
const DefaultValidity = 365 * 24 * time.Hour

// ErrCAExists is returned (wrapped) by Generate when the directory already
// holds a ca.pem and Options.Force is not set.
var ErrCAExists = errors.New("tlsgen: a CA exists")

// Options says what Generate makes. The zero value but for Nodes is usable.
type Options struct {
	// Nodes is how many node certificates to make (node1.pem ...); at
	// least 1.
	Nodes int
	// IPs are the nodes' addresses: node i's certificate names IPs[i-1].
	// Empty means 127.0.0.i, the addresses of wcdb cluster; otherwise
	// there must be one per node.
	IPs []string
	// Hosts are DNS names or IP addresses put in every node certificate
	// besides its own address, 127.0.0.1 and ::1. Empty means
	// "localhost".
	Hosts []string
	// Validity is how long the certificates are valid from Now; zero
	// means DefaultValidity.
	Validity time.Duration
	// Now returns the current time (tests set it); nil means time.Now.
	Now func() time.Time
	// Force lets Generate replace an existing CA. Without it Generate
	// refuses: a new CA strands every certificate the old one signed, so
	// a running cluster's nodes would no longer trust one another.
	Force bool
}

// Files are the paths Generate wrote, each dir joined with its name.
type Files struct {
	CA, CAKey  string
	Nodes      []string // Nodes[i-1] is node i's keystore
	Client     string
	ClientCert string
	ClientKey  string
	Admin      string
}

// All returns every path in f, in the order Generate writes them (ca.pem
// last).
func (f Files) All() []string {
	all := []string{f.CAKey}
	all = append(all, f.Nodes...)
	return append(all, f.Client, f.ClientCert, f.ClientKey, f.Admin, f.CA)
}

// Generate makes a new CA and the certificates o asks for, and writes them
// into dir (created, mode 0700, if missing) as the package comment lays
// out. It refuses, with an error wrapping ErrCAExists, if dir holds a
// ca.pem and o.Force is not set.
//
// Each file is written through a temporary file and renamed into place.
// ca.pem goes last, after a SyncDir has made the others durable, so a
// ca.pem on disk, after a crash too, means a complete set; with Force the
// old ca.pem is removed first, so a run that fails part way leaves none
// and can simply be run again.
//
// vfs.FS cannot set file modes. Files holding a private key are made 0600
// before any byte is written when the FS's File has a Chmod(os.FileMode)
// method, as vfs.Default's do (an *os.File underneath); other FSs (the
// in-memory one, error injection wrappers) leave modes as they are.
func Generate(fsys vfs.FS, dir string, o Options) (Files, error) {
	o, err := o.withDefaults()
	if err != nil {
		return Files{}, err
	}
	ips, err := o.nodeIPs()
	if err != nil {
		return Files{}, err
	}
	dnsNames, hostIPs, err := splitHosts(o.Hosts)
	if err != nil {
		return Files{}, err
	}

	caPath := filepath.Join(dir, CAFile)
	_, err = fsys.Stat(caPath)
	caExists := err == nil
	switch {
	case caExists && !o.Force:
		return Files{}, fmt.Errorf("%w: %s (a new CA strands the certificates it signed; force to replace it)", ErrCAExists, caPath)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return Files{}, fmt.Errorf("tlsgen: %w", err)
	}

	now := o.Now()
	notBefore, notAfter := now.Add(-time.Hour), now.Add(o.Validity)
	ca, err := newCA(notBefore, notAfter)
	if err != nil {
		return Files{}, err
	}

	// Everything is made before anything is written: a failure to sign
	// leaves dir as it was.
	type file struct {
		path    string
		data    []byte
		private bool
	}
	var files []file
	add := func(name string, private bool, blocks ...[]byte) string {
		p := filepath.Join(dir, name)
		files = append(files, file{p, bytes.Join(blocks, nil), private})
		return p
	}
	var out Files
	out.CAKey = add(CAKeyFile, true, ca.keyPEM)
	for i := 1; i <= o.Nodes; i++ {
		leaf, err := ca.issue(leafSpec{
			cn:       "wcdb node " + strconv.Itoa(i),
			usage:    []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
			dnsNames: dnsNames,
			ips:      dedupIPs(append([]netip.Addr{ips[i-1], netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()}, hostIPs...)),
		}, notBefore, notAfter)
		if err != nil {
			return Files{}, err
		}
		out.Nodes = append(out.Nodes, add(NodeFile(i), true, leaf.keyPEM, leaf.certPEM, ca.certPEM))
	}
	client, err := ca.issue(leafSpec{cn: "wcdb client", usage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, notBefore, notAfter)
	if err != nil {
		return Files{}, err
	}
	out.Client = add(ClientFile, true, client.keyPEM, client.certPEM, ca.certPEM)
	out.ClientCert = add(ClientCertFile, false, client.certPEM)
	out.ClientKey = add(ClientKeyFile, true, client.keyPEM)
	admin, err := ca.issue(leafSpec{cn: "wcdb admin", usage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, notBefore, notAfter)
	if err != nil {
		return Files{}, err
	}
	out.Admin = add(AdminFile, true, admin.keyPEM, admin.certPEM, ca.certPEM)

	if caExists {
		if err := fsys.Remove(caPath); err != nil {
			return Files{}, fmt.Errorf("tlsgen: %w", err)
		}
		if err := fsys.SyncDir(dir); err != nil {
			return Files{}, fmt.Errorf("tlsgen: %w", err)
		}
	} else if err := mkdirPrivate(fsys, dir); err != nil {
		return Files{}, fmt.Errorf("tlsgen: %w", err)
	}
	for _, f := range files {
		if err := writeFile(fsys, f.path, f.data, f.private); err != nil {
			return Files{}, fmt.Errorf("tlsgen: %w", err)
		}
	}
	if err := fsys.SyncDir(dir); err != nil {
		return Files{}, fmt.Errorf("tlsgen: %w", err)
	}
	out.CA = caPath
	if err := writeFile(fsys, caPath, ca.certPEM, false); err != nil {
		return Files{}, fmt.Errorf("tlsgen: %w", err)
	}
	if err := fsys.SyncDir(dir); err != nil {
		return Files{}, fmt.Errorf("tlsgen: %w", err)
	}
	return out, nil
}

func (o Options) withDefaults() (Options, error) {
	if o.Nodes < 1 {
		return o, fmt.Errorf("tlsgen: %d nodes: want at least 1", o.Nodes)
	}
	if o.Validity < 0 {
		return o, fmt.Errorf("tlsgen: negative validity %v", o.Validity)
	}
	if o.Validity == 0 {
		o.Validity = DefaultValidity
	}
	if len(o.Hosts) == 0 {
		o.Hosts = []string{"localhost"}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

// nodeIPs returns node i's address at index i-1.
func (o Options) nodeIPs() ([]netip.Addr, error) {
	if len(o.IPs) == 0 {
		if o.Nodes > 254 {
			return nil, fmt.Errorf("tlsgen: %d nodes: 127.0.0.1 to 127.0.0.254 name at most 254; give their addresses", o.Nodes)
		}
		ips := make([]netip.Addr, o.Nodes)
		for i := range ips {
			ips[i] = netip.AddrFrom4([4]byte{127, 0, 0, byte(i + 1)})
		}
		return ips, nil
	}
	if len(o.IPs) != o.Nodes {
		return nil, fmt.Errorf("tlsgen: %d addresses for %d nodes: want one per node", len(o.IPs), o.Nodes)
	}
	ips := make([]netip.Addr, len(o.IPs))
	for i, s := range o.IPs {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("tlsgen: node %d's address: %w", i+1, err)
		}
		ips[i] = a.Unmap()
	}
	return ips, nil
}

// splitHosts sorts hosts into DNS names and IP addresses, as a certificate
// holds them.
func splitHosts(hosts []string) (dnsNames []string, ips []netip.Addr, err error) {
	for _, h := range hosts {
		if a, err := netip.ParseAddr(h); err == nil {
			ips = append(ips, a.Unmap())
			continue
		}
		if h == "" {
			return nil, nil, errors.New("tlsgen: empty host name")
		}
		dnsNames = append(dnsNames, h)
	}
	return dnsNames, ips, nil
}

func dedupIPs(ips []netip.Addr) []netip.Addr {
	var out []netip.Addr
	seen := map[netip.Addr]bool{}
	for _, a := range ips {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

// keyPair is a key and its certificate, both parsed and in PEM.
type keyPair struct {
	key     *ecdsa.PrivateKey
	cert    *x509.Certificate
	keyPEM  []byte
	certPEM []byte
}

func newCA(notBefore, notAfter time.Time) (*keyPair, error) {
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "wcdb CA"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLen:            0,
		MaxPathLenZero:        true, // it signs leaves only
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	return sign(tmpl, nil)
}

type leafSpec struct {
	cn       string
	usage    []x509.ExtKeyUsage
	dnsNames []string
	ips      []netip.Addr
}

func (ca *keyPair) issue(s leafSpec, notBefore, notAfter time.Time) (*keyPair, error) {
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: s.cn},
		NotBefore:   notBefore,
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature, // ECDSA keys sign; they never encipher
		ExtKeyUsage: s.usage,
		DNSNames:    s.dnsNames,
	}
	for _, a := range s.ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.IP(a.AsSlice()))
	}
	return sign(tmpl, ca)
}

// sign makes a key for tmpl and its certificate, signed by parent, or
// self-signed if parent is nil.
func sign(tmpl *x509.Certificate, parent *keyPair) (*keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("tlsgen: %w", err)
	}
	// Random, so that two runs never issue the same issuer and serial.
	tmpl.SerialNumber, err = rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("tlsgen: %w", err)
	}
	issuer, signer := tmpl, key
	if parent != nil {
		issuer, signer = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, &key.PublicKey, signer)
	if err != nil {
		return nil, fmt.Errorf("tlsgen: %s: %w", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("tlsgen: %s: %w", tmpl.Subject.CommonName, err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("tlsgen: %w", err)
	}
	return &keyPair{
		key:     key,
		cert:    cert,
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
	}, nil
}

// writeFile writes a file atomically, a private one 0600 from its first
// byte (vfs.WriteFileAtomicPrivate).
func writeFile(fsys vfs.FS, path string, data []byte, private bool) error {
	if private {
		return vfs.WriteFileAtomicPrivate(fsys, path, data)
	}
	return vfs.WriteFileAtomic(fsys, path, data)
}

// mkdirPrivate creates dir 0700 (it will hold private keys) and any
// missing parents, durably.
func mkdirPrivate(fsys vfs.FS, dir string) error {
	dir = filepath.Clean(dir)
	if _, err := fsys.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	if err := vfs.MkdirAllSynced(fsys, parent); err != nil {
		return err
	}
	if err := fsys.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return fsys.SyncDir(parent)
}
