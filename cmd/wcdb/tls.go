package main

// wcdb tls gen: a CA and the certificates of a local cluster, in the PEM
// files Cassandra 5 reads (internal/tlsgen lays them out).

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"wcdb/internal/tlsgen"
	"wcdb/internal/vfs"
	"wcdb/server"
)

const tlsUsage = `usage: wcdb tls gen [--dir DIR] [--nodes N] [--ips IP,...] [--hosts NAME,...] [--days D] [--force]

commands:
  gen      make a CA and, signed by it, a certificate per node (for client
           TLS and mutual internode TLS), one for clients (drivers, cqlsh)
           and one for wcdb admin, as PEM files in DIR (./wcdb-tls unless
           given); node I's certificate names 127.0.0.I unless --ips
           (wcdb tls gen -h for flags). An existing CA is kept unless
           --force: a new one would strand the certificates it signed.
`

const defaultTLSDir = "./wcdb-tls"

func tlsCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, tlsUsage)
		return 2
	}
	switch args[0] {
	case "gen":
		return tlsGen(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, tlsUsage)
		return 0
	}
	fmt.Fprintf(stderr, "wcdb: unknown tls command %q\n\n%s", args[0], tlsUsage)
	return 2
}

func tlsGen(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wcdb tls gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", defaultTLSDir, "directory the PEM files are written to (created 0700 if missing)")
	nodes := fs.Int("nodes", 3, "node certificates to make (node1.pem ...); default with --ips: one per address")
	ips := fs.String("ips", "", "the nodes' addresses, comma-separated, node 1's first (default 127.0.0.1 to 127.0.0.N)")
	hosts := fs.String("hosts", "localhost", "DNS names or addresses, comma-separated, put in every node certificate besides its own address, 127.0.0.1 and ::1")
	days := fs.Int("days", 365, "days the certificates are valid (from an hour ago, for clock skew)")
	force := fs.Bool("force", false, "replace an existing CA and every certificate in DIR")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: wcdb tls gen [flags]\n"+
			"(a CA and node, client and admin certificates as PEM files in DIR)\n")
		fs.PrintDefaults()
	}
	if code, stop := parseFlags(fs, args, stderr); stop {
		return code
	}
	o := tlsgen.Options{
		Nodes:    *nodes,
		IPs:      server.SplitList(*ips),
		Hosts:    server.SplitList(*hosts),
		Validity: time.Duration(*days) * 24 * time.Hour,
		Force:    *force,
	}
	nodesSet := false
	fs.Visit(func(f *flag.Flag) { nodesSet = nodesSet || f.Name == "nodes" })
	if len(o.IPs) > 0 && !nodesSet {
		o.Nodes = len(o.IPs)
	}
	if *days < 1 || *days > 36500 {
		fmt.Fprintf(stderr, "wcdb: --days %d: want 1 to 36500\n", *days)
		return 2
	}
	files, err := tlsgen.Generate(vfs.Default, *dir, o)
	if errors.Is(err, tlsgen.ErrCAExists) {
		fmt.Fprintf(stderr, "wcdb: %s already holds a CA; --force replaces it, and then every node needs its new keystore\n", *dir)
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	printTLSFiles(stdout, files)
	return 0
}

// printTLSFiles lists what Generate wrote and the settings that use it,
// with absolute paths: the nodes and cqlsh do not run from here.
func printTLSFiles(w io.Writer, f tlsgen.Files) {
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	dir := abs(filepath.Dir(f.CA))
	fmt.Fprintf(w, "wrote in %s:\n", dir)
	line := func(p, what string) { fmt.Fprintf(w, "  %-16s %s\n", filepath.Base(p), what) }
	line(f.CA, "CA certificate: the truststore of nodes and clients")
	line(f.CAKey, "CA private key: signs certificates; keep it off the nodes")
	for i, p := range f.Nodes {
		line(p, fmt.Sprintf("node %d's keystore (key, certificate, CA)", i+1))
	}
	line(f.Client, "a client's keystore (key, certificate, CA)")
	line(f.ClientCert, "the client's certificate, for cqlsh's usercert")
	line(f.ClientKey, "the client's key, for cqlsh's userkey")
	line(f.Admin, "wcdb admin's keystore (a client certificate)")
	ca, node := abs(f.CA), filepath.Join(dir, "nodeI.pem")
	fmt.Fprintf(w, `
node I's settings (Cassandra 5's names; PEM keystore and truststore):
  client_encryption_options:
    enabled: true
    keystore: %[1]s
    truststore: %[2]s
    require_client_auth: false  # true: clients present client.pem
  server_encryption_options:   # mutual TLS between nodes
    internode_encryption: all
    keystore: %[1]s
    truststore: %[2]s
    require_endpoint_verification: true  # each certificate names its node's address
~/.cqlshrc (cqlsh --ssl):
  [ssl]
  certfile = %[2]s
  validate = true
  usercert = %[3]s
  userkey = %[4]s
`, node, ca, abs(f.ClientCert), abs(f.ClientKey))
}
