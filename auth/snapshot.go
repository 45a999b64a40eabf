package auth

import (
	"slices"
)

// Role is a row of system_auth.roles.
type Role struct {
	Name       string
	Super      bool
	Login      bool
	MemberOf   []string // roles granted to this one, directly
	SaltedHash string   // bcrypt hash; "" without a password
}

// Snapshot is the whole access-control state at one moment: every role and
// every permission granted. It is immutable.
type Snapshot struct {
	roles map[string]*Role
	// perms[role][resource] are the permissions granted to role directly.
	perms map[string]map[Resource]Permission
}

// NewSnapshot builds a snapshot of roles and grants (role -> resource ->
// permissions).
func NewSnapshot(roles []Role, grants map[string]map[Resource]Permission) *Snapshot {
	s := &Snapshot{roles: make(map[string]*Role, len(roles)), perms: grants}
	if s.perms == nil {
		s.perms = map[string]map[Resource]Permission{}
	}
	for i := range roles {
		s.roles[roles[i].Name] = &roles[i]
	}
	return s
}

// Role returns the role named name.
func (s *Snapshot) Role(name string) (*Role, bool) {
	r, ok := s.roles[name]
	return r, ok
}

// Roles lists the roles, by name.
func (s *Snapshot) Roles() []*Role {
	out := make([]*Role, 0, len(s.roles))
	for _, r := range s.roles {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *Role) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out
}

// Empty reports whether there is no role at all (a new cluster).
func (s *Snapshot) Empty() bool { return len(s.roles) == 0 }

// Effective returns role and every role granted to it, directly or
// through others, each once (roles that no longer exist are skipped).
func (s *Snapshot) Effective(role string) []string {
	var out []string
	seen := map[string]bool{}
	var walk func(string)
	walk = func(name string) {
		r, ok := s.roles[name]
		if !ok || seen[name] {
			return
		}
		seen[name] = true
		out = append(out, name)
		for _, m := range r.MemberOf {
			walk(m)
		}
	}
	walk(role)
	return out
}

// IsSuper reports whether role is a superuser, or is granted one.
func (s *Snapshot) IsSuper(role string) bool {
	for _, name := range s.Effective(role) {
		if s.roles[name].Super {
			return true
		}
	}
	return false
}

// Granted returns the permissions granted to role itself on resource.
func (s *Snapshot) Granted(role string, r Resource) Permission { return s.perms[role][r] }

// Grants lists role's direct grants: resource -> permissions.
func (s *Snapshot) Grants(role string) map[Resource]Permission { return s.perms[role] }

// Authorized reports whether role may do p on r: a superuser may do
// anything; otherwise some effective role must hold p on r or on one of
// its parents.
func (s *Snapshot) Authorized(role string, r Resource, p Permission) bool {
	if s.IsSuper(role) {
		return true
	}
	for _, name := range s.Effective(role) {
		for x := r; x != ""; x = x.Parent() {
			if s.perms[name][x]&p == p {
				return true
			}
		}
	}
	return false
}
