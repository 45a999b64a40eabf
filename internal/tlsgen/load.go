package tlsgen

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"wcdb/internal/vfs"
)

// LoadKeystore reads a PEM keystore: one private key (PKCS#8, or EC or RSA
// in their own forms: "EC PRIVATE KEY", "RSA PRIVATE KEY") and one or more
// CERTIFICATE blocks, the leaf first among them and the chain after it. The
// key may come before or after the certificates; other blocks (openssl's
// "EC PARAMETERS") are skipped. It is the form Generate writes and the one
// Cassandra 5 reads, so keystores made by openssl or for Cassandra load too.
func LoadKeystore(fsys vfs.FS, path string) (tls.Certificate, error) {
	data, err := vfs.ReadFile(fsys, path)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tlsgen: %w", err)
	}
	var cert tls.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		switch b.Type {
		case "CERTIFICATE":
			cert.Certificate = append(cert.Certificate, b.Bytes)
		case "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY":
			if cert.PrivateKey != nil {
				return tls.Certificate{}, fmt.Errorf("tlsgen: more than one private key in %s", path)
			}
			if cert.PrivateKey, err = parseKey(b); err != nil {
				return tls.Certificate{}, fmt.Errorf("tlsgen: %s: %w", path, err)
			}
		case "ENCRYPTED PRIVATE KEY":
			return tls.Certificate{}, fmt.Errorf("tlsgen: the private key in %s is encrypted, which is not supported", path)
		}
	}
	if cert.PrivateKey == nil {
		return tls.Certificate{}, fmt.Errorf("tlsgen: no private key in %s", path)
	}
	if len(cert.Certificate) == 0 {
		return tls.Certificate{}, fmt.Errorf("tlsgen: no certificate in %s", path)
	}
	if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
		return tls.Certificate{}, fmt.Errorf("tlsgen: %s: %w", path, err)
	}
	pub, ok := cert.PrivateKey.(interface{ Public() crypto.PublicKey })
	if !ok {
		return tls.Certificate{}, fmt.Errorf("tlsgen: %s: unusable private key type %T", path, cert.PrivateKey)
	}
	eq, ok := pub.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !eq.Equal(cert.Leaf.PublicKey) {
		return tls.Certificate{}, fmt.Errorf("tlsgen: key does not match certificate in %s", path)
	}
	return cert, nil
}

func parseKey(b *pem.Block) (crypto.PrivateKey, error) {
	switch b.Type {
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(b.Bytes)
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(b.Bytes)
	}
	return x509.ParsePKCS8PrivateKey(b.Bytes)
}

// LoadTruststore reads a PEM truststore: every CERTIFICATE block in it is
// trusted (other blocks are skipped). A file without one is an error, not
// an empty pool that would refuse every peer with a puzzling message.
func LoadTruststore(fsys vfs.FS, path string) (*x509.CertPool, error) {
	data, err := vfs.ReadFile(fsys, path)
	if err != nil {
		return nil, fmt.Errorf("tlsgen: %w", err)
	}
	pool := x509.NewCertPool()
	n := 0
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("tlsgen: %s: certificate %d: %w", path, n+1, err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("tlsgen: no certificate in %s", path)
	}
	return pool, nil
}

// VerifyChain returns a tls.Config.VerifyPeerCertificate that checks the
// peer's chain against pool (for usage: x509.ExtKeyUsageServerAuth when
// the peer is a server), not its name: for configs that set
// InsecureSkipVerify because crypto/tls's own check would also require the
// name to match (Cassandra's require_endpoint_verification off, cqlsh's
// validate).
func VerifyChain(pool *x509.CertPool, usage x509.ExtKeyUsage) func(raw [][]byte, _ [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return errors.New("tls: the peer presented no certificate")
		}
		certs := make([]*x509.Certificate, len(raw))
		for i, r := range raw {
			c, err := x509.ParseCertificate(r)
			if err != nil {
				return err
			}
			certs[i] = c
		}
		inter := x509.NewCertPool()
		for _, c := range certs[1:] {
			inter.AddCert(c)
		}
		_, err := certs[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{usage}})
		return err
	}
}
