package tlsgen_test

import (
	"fmt"
	"path/filepath"

	"wcdb/internal/tlsgen"
	"wcdb/internal/vfs"
)

func ExampleGenerate() {
	fsys := vfs.NewMem() // vfs.Default in real use
	files, err := tlsgen.Generate(fsys, "/etc/wcdb/tls", tlsgen.Options{Nodes: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range files.All() {
		fmt.Println(filepath.Base(p))
	}
	// A node loads its keystore and the truststore to build its tls.Config.
	cert, err := tlsgen.LoadKeystore(fsys, files.Nodes[0])
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := tlsgen.LoadTruststore(fsys, files.CA); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cert.Leaf.Subject.CommonName, cert.Leaf.IPAddresses, cert.Leaf.DNSNames)
	// Output:
	// ca-key.pem
	// node1.pem
	// node2.pem
	// client.pem
	// client-cert.pem
	// client-key.pem
	// admin.pem
	// ca.pem
	// wcdb node 1 [127.0.0.1 ::1] [localhost]
}
