package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"
)

// authNode starts a node with roles and permissions, its superuser's
// password from a file.
func authNode(t *testing.T) (*Node, string) {
	t.Helper()
	pwFile := filepath.Join(t.TempDir(), "superuser")
	if err := os.WriteFile(pwFile, []byte("Adm1n-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.CQLPort, cfg.GossipPort, cfg.InternodePort = 0, 0, 0
	cfg.GossipProfile = "local"
	cfg.Auth.Authenticator = "PasswordAuthenticator"
	cfg.Auth.Authorizer = "CassandraAuthorizer"
	cfg.Auth.SuperuserPasswordFile = pwFile
	n := startConfigured(t, cfg)
	t.Cleanup(func() { n.Close() })
	return n, "Adm1n-pw"
}

// login opens a gocql session as user.
func login(n *Node, user, password string) (*gocql.Session, error) {
	host, port, _ := net.SplitHostPort(n.Addr().String())
	c := gocql.NewCluster(host)
	c.Port, _ = strconv.Atoi(port)
	c.ProtoVersion = 4
	c.Timeout, c.ConnectTimeout = 10*time.Second, 10*time.Second
	c.DisableInitialHostLookup = true
	c.Authenticator = gocql.PasswordAuthenticator{Username: user, Password: password}
	return c.CreateSession()
}

func errCode(err error) int {
	var re gocql.RequestError
	if errors.As(err, &re) {
		return re.Code()
	}
	return 0
}

// TestRolesWithDrivers: the superuser gets its password from the file
// (the default one is refused), creates a role with SELECT on one table;
// logged in with gocql, that role reads it and gets Unauthorized (0x2100)
// for anything else; the Python driver sees the same; a wrong password
// is BadCredentials, and the login time with bcrypt is logged.
func TestRolesWithDrivers(t *testing.T) {
	n, adminPw := authNode(t)
	if s, err := login(n, "cassandra", "cassandra"); err == nil {
		s.Close()
		t.Fatal("the default password logged in although a superuser password file was given")
	}
	admin, err := login(n, "cassandra", adminPw)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	mustExec(t, admin,
		"CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE ks.t (k int PRIMARY KEY)",
		"CREATE TABLE ks.secret (k int PRIMARY KEY)",
		"INSERT INTO ks.t (k) VALUES (1)",
		"INSERT INTO ks.t (k) VALUES (2)",
		"CREATE ROLE alice WITH PASSWORD = 'alice-pw' AND LOGIN = true",
		"GRANT SELECT ON ks.t TO alice")

	start := time.Now()
	alice, err := login(n, "alice", "alice-pw")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("gocql session as alice (a login with bcrypt cost 10, the role cache cold) in %v", time.Since(start).Round(time.Millisecond))
	defer alice.Close()
	var count int
	if err := alice.Query("SELECT count(*) FROM ks.t").Scan(&count); err != nil || count != 2 {
		t.Fatalf("alice reads ks.t: %d, %v", count, err)
	}
	for _, stmt := range []string{
		"SELECT * FROM ks.secret",
		"INSERT INTO ks.t (k) VALUES (3)",
		"DROP TABLE ks.t",
		"CREATE ROLE mallory WITH SUPERUSER = true AND LOGIN = true AND PASSWORD = 'x'",
		"GRANT SELECT ON ALL KEYSPACES TO alice",
		"ALTER ROLE alice WITH SUPERUSER = true",
	} {
		err := alice.Query(stmt).Exec()
		if errCode(err) != gocql.ErrCodeUnauthorized {
			t.Errorf("%s as alice: %v, want Unauthorized", stmt, err)
		}
	}
	// A wrong password: BadCredentials with Cassandra's message.
	_, err = login(n, "alice", "guess")
	if err == nil || !strings.Contains(err.Error(), "Provided username alice and/or password are incorrect") {
		t.Errorf("a wrong password: %v", err)
	}
	// Revoked, the permission is gone on this node at once.
	mustExec(t, admin, "REVOKE SELECT ON ks.t FROM alice")
	if err := alice.Query("SELECT * FROM ks.t").Exec(); errCode(err) != gocql.ErrCodeUnauthorized {
		t.Errorf("after REVOKE: %v, want Unauthorized", err)
	}
	mustExec(t, admin, "GRANT SELECT ON KEYSPACE ks TO alice")

	// Logins of a warm cache: bcrypt is the cost.
	const logins = 5
	start = time.Now()
	for range logins {
		if _, err := n.exec.Authenticate(context.Background(), "alice", "alice-pw"); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("login check (bcrypt cost 10, role cache warm): %v each", (time.Since(start) / logins).Round(time.Millisecond))

	// The Python driver, as alice.
	checkPythonDriver(t)
	host, port, _ := net.SplitHostPort(n.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	script, _ := filepath.Abs(filepath.Join("testdata", "python", "auth_roles.py"))
	cmd := exec.CommandContext(ctx, pythonDriver, script, host, port, "alice", "alice-pw")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	var r struct {
		WrongPassword string `json:"wrong_password"`
		Rows          []int  `json:"rows"`
		Insert, Drop  string
		Keyspaces     []string
	}
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("python output %q: %v", stdout.String(), err)
	}
	t.Logf("python driver: %+v", r)
	if !strings.Contains(r.WrongPassword, "AuthenticationFailed") || fmt.Sprint(r.Rows) != "[1 2]" ||
		!strings.HasPrefix(r.Insert, "Unauthorized") || !strings.HasPrefix(r.Drop, "Unauthorized") {
		t.Errorf("python driver as alice: %+v", r)
	}
}
