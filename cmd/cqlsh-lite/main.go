// Command cqlsh-lite is wcdb's CQL shell, in the manner of cqlsh:
//
//	cqlsh-lite [host[:port]] [-k keyspace] [-u user -p pass] [-e "stmt"] [-f file]
//
// It prints results as cqlsh does (aligned tables, EXPAND, PAGING with
// ---MORE---), runs DESCRIBE on the node, and has line editing and history
// at a terminal. cqlsh-lite --help lists the options.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
