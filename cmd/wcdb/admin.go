package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"wcdb/internal/tlsgen"
	"wcdb/internal/units"
	"wcdb/internal/vfs"
	"wcdb/messaging"
	"wcdb/server"
	"wcdb/server/nodeops"
)

const adminUsage = `usage: wcdb admin status [--host HOST[:PORT]] [--keyspace KS] [--json]
       wcdb admin getendpoints [--host HOST[:PORT]] [--json] KEYSPACE TABLE KEY
       wcdb admin netstats [--host HOST[:PORT]] [--json]
       wcdb admin setstreamthroughput [--host HOST[:PORT]] MIB_PER_SEC
       wcdb admin decommission [--host HOST[:PORT]] [--force]
       wcdb admin removenode [--host HOST[:PORT]] HOST_ID|status|force
       wcdb admin rebuild [--host HOST[:PORT]] SOURCE_DC
       wcdb admin cleanup [--host HOST[:PORT]] [KEYSPACE [TABLE]]
       wcdb admin repair [--host HOST[:PORT]] [-pr] [-local] [-st TOKEN -et TOKEN] [-j N] [--json] [KEYSPACE [TABLE...]]
       wcdb admin repair status [--host HOST[:PORT]] [--json] [ID]
       wcdb admin repair schedule [--host HOST[:PORT]] [--json]
       wcdb admin COMMAND [--host HOST[:PORT]] [--json] [ARGS] (COMMAND below the list)

commands (they ask one node over its internode port, 7000 unless --host
names another):
  status         every node the asked node knows, as nodetool status shows
                 them; with --keyspace, ownership counts the keyspace's
                 replicas (effective ownership)
  getendpoints   the replicas of the partition with key KEY (CQL text; the
                 components of a composite key separated by ':'), one
                 address per line
  netstats       the node's mode (JOINING, NORMAL, LEAVING) and its streams
                 (joins, decommission): files, bytes, % done, rate
  setstreamthroughput
                 the cap on what the node streams out, in MiB/s (0:
                 unlimited; stream_throughput_outbound, 24 by default)
  decommission   the node hands its ranges to the nodes that take them over
                 and leaves the cluster, then its process exits; refused if
                 fewer live nodes than a keyspace's replication factor would
                 remain (--force goes ahead)
  removenode     take a node that is down for good off the ring: the nodes
                 taking its ranges over fetch them from the surviving
                 replicas (run on any live node; status shows it, force
                 ends it without waiting for the streams)
  rebuild        the node fetches every range it replicates from the
                 replicas in SOURCE_DC: how a new datacenter gets its data
                 once a keyspace's replication names it
  cleanup        the node rewrites its SSTables without the ranges it no
                 longer replicates (run on the old nodes after a join)
  repair         anti-entropy repair, as nodetool repair: for every range
                 of the tables (all keyspaces with replicas elsewhere unless
                 named) the node replicates, the replicas compare hash trees
                 of their data and exchange only the partitions that differ;
                 prints progress until done. -pr: only the ranges the node
                 is the first replica of (run on every node); -local: only
                 the replicas of the node's datacenter; -st/-et: only the
                 tokens in (st, et]; -j: ranges at once (1-4). A range with
                 a replica down fails; rerun it. Flags go before KEYSPACE.
                 status lists the node's repairs, running and recent;
                 schedule shows the scheduler's tables: interval, primary
                 ranges, how many were repaired within it, the oldest

With server_encryption_options' internode_encryption: all, the node takes
only mutual TLS: WCDB_ADMIN_KEYSTORE names a PEM file with a key and
certificate signed by the cluster's CA (admin.pem of wcdb tls gen) and
WCDB_ADMIN_TRUSTSTORE the CA's certificate (ca.pem).

more commands (wcdb admin COMMAND -h for its arguments):
`

// adminTimeout bounds a request to a node: a node that takes longer is
// better reported than waited for.
const adminTimeout = 5 * time.Second

// admin runs wcdb admin status|getendpoints.
func admin(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, adminUsage, adminOpsUsage())
		return 2
	}
	switch args[0] {
	case "status":
		return adminStatusCmd(args[1:], stdout, stderr)
	case "getendpoints":
		return adminEndpointsCmd(args[1:], stdout, stderr)
	case "netstats":
		return adminNetstatsCmd(args[1:], stdout, stderr)
	case "setstreamthroughput":
		return adminSetStreamThroughputCmd(args[1:], stdout, stderr)
	case "decommission":
		return adminDecommissionCmd(args[1:], stdout, stderr)
	case "removenode":
		return adminRemoveNodeCmd(args[1:], stdout, stderr)
	case "rebuild":
		return adminRebuildCmd(args[1:], stdout, stderr)
	case "cleanup":
		return adminCleanupCmd(args[1:], stdout, stderr)
	case "repair":
		return adminRepairCmd(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, adminUsage, adminOpsUsage())
		return 0
	}
	if c, ok := nodeops.Lookup(args[0]); ok {
		return adminOpsCmd(c, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "wcdb: unknown admin command %q\n\n%s%s", args[0], adminUsage, adminOpsUsage())
	return 2
}

func adminStatusCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wcdb admin status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	host := fs.String("host", "127.0.0.1", "node to ask, host[:internode port] (port 7000 unless given)")
	keyspace := fs.String("keyspace", "", "show effective ownership: the share of the keyspace's data each node holds replicas of")
	asJSON := fs.Bool("json", false, "print the node's answer as JSON (server.AdminStatus)")
	if code, stop := parseFlags(fs, args, stderr); stop {
		return code
	}
	addr, err := internodeAddress(*host)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 2
	}
	req := []string{"status"}
	if *keyspace != "" {
		req = append(req, *keyspace)
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	b, err := adminCall(ctx, addr, req)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	if *asJSON {
		return writeRaw(stdout, stderr, b)
	}
	var st server.AdminStatus
	if err := json.Unmarshal(b, &st); err != nil {
		fmt.Fprintf(stderr, "wcdb: %s answered something other than a status: %v\n", addr, err)
		return 1
	}
	if err := writeStatus(stdout, &st); err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	return 0
}

func adminEndpointsCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wcdb admin getendpoints", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: wcdb admin getendpoints [flags] KEYSPACE TABLE KEY\n"+
			"(flags come first; a KEY starting with '-' goes after --)\n")
		fs.PrintDefaults()
	}
	host := fs.String("host", "127.0.0.1", "node to ask, host[:internode port] (port 7000 unless given)")
	asJSON := fs.Bool("json", false, "print the node's answer as JSON (server.AdminEndpoints)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 3 {
		fmt.Fprintf(stderr, "wcdb: getendpoints wants KEYSPACE TABLE KEY, got %d arguments\n", fs.NArg())
		fs.Usage()
		return 2
	}
	addr, err := internodeAddress(*host)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	b, err := adminCall(ctx, addr, append([]string{"getendpoints"}, fs.Args()...))
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	if *asJSON {
		return writeRaw(stdout, stderr, b)
	}
	var ep server.AdminEndpoints
	if err := json.Unmarshal(b, &ep); err != nil {
		fmt.Fprintf(stderr, "wcdb: %s answered something other than endpoints: %v\n", addr, err)
		return 1
	}
	for _, a := range ep.Endpoints {
		fmt.Fprintln(stdout, a)
	}
	return 0
}

// writeRaw prints a node's JSON answer as it came, on a line of its own.
func writeRaw(stdout, stderr io.Writer, b []byte) int {
	if len(b) == 0 || b[len(b)-1] != '\n' {
		b = append(b, '\n')
	}
	if _, err := stdout.Write(b); err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	return 0
}

// internodeAddress makes host:port of --host: a host alone (or an IPv6
// address, bracketed or not) gets the default internode port.
func internodeAddress(host string) (string, error) {
	defPort := strconv.Itoa(server.DefaultConfig().InternodePort)
	if host == "" {
		return "", errors.New("--host must not be empty")
	}
	if h, p, err := net.SplitHostPort(host); err == nil {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("--host %s: %q is not a port number", host, p)
		}
		if h == "" {
			return "", fmt.Errorf("--host %s: no host", host)
		}
		return net.JoinHostPort(h, p), nil
	}
	h := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.Contains(h, ":") {
		if _, err := netip.ParseAddr(h); err != nil {
			return "", fmt.Errorf("--host %s: not host or host:port", host)
		}
	}
	return net.JoinHostPort(h, defPort), nil
}

// adminCall sends an operator's request to the node at addr (its
// internode address) and returns the answer. Errors say in operators'
// words whether the node could not be reached, did not answer, or
// refused the request (then the node's own message).
func adminCall(ctx context.Context, addr string, req []string) ([]byte, error) {
	tc, err := adminTLS()
	if err != nil {
		return nil, err
	}
	c, err := messaging.Dial(addr, messaging.DialOptions{Timeout: adminTimeout, TLS: tc})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", addr, err)
	}
	defer c.Close()
	b, err := c.Admin(ctx, req)
	if err == nil {
		return b, nil
	}
	var me *messaging.Error
	if !errors.As(err, &me) {
		return nil, err
	}
	switch me.Kind {
	case messaging.KindUnavailable:
		return nil, fmt.Errorf("cannot reach a node at %s (is it running? --host names another): %s", addr, me.Msg)
	case messaging.KindTimeout:
		return nil, fmt.Errorf("no answer from %s within %s", addr, adminTimeout)
	case messaging.KindOverloaded:
		return nil, fmt.Errorf("%s is overloaded: %s", addr, me.Msg)
	}
	// The node's own answer, such as an unknown keyspace.
	return nil, errors.New(me.Msg)
}

// writeStatus prints st as nodetool status does: a block per datacenter
// (in name order), its nodes in address order.
func writeStatus(w io.Writer, st *server.AdminStatus) error {
	if len(st.Nodes) == 0 {
		_, err := fmt.Fprintln(w, "no nodes known")
		return err
	}
	nodes := slices.Clone(st.Nodes)
	slices.SortStableFunc(nodes, func(a, b server.AdminNode) int {
		if c := cmp.Compare(a.DataCenter, b.DataCenter); c != 0 {
			return c
		}
		return compareAddresses(a.Address, b.Address)
	})
	owns := "Owns"
	if st.Keyspace != "" {
		owns = "Owns (effective)"
	}
	for i := 0; i < len(nodes); {
		dc := nodes[i].DataCenter
		j := i
		for j < len(nodes) && nodes[j].DataCenter == dc {
			j++
		}
		if i > 0 {
			fmt.Fprintln(w)
		}
		title := "Datacenter: " + dc
		fmt.Fprintf(w, "%s\n%s\nStatus=Up/Down\n|/ State=Normal/Leaving/Joining/Moving\n", title, strings.Repeat("=", len(title)))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "--\tAddress\tLoad\tTokens\t%s\tHost ID\tRack\n", owns)
		for _, n := range nodes[i:j] {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", statusCode(n.Up, n.State), n.Address,
				units.Bytes(n.LoadBytes), n.Tokens, percent(n.Ownership), n.HostID, n.Rack)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// compareAddresses orders IP addresses numerically (127.0.0.2 before
// 127.0.0.10), anything else after them by text.
func compareAddresses(a, b string) int {
	pa, errA := netip.ParseAddr(a)
	pb, errB := netip.ParseAddr(b)
	switch {
	case errA == nil && errB == nil:
		return pa.Compare(pb)
	case errA == nil:
		return -1
	case errB == nil:
		return 1
	}
	return cmp.Compare(a, b)
}

// statusCode is nodetool's two letters: Up or Down, then the state's
// initial (Normal, Leaving, Joining, Moving); ? for a state it has no
// letter for.
func statusCode(up bool, state string) string {
	s := "D"
	if up {
		s = "U"
	}
	switch strings.ToUpper(state) {
	case "NORMAL":
		return s + "N"
	case "LEAVING":
		return s + "L"
	case "JOINING":
		return s + "J"
	case "MOVING":
		return s + "M"
	}
	return s + "?"
}

// percent prints an ownership fraction as a percentage, "?" when the node
// sent none that makes sense.
func percent(f float64) string {
	if math.IsNaN(f) || f < 0 || f > 1.0000001 {
		return "?"
	}
	return fmt.Sprintf("%.1f%%", f*100)
}

// adminTLS is the client TLS of admin calls from WCDB_ADMIN_KEYSTORE and
// WCDB_ADMIN_TRUSTSTORE, or nil when neither is set.
func adminTLS() (*tls.Config, error) {
	ks, ts := os.Getenv("WCDB_ADMIN_KEYSTORE"), os.Getenv("WCDB_ADMIN_TRUSTSTORE")
	if ks == "" && ts == "" {
		return nil, nil
	}
	if ks == "" || ts == "" {
		return nil, errors.New("WCDB_ADMIN_KEYSTORE and WCDB_ADMIN_TRUSTSTORE go together (the admin's key and certificate, the cluster's CA)")
	}
	cert, err := tlsgen.LoadKeystore(vfs.Default, ks)
	if err != nil {
		return nil, fmt.Errorf("WCDB_ADMIN_KEYSTORE: %w", err)
	}
	pool, err := tlsgen.LoadTruststore(vfs.Default, ts)
	if err != nil {
		return nil, fmt.Errorf("WCDB_ADMIN_TRUSTSTORE: %w", err)
	}
	return server.PeerTLS(cert, pool, false), nil
}
