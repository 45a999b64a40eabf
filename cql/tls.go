package cql

import (
	"crypto/tls"
	"net"
	"sync"
)

// TLS on the CQL port (Config.TLS). With Config.TLSOptional a connection
// is told apart by the first byte the client sends: a TLS handshake
// record starts with 0x16 (content type handshake), a native-protocol
// frame with its version byte (at most 0x05 from a client), so plaintext
// and TLS clients share the port as in Cassandra 4 and 5.

// tlsRecordHandshake is the first byte of a TLS ClientHello.
const tlsRecordHandshake = 0x16

// secure wraps a new connection in TLS as the configuration says. The
// handshake runs on the connection's first read, in its own goroutine,
// never in the accept loop.
func (s *Server) secure(nc net.Conn) net.Conn {
	switch {
	case s.cfg.TLS == nil:
		return nc
	case s.cfg.TLSOptional:
		return &sniffConn{Conn: nc, cfg: s.cfg.TLS}
	}
	return tls.Server(nc, s.cfg.TLS)
}

// sniffConn decides at its first read whether the client speaks TLS.
type sniffConn struct {
	net.Conn // the raw connection
	cfg      *tls.Config
	once     sync.Once
	c        net.Conn // TLS or the raw connection with its first byte put back
	err      error
}

func (s *sniffConn) decide() {
	s.once.Do(func() {
		var b [1]byte
		n, err := s.Conn.Read(b[:])
		if n == 0 {
			s.err = err
			return
		}
		pc := &prefixConn{Conn: s.Conn, prefix: b[0], has: true}
		if b[0] == tlsRecordHandshake {
			s.c = tls.Server(pc, s.cfg)
		} else {
			s.c = pc
		}
	})
}

func (s *sniffConn) Read(p []byte) (int, error) {
	s.decide()
	if s.c == nil {
		return 0, s.err
	}
	return s.c.Read(p)
}

func (s *sniffConn) Write(p []byte) (int, error) {
	s.decide()
	if s.c == nil {
		return 0, s.err
	}
	return s.c.Write(p)
}

// prefixConn reads one byte already read before the rest.
type prefixConn struct {
	net.Conn
	prefix byte
	has    bool
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if p.has && len(b) > 0 {
		b[0], p.has = p.prefix, false
		return 1, nil
	}
	return p.Conn.Read(b)
}
