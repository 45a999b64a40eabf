package server

// The node's side of the failure policies (server/failpolicy): what
// stopping its transports means, and the Node methods that tell.

// stopTransports stops the CQL server and gossip, leaving the internode
// service up (failpolicy.Handler.StopTransports calls it once).
func (n *Node) stopTransports() {
	if err := n.cql.Close(); err != nil {
		n.log.Warn("stopping the CQL server", "err", err)
	}
	if m := n.cl.m.Load(); m != nil {
		if err := m.Shutdown(); err != nil {
			n.log.Warn("stopping gossip", "err", err)
		}
	}
	n.cl.halt()
}

// Fatal is closed when a failure policy of die fires: the process should
// exit with a non-zero status (cmd/wcdb tries Close first, for a while).
// FatalError tells why.
func (n *Node) Fatal() <-chan struct{} { return n.fail.Fatal() }

// FatalError is why Fatal was closed, nil before.
func (n *Node) FatalError() error { return n.fail.FatalError() }

// Stopped reports whether a failure policy of stop (or die), or wcdb admin
// drain, stopped the node's transports.
func (n *Node) Stopped() bool { return n.fail.Stopped() }
