package metrics

import (
	"errors"
	"fmt"
	"strings"

	"wcdb/cluster"
	"wcdb/cql"
)

// Node is what the readiness checks read of a node. Each func may be
// called at any time from the node's start on, concurrently.
type Node struct {
	// CQL returns the CQL server, nil before it starts.
	CQL func() *cql.Server
	// Membership returns the node's membership, nil before it joins.
	Membership func() *cluster.Membership
	// SchemaVersion returns the node's schema version (once joined).
	SchemaVersion func() [16]byte
	// Leaving reports a decommission in progress; Stopped that a failure
	// policy (commit log or disk) stopped the node.
	Leaving, Stopped func() bool
}

// Readiness returns what /readyz checks of n: it serves CQL, is NORMAL in
// the ring and not leaving it, agrees on the schema with every live node,
// and was not stopped by a failure policy.
func Readiness(n Node) []Check {
	errNotJoined := errors.New("not joined yet")
	return []Check{
		{Name: "cql", Check: func() error {
			switch s := n.CQL(); {
			case s == nil:
				return errors.New("not serving yet")
			case s.Closing():
				return errors.New("closed")
			}
			return nil
		}},
		{Name: "ring", Check: func() error {
			m := n.Membership()
			switch {
			case m == nil:
				return errNotJoined
			case n.Leaving():
				return errors.New("decommissioning")
			case m.Local().Status != cluster.StatusNormal:
				return fmt.Errorf("status %v, not NORMAL", m.Local().Status)
			}
			return nil
		}},
		{Name: "schema", Check: func() error {
			m := n.Membership()
			if m == nil {
				return errNotJoined
			}
			mine, self := n.SchemaVersion(), m.ID()
			var differ []string
			for _, info := range m.Nodes() {
				if info.ID != self && info.Alive && info.Status != cluster.StatusLeft &&
					info.SchemaVersion != ([16]byte{}) && info.SchemaVersion != mine {
					differ = append(differ, string(info.ID))
				}
			}
			if len(differ) > 0 {
				return fmt.Errorf("version differs from live nodes %s", strings.Join(differ, ", "))
			}
			return nil
		}},
		{Name: "failure_policy", Check: func() error {
			if n.Stopped() {
				return errors.New("node stopped after a disk or commit log failure")
			}
			return nil
		}},
	}
}
