package auth

import (
	"fmt"
	"strings"
)

// Permission is a set of permissions, one bit each.
type Permission uint16

// The permissions, as Cassandra names them.
const (
	Create Permission = 1 << iota
	Alter
	Drop
	Select
	Modify
	Authorize
	Describe
	Execute
)

// permissionNames are the names of the permissions, in Cassandra's order
// (Permission enum), which LIST PERMISSIONS follows.
var permissionNames = []struct {
	p    Permission
	name string
}{
	{Create, "CREATE"}, {Alter, "ALTER"}, {Drop, "DROP"}, {Select, "SELECT"}, {Modify, "MODIFY"},
	{Authorize, "AUTHORIZE"}, {Describe, "DESCRIBE"}, {Execute, "EXECUTE"},
}

// ParsePermission returns the permission named name (upper case).
func ParsePermission(name string) (Permission, bool) {
	for _, n := range permissionNames {
		if n.name == name {
			return n.p, true
		}
	}
	return 0, false
}

// Names lists the permissions of the set, in Cassandra's order.
func (p Permission) Names() []string {
	var out []string
	for _, n := range permissionNames {
		if p&n.p != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// String prints the set as LIST PERMISSIONS names one.
func (p Permission) String() string { return strings.Join(p.Names(), ", ") }

// Resource is what permissions are granted on, in Cassandra's names
// (IResource.getName), which system_auth.role_permissions keys by:
//
//	data              ALL KEYSPACES
//	data/ks           KEYSPACE ks
//	data/ks/t         TABLE ks.t
//	roles             ALL ROLES
//	roles/r           ROLE r
type Resource string

// Resources.
const (
	AllKeyspaces Resource = "data"
	AllRoles     Resource = "roles"
)

// KeyspaceResource is KEYSPACE ks.
func KeyspaceResource(ks string) Resource { return Resource("data/" + ks) }

// TableResource is TABLE ks.t.
func TableResource(ks, t string) Resource { return Resource("data/" + ks + "/" + t) }

// RoleResource is ROLE r.
func RoleResource(r string) Resource { return Resource("roles/" + r) }

// Parent is the resource r inherits permissions from, or "" for a root.
func (r Resource) Parent() Resource {
	i := strings.LastIndexByte(string(r), '/')
	if i < 0 {
		return ""
	}
	return r[:i]
}

// parts splits a resource name into its root and the rest.
func (r Resource) parts() []string { return strings.SplitN(string(r), "/", 3) }

// Applicable is what may be granted on r (Cassandra's
// DataResource/RoleResource.applicablePermissions).
func (r Resource) Applicable() Permission {
	ps := r.parts()
	switch {
	case ps[0] == "data" && len(ps) == 3:
		return Alter | Drop | Select | Modify | Authorize
	case ps[0] == "data":
		return Create | Alter | Drop | Select | Modify | Authorize
	case ps[0] == "roles" && len(ps) == 2:
		return Alter | Drop | Authorize
	case ps[0] == "roles":
		return Create | Alter | Drop | Authorize | Describe
	}
	return 0
}

// Display prints r as Cassandra's messages do: <all keyspaces>,
// <keyspace ks>, <table ks.t>, <all roles>, <role r>.
func (r Resource) Display() string {
	ps := r.parts()
	switch {
	case ps[0] == "data" && len(ps) == 1:
		return "<all keyspaces>"
	case ps[0] == "data" && len(ps) == 2:
		return "<keyspace " + ps[1] + ">"
	case ps[0] == "data":
		return "<table " + ps[1] + "." + ps[2] + ">"
	case ps[0] == "roles" && len(ps) == 1:
		return "<all roles>"
	case ps[0] == "roles":
		return "<role " + strings.Join(ps[1:], "/") + ">"
	}
	return fmt.Sprintf("<%s>", string(r))
}
