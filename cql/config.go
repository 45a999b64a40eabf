package cql

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// Config is the protocol server's configuration. Start from DefaultConfig;
// New calls Validate.
type Config struct {
	// ListenAddress is the host:port ListenAndServe listens on. Default
	// 127.0.0.1:9042 (the CQL port, on loopback only: exposing a node is a
	// decision the operator makes).
	ListenAddress string

	// MaxFrameSize is the largest frame body a client may send, in bytes,
	// compressed or not, and the largest a compressed body may decompress
	// to. A frame over it is answered with a protocol error and the
	// connection is closed. Default 256 MiB, the limit the v4 spec states
	// and Cassandra 3's native_transport_max_frame_size_in_mb (Cassandra 4
	// lowered its default to 16 MiB); at most 2 GiB - 1.
	MaxFrameSize int

	// MaxConnections is the most client connections open at once. One over
	// it is answered (its first request) with an Overloaded error and
	// closed, unless the oldest connection that has not authenticated
	// gives up its place (see IdleUnauthenticatedTimeout). Default 1024.
	MaxConnections int

	// MaxConnectionsPerIP is the most connections open at once from one
	// client address (Cassandra's
	// native_transport_max_concurrent_connections_per_ip); one over it is
	// answered as one over MaxConnections. 0 or less: no limit. Default -1
	// (no limit), as Cassandra's: set it on a node that faces clients it
	// does not trust, so one host cannot take all MaxConnections.
	MaxConnectionsPerIP int

	// IdleUnauthenticatedTimeout closes a connection that has not finished
	// its handshake this long after it was accepted: the TLS handshake on
	// an encrypted port, STARTUP, and the login when authentication is on.
	// A connection that has finished it may then stay idle for ever (drivers
	// keep pools of them). When the server is full, a new connection takes
	// the place of the oldest connection still unauthenticated after a
	// tenth of this, so sockets that never send a byte cannot lock clients
	// out. 0: no timeout (and no replacement). Default 10 s. This is
	// wcdb's own setting: Cassandra has native_transport_idle_timeout,
	// which closes any idle connection, authenticated or not, and is off
	// by default.
	IdleUnauthenticatedTimeout time.Duration

	// MaxRequestDataInFlight bounds the bytes of requests received and
	// executing across all connections (Cassandra's
	// native_transport_max_request_data_in_flight; a frame counts its body
	// as sent, compressed or not). A frame takes its share when its header
	// arrives, before its body is read, and gives it back once it has been
	// executed. Over the bound, the connection's reader waits: it reads
	// nothing more of that client, whose writes then stall in TCP
	// (backpressure, as Cassandra 4.1 and later do with
	// native_transport_throw_on_overload false, their default; true answers
	// Overloaded at once). After RequestTimeout of waiting (never, if that
	// is 0) the frame's body is skipped and the request answered
	// Overloaded; the connection stays. A frame larger than the whole bound
	// waits until nothing else is in flight. Default 100 MiB, a tenth of a
	// 1 GiB heap, as Cassandra's; the node sets a tenth of its memory
	// budget.
	MaxRequestDataInFlight int64

	// MaxInFlight is the most requests of one connection executing at
	// once; beyond it the connection's reader waits for one to finish, so a
	// client that pipelines without bound is slowed, not buffered. Default
	// 128.
	MaxInFlight int

	// RequestTimeout bounds each QUERY, PREPARE, EXECUTE and BATCH: the
	// executor gets a context with this deadline. The coordinator's own
	// read and write timeouts (which produce ReadTimeout and WriteTimeout
	// errors) should be shorter. 0 means no deadline. Default 12 s.
	RequestTimeout time.Duration

	// FrameTimeout is how long a partly received frame may stall: once a
	// frame's first byte has arrived, each further read must make progress
	// within it or the connection is closed (a client that sends half a
	// frame and goes silent does not hold its connection forever). Idle
	// connections between frames are not affected. Default 30 s.
	FrameTimeout time.Duration

	// DrainTimeout is how long Close lets in-flight requests finish before
	// it cancels them and closes the connections. Default 10 s.
	DrainTimeout time.Duration

	// Compression lists the frame compression algorithms offered in
	// SUPPORTED and accepted in STARTUP: CompressionLZ4, CompressionSnappy.
	// Empty offers none. Default both.
	Compression []string

	// Credentials, when non-nil, turns on password authentication
	// (Cassandra's PasswordAuthenticator, SASL PLAIN): STARTUP is answered
	// with AUTHENTICATE and the client must send a user name and password
	// present in this map (user -> password) before anything else. Nil (the
	// default) means no authentication.
	Credentials map[string]string

	// Authenticator, when set, turns on password authentication through
	// it instead of Credentials (the node's roles).
	Authenticator Authenticator

	// TLS, if set, serves the port over TLS (client_encryption_options):
	// its ClientAuth says whether clients must present a certificate.
	// TLSOptional also accepts plaintext clients on the same port. Nil:
	// plaintext only.
	TLS         *tls.Config
	TLSOptional bool

	// PreparedCacheBytes bounds the prepared statements the server keeps,
	// in bytes of the memory they hold (query text and analyzed plan,
	// measured by walking them, as Cassandra's measureDeep does); the least
	// recently used are evicted and clients re-prepare them on the
	// Unprepared error. A statement larger than the whole cache is refused
	// with an Invalid error. Default 4 MiB, 1/256 of a 1 GiB heap, as
	// Cassandra's prepared_statements_cache_size; the node sets 1/256 of
	// its memory budget.
	PreparedCacheBytes int64

	// SlowQueryLogTimeout: a QUERY, EXECUTE or BATCH taking longer is
	// logged at WARN with its statement (slowlog.go). 0: none.
	SlowQueryLogTimeout time.Duration

	// NodeName names a node in the slow query log's list of the replicas a
	// request contacted, from its host id (the internode address, as
	// traces name nodes). Nil or "": the host id.
	NodeName func(hostID string) string

	// Traces, when set, receives each traced request's trace when its
	// response is ready (a request with the tracing flag, spec section
	// 2.2); it must not block. Nil: the flag is honoured in the response
	// (a session id) but nothing is recorded.
	Traces TraceRecorder

	// OnRequest, when set, is called as each QUERY, PREPARE, EXECUTE and
	// BATCH starts; it must be cheap. The node uses it to pace compaction
	// while clients are served (compaction.Share).
	OnRequest func()

	// SerialOverlapping keeps a multiplexing client's overlapping requests
	// off the connection's reader: each goes to a worker, as a request that
	// may wait should. The node sets it when writes wait for a commit-log
	// sync (batch and group modes): run one after another on the reader,
	// a connection's writes could not share a sync (group mode measured
	// 0.25x of periodic that way, against 0.65x with workers).
	SerialOverlapping bool

	// Logger receives connection and request failures worth an operator's
	// attention (panics, protocol violations). Nil means slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns the configuration a single local node needs.
func DefaultConfig() Config {
	return Config{
		ListenAddress:              "127.0.0.1:9042",
		MaxFrameSize:               256 << 20,
		MaxConnections:             1024,
		MaxConnectionsPerIP:        -1,
		IdleUnauthenticatedTimeout: 10 * time.Second,
		MaxRequestDataInFlight:     100 << 20,
		MaxInFlight:                128,
		RequestTimeout:             12 * time.Second,
		FrameTimeout:               30 * time.Second,
		DrainTimeout:               10 * time.Second,
		Compression:                []string{CompressionLZ4, CompressionSnappy},
		PreparedCacheBytes:         4 << 20,
	}
}

// Validate reports the first invalid setting.
func (c *Config) Validate() error {
	if c.ListenAddress != "" {
		if _, _, err := net.SplitHostPort(c.ListenAddress); err != nil {
			return fmt.Errorf("cql: invalid listen address %q: %w", c.ListenAddress, err)
		}
	}
	switch {
	case c.MaxFrameSize < headerSize || c.MaxFrameSize > 1<<31-1:
		return fmt.Errorf("cql: max frame size %d out of range [%d, %d]", c.MaxFrameSize, headerSize, 1<<31-1)
	case c.MaxConnections < 1:
		return fmt.Errorf("cql: max connections %d must be at least 1", c.MaxConnections)
	case c.MaxInFlight < 1 || c.MaxInFlight > 32768:
		return fmt.Errorf("cql: max in-flight requests per connection %d out of range [1, 32768]", c.MaxInFlight)
	case c.RequestTimeout < 0:
		return fmt.Errorf("cql: negative request timeout %v", c.RequestTimeout)
	case c.FrameTimeout <= 0:
		return fmt.Errorf("cql: frame timeout %v must be positive", c.FrameTimeout)
	case c.DrainTimeout < 0:
		return fmt.Errorf("cql: negative drain timeout %v", c.DrainTimeout)
	case c.PreparedCacheBytes < 1:
		return fmt.Errorf("cql: prepared statement cache size %d bytes must be positive", c.PreparedCacheBytes)
	case c.MaxRequestDataInFlight < 1:
		return fmt.Errorf("cql: max request data in flight %d bytes must be positive", c.MaxRequestDataInFlight)
	case c.IdleUnauthenticatedTimeout < 0:
		return fmt.Errorf("cql: negative idle unauthenticated timeout %v", c.IdleUnauthenticatedTimeout)
	}
	for _, name := range c.Compression {
		if _, ok := compressors[name]; !ok {
			return fmt.Errorf("cql: unknown compression %q (want %q or %q)", name, CompressionLZ4, CompressionSnappy)
		}
	}
	for user := range c.Credentials {
		if user == "" {
			return errors.New("cql: empty user name in credentials")
		}
	}
	return nil
}

// Authenticator checks a login (Cassandra's PasswordAuthenticator): host
// is the client's address, for throttling guesses. It returns the role the
// connection then acts as, or an error whose message the client gets as
// BadCredentials (or a server error when the check itself failed).
type Authenticator interface {
	Authenticate(ctx context.Context, host, user, password string) (role string, err error)
}

// BadCredentials is the error an Authenticator returns for a wrong user
// or password: it reaches the client as BadCredentials (0x0100) with Msg.
type BadCredentials struct{ Msg string }

func (e *BadCredentials) Error() string { return e.Msg }
