// Package server wires one wcdb node: configuration (package
// server/config, whose types it re-exports), the storage engine, the
// coordinator, the query executor and the native-protocol server, and
// their lifecycle.
package server
