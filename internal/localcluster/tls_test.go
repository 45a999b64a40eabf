package localcluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"wcdb/internal/tlsgen"
)

// TestClusterTLS: Up with TLS starts nodes that speak TLS to clients
// and mutual TLS to each other with encrypted gossip; status reaches them
// through the cluster's certificates; a driver needs the CA to connect.
func TestClusterTLS(t *testing.T) {
	bin, dir := localClusterTest(t)
	admin := binAdmin{bin}
	t.Cleanup(func() {
		// The cluster commands' TLS is process-wide: later tests speak
		// plaintext.
		cqlTLS = nil
		os.Unsetenv("WCDB_ADMIN_KEYSTORE")
		os.Unsetenv("WCDB_ADMIN_TRUSTSTORE")
	})
	o := testOptions(2, dir, bin)
	o.TLS, o.Wait = true, 20*time.Second
	code, out, errOut := up(o, admin)
	if code != 0 {
		t.Fatalf("cluster up --tls: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "--ssl --cqlshrc "+filepath.Join(dir, "tls", "cqlshrc")) {
		t.Errorf("cluster up --tls does not say how to connect with TLS:\n%s", out)
	}
	code, out, errOut = status(dir, admin)
	if code != 0 || strings.Count(out, "19142 reachable") != 2 || !strings.Contains(out, "Datacenter: datacenter1") {
		t.Errorf("cluster status of a --tls cluster: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	connect := func(ca string) error {
		c := gocql.NewCluster("127.0.0.2")
		c.Port = 19142
		c.ProtoVersion = 4
		c.ConnectTimeout, c.Timeout = 3*time.Second, 5*time.Second
		if ca != "" {
			c.SslOpts = &gocql.SslOptions{CaPath: ca, EnableHostVerification: true}
		}
		s, err := c.CreateSession()
		if err != nil {
			return err
		}
		defer s.Close()
		var n int
		return s.Query("SELECT count(*) FROM system.peers").Scan(&n)
	}
	if err := connect(filepath.Join(dir, "tls", tlsgen.CAFile)); err != nil {
		t.Errorf("gocql with the cluster's CA: %v", err)
	}
	if err := connect(""); err == nil {
		t.Error("gocql in plaintext connected to a --tls cluster")
	}
	if code, out, errOut := down(DownOptions{Dir: dir, Wipe: true, Timeout: 20 * time.Second}); code != 0 {
		t.Errorf("cluster down: exit %d\n%s%s", code, out, errOut)
	}
}
