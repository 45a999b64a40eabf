package storage

import "wcdb/storage/config"

// The engine's options live in storage/config; these are the same types.
type (
	// Options configure an Engine (config.Options).
	Options = config.Options
	// TableOptions are a table's storage settings (config.TableOptions).
	TableOptions = config.TableOptions
)

// The tombstone_gc modes.
const (
	TombstoneGCTimeout   = config.TombstoneGCTimeout
	TombstoneGCRepair    = config.TombstoneGCRepair
	TombstoneGCDisabled  = config.TombstoneGCDisabled
	TombstoneGCImmediate = config.TombstoneGCImmediate
)

// DefaultOptions returns the defaults for an engine in dir.
func DefaultOptions(dir string) Options { return config.DefaultOptions(dir) }
