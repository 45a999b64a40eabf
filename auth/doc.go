// Package auth holds the access-control model of wcdb, as Cassandra's
// PasswordAuthenticator, CassandraRoleManager and CassandraAuthorizer
// define it: roles (which may log in, may be superusers, and are granted
// other roles), passwords hashed with bcrypt, permissions on resources
// (ALL KEYSPACES > KEYSPACE > TABLE; ALL ROLES > ROLE), and a cache of
// the whole state, which a login or a permission check reads without
// touching the system_auth tables.
//
// The tables themselves (system_auth.roles, role_members,
// role_permissions) live in the schema and are read and written by the
// query layer, through the coordinator; this package only sees their
// contents as a Snapshot, loaded by a function the query layer gives the
// Cache. A Snapshot is immutable and answers every question purely; the
// Cache's only goroutine is a background reload past its update interval.
package auth
