package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gocql/gocql"
)

// connConfig is where and how the shell connects.
type connConfig struct {
	host           string
	port           int
	user, password string
	connectTimeout time.Duration // dialing and the connection's startup
	requestTimeout time.Duration // each request
	tls            *tls.Config   // nil: plaintext
	numConns       int           // connections to the node; 0 is 1
}

func (c connConfig) addr() string { return net.JoinHostPort(c.host, strconv.Itoa(c.port)) }

// quietLogger drops gocql's log lines (reconnection attempts and the like),
// which would land in the middle of the shell's output.
type quietLogger struct{}

func (quietLogger) Print(...any)          {}
func (quietLogger) Printf(string, ...any) {}
func (quietLogger) Println(...any)        {}

// connect opens a session to the node, bound to keyspace unless it is
// empty. gocql sets a session's keyspace on every connection of its pool
// as the connection opens, and refuses USE statements; so a USE opens a new
// session.
func (c connConfig) connect(keyspace string) (*gocql.Session, error) {
	cl := gocql.NewCluster(c.host)
	cl.Port = c.port
	cl.ProtoVersion = 4
	cl.Keyspace = keyspace
	cl.ConnectTimeout = c.connectTimeout
	cl.Timeout = c.requestTimeout
	cl.Consistency = gocql.One
	// Talk to the node given, as cqlsh does (its whitelist policy), rather
	// than to the addresses the node lists in system.peers.
	cl.DisableInitialHostLookup = true
	cl.NumConns = max(c.numConns, 1)
	// Rows are read with their metadata from each response: the shell
	// adjusts the column types it scans with (see cqlvalue.Opaque), which must
	// not be the prepared statement's cached ones.
	cl.DisableSkipMetadata = true
	cl.Events.DisableNodeStatusEvents = true
	cl.Events.DisableTopologyEvents = true
	cl.Events.DisableSchemaEvents = true
	cl.MaxWaitSchemaAgreement = 10 * time.Second
	cl.Logger = quietLogger{}
	if c.tls != nil {
		// The config checks the node's certificate itself (sslSettings).
		cl.SslOpts = &gocql.SslOptions{Config: c.tls.Clone()}
	}
	if c.user != "" {
		cl.Authenticator = gocql.PasswordAuthenticator{Username: c.user, Password: c.password}
	}
	s, err := cl.CreateSession()
	if err != nil {
		return nil, c.connectError(err)
	}
	return s, nil
}

// connectError says why the node could not be reached, without the
// prefixes gocql stacks up in front of the cause.
func (c connConfig) connectError(err error) error {
	var re gocql.RequestError
	if errors.As(err, &re) {
		return fmt.Errorf("unable to connect to %s: %s", c.addr(), errorText(err))
	}
	msg := err.Error()
	for _, prefix := range []string{"gocql: unable to create session: ", "control: ", "unable to connect to initial hosts: "} {
		msg = strings.TrimPrefix(msg, prefix)
	}
	return fmt.Errorf("unable to connect to %s: %s", c.addr(), msg)
}
