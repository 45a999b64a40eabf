package cql

import (
	"errors"
	"io"
	"log"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"wcdb/query/ast"
)

// gocqlSession connects gocql to a server on addr; the session is closed
// when the test ends.
func gocqlSession(t testing.TB, addr string, mod func(*gocql.ClusterConfig)) (*gocql.Session, error) {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	cluster := gocql.NewCluster(host)
	cluster.Port, _ = strconv.Atoi(port)
	cluster.ProtoVersion = 0 // let gocql discover it
	cluster.Consistency = gocql.One
	cluster.Timeout = 5 * time.Second
	cluster.ConnectTimeout = 5 * time.Second
	cluster.NumConns = 1
	cluster.Logger = log.New(io.Discard, "", 0)
	if mod != nil {
		mod(cluster)
	}
	s, err := cluster.CreateSession()
	if err == nil {
		t.Cleanup(s.Close)
	}
	return s, err
}

func TestGocql(t *testing.T) {
	ex := newFakeExec()
	ex.rows = 10
	srv, addr := startServer(t, testConfig(), ex)
	s, err := gocqlSession(t, addr, func(c *gocql.ClusterConfig) {
		c.Compressor = &gocql.SnappyCompressor{}
		c.Keyspace = "ks"
	})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}

	t.Run("paged query", func(t *testing.T) {
		iter := s.Query("SELECT k, v FROM ks.t").PageSize(3).Iter()
		var k int
		var v string
		var got []string
		for iter.Scan(&k, &v) {
			got = append(got, strconv.Itoa(k)+"="+v)
		}
		if err := iter.Close(); err != nil {
			t.Fatal(err)
		}
		if len(got) != 10 || got[0] != "0=v0" || got[9] != "9=v9" {
			t.Fatalf("rows: %v", got)
		}
	})

	t.Run("prepared", func(t *testing.T) {
		before := ex.prepareCount()
		if err := s.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", 1, "a").Exec(); err != nil {
			t.Fatal(err)
		}
		iter := s.Query("SELECT k, v FROM ks.t WHERE k >= ?", 0).PageSize(4).Iter()
		n := 0
		var k int
		var v string
		for iter.Scan(&k, &v) {
			if v != "v"+strconv.Itoa(k) {
				t.Fatalf("row %d: %q", k, v)
			}
			n++
		}
		if err := iter.Close(); err != nil || n != 10 {
			t.Fatalf("prepared paged select: %d rows, %v", n, err)
		}
		if got := ex.prepareCount() - before; got != 2 {
			t.Fatalf("prepares: got %d, want 2", got)
		}
		// The server forgets the statements: gocql gets Unprepared and
		// prepares again.
		srv.prepared.invalidateKeyspace("ks")
		if err := s.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", 2, "b").Exec(); err != nil {
			t.Fatalf("after the cache was dropped: %v", err)
		}
		if got := ex.prepareCount() - before; got != 3 {
			t.Fatalf("prepares after Unprepared: got %d, want 3", got)
		}
	})

	t.Run("batch", func(t *testing.T) {
		b := s.NewBatch(gocql.UnloggedBatch)
		b.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", 5, "e")
		b.Query("INSERT INTO ks.t (k, v) VALUES (6, 'f')")
		if err := s.ExecuteBatch(b); err != nil {
			t.Fatal(err)
		}
		ex.mu.Lock()
		last := ex.mu.batches[len(ex.mu.batches)-1]
		ex.mu.Unlock()
		if last.typ != ast.UnloggedBatch || len(last.entries) != 2 || last.entries[0].Prepared == nil ||
			string(last.entries[0].Values[1]) != "e" {
			t.Fatalf("batch: %+v", last)
		}
	})

	t.Run("schema change", func(t *testing.T) {
		if err := s.Query("CREATE TABLE ks.gocql").Exec(); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("errors", func(t *testing.T) {
		var un *gocql.RequestErrUnavailable
		err := s.Query("FAIL unavailable").Exec()
		if !errors.As(err, &un) || un.Consistency != gocql.Quorum || un.Required != 2 || un.Alive != 1 {
			t.Fatalf("unavailable: %#v", err)
		}
		var wt *gocql.RequestErrWriteTimeout
		err = s.Query("FAIL write_timeout").Exec()
		if !errors.As(err, &wt) || wt.Consistency != gocql.One || wt.BlockFor != 1 || wt.WriteType != "SIMPLE" {
			t.Fatalf("write timeout: %#v", err)
		}
		var rt *gocql.RequestErrReadTimeout
		err = s.Query("FAIL read_timeout").Exec()
		if !errors.As(err, &rt) || rt.Consistency != gocql.LocalQuorum || rt.Received != 1 || rt.BlockFor != 2 || rt.DataPresent != 1 {
			t.Fatalf("read timeout: %#v", err)
		}
		var ae *gocql.RequestErrAlreadyExists
		err = s.Query("FAIL already_exists").Exec()
		if !errors.As(err, &ae) || ae.Keyspace != "ks" || ae.Table != "t" {
			t.Fatalf("already exists: %#v", err)
		}
		var re gocql.RequestError
		err = s.Query("FAIL syntax").Exec()
		if !errors.As(err, &re) || re.Code() != gocql.ErrCodeSyntax || !strings.Contains(re.Message(), "mismatched") {
			t.Fatalf("syntax: %#v", err)
		}
		err = s.Query("FAIL invalid").Exec()
		if !errors.As(err, &re) || re.Code() != gocql.ErrCodeInvalid {
			t.Fatalf("invalid: %#v", err)
		}
		err = s.Query("PANIC").Exec()
		if !errors.As(err, &re) || re.Code() != gocql.ErrCodeServer {
			t.Fatalf("panic: %#v", err)
		}
		// The session still works.
		if err := s.Query("SELECT k, v FROM ks.t").Exec(); err != nil {
			t.Fatal(err)
		}
	})

	// USE was sent by gocql for cluster.Keyspace.
	if m := ex.queries(); !containsPrefix(m, `USE "ks"`) {
		t.Fatalf("gocql never sent USE: %q", m)
	}
}

func TestGocqlUncompressed(t *testing.T) {
	// gocql's lz4 compressor is a module of its own; the raw-frame tests
	// cover lz4.
	_, addr := startServer(t, testConfig(), newFakeExec())
	s, err := gocqlSession(t, addr, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	if err := s.Query("SELECT k, v FROM ks.t").Exec(); err != nil {
		t.Fatal(err)
	}
}

func TestGocqlAuth(t *testing.T) {
	cfg := testConfig()
	cfg.Credentials = map[string]string{"cassandra": "cassandra"}
	_, addr := startServer(t, cfg, newFakeExec())
	if _, err := gocqlSession(t, addr, func(c *gocql.ClusterConfig) {
		c.Authenticator = gocql.PasswordAuthenticator{Username: "cassandra", Password: "wrong"}
	}); err == nil || !strings.Contains(err.Error(), "incorrect") {
		t.Fatalf("bad password: got %v", err)
	}
	s, err := gocqlSession(t, addr, func(c *gocql.ClusterConfig) {
		c.Authenticator = gocql.PasswordAuthenticator{Username: "cassandra", Password: "cassandra"}
		c.Compressor = &gocql.SnappyCompressor{}
	})
	if err != nil {
		t.Fatalf("good password: %v", err)
	}
	if err := s.Query("SELECT k, v FROM ks.t").Exec(); err != nil {
		t.Fatal(err)
	}
}

func TestGocqlWarnings(t *testing.T) {
	_, addr := startServer(t, testConfig(), newFakeExec())
	s, err := gocqlSession(t, addr, func(c *gocql.ClusterConfig) { c.Compressor = &gocql.SnappyCompressor{} })
	if err != nil {
		t.Fatal(err)
	}
	iter := s.Query("WARN Read 1001 live rows and 5000 tombstone cells|two").Iter()
	got := iter.Warnings() // (Close forgets them)
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "Read 1001 live rows and 5000 tombstone cells" || got[1] != "two" {
		t.Fatalf("gocql's warnings: got %q", got)
	}
}

func (f *fakeExec) queries() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.mu.queries...)
}

func containsPrefix(l []string, p string) bool {
	for _, s := range l {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
