package catalog

import (
	"crypto/md5"
	"sort"
	"strings"
	"sync"

	"wcdb/mutation"
	"wcdb/schema"
)

// Catalog is the schema a node knows: keyspaces and their tables. Readers
// get immutable snapshots: a DDL statement builds new schema objects and
// swaps them in, so a statement analyzed against a *schema.Table keeps a
// consistent definition. Safe for concurrent use.
type Catalog struct {
	mu struct {
		sync.RWMutex
		keyspaces map[string]*catalogKeyspace
		// version changes with every schema change (system.local and
		// system.peers report it; prepared statements re-analyze when the
		// version they were analyzed at is gone). It is a digest of the
		// schema's content (versionLocked), so that nodes with the same
		// schema report the same version, as Cassandra's do.
		version [16]byte
	}
	// ddl serializes schema changes and the rewrites of system.local and
	// system.peers: one at a time, so that concurrent CREATE TABLE IF NOT
	// EXISTS statements make one table. Held across the whole statement
	// (storage, schema tables, catalog); never taken under mu.
	ddl struct {
		sync.Mutex
		// lastTimestamp is the timestamp of the last schema mutation;
		// each change takes a greater one (NextTimestampLocked).
		lastTimestamp int64
	}
}

type catalogKeyspace struct {
	ks     *schema.Keyspace
	tables map[string]*schema.Table
	// params holds, per table name, the table options schema.Table does
	// not carry (caching, speculative_retry, ..., dropped columns).
	params map[string]*Params
	// types are the keyspace's user types (non-frozen) by name.
	types map[string]schema.Type
}

// New returns an empty catalog.
func New() *Catalog {
	c := &Catalog{}
	c.mu.keyspaces = make(map[string]*catalogKeyspace)
	return c
}

// Keyspace returns the keyspace, or nil.
func (c *Catalog) Keyspace(name string) *schema.Keyspace {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if k := c.mu.keyspaces[name]; k != nil {
		return k.ks
	}
	return nil
}

// Table returns the table, or nil.
func (c *Catalog) Table(keyspace, name string) *schema.Table {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if k := c.mu.keyspaces[keyspace]; k != nil {
		return k.tables[name]
	}
	return nil
}

// Keyspaces returns the keyspace names, sorted.
func (c *Catalog) Keyspaces() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	names := make([]string, 0, len(c.mu.keyspaces))
	for n := range c.mu.keyspaces {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Tables returns the keyspace's tables, sorted by name.
func (c *Catalog) Tables(keyspace string) []*schema.Table {
	c.mu.RLock()
	defer c.mu.RUnlock()
	k := c.mu.keyspaces[keyspace]
	if k == nil {
		return nil
	}
	ts := make([]*schema.Table, 0, len(k.tables))
	for _, t := range k.tables {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	return ts
}

// Version returns the schema version.
func (c *Catalog) Version() [16]byte {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.mu.version
}

// LockDDL takes the schema-change lock: held across a
// whole schema change, or rewrite of system.local and system.peers, so
// that they happen one at a time. The methods named ...Locked need it.
func (c *Catalog) LockDDL() { c.ddl.Lock() }

// UnlockDDL releases the schema-change lock.
func (c *Catalog) UnlockDDL() { c.ddl.Unlock() }

// NextTimestampLocked returns the timestamp of a schema change wanted at
// ts: ts, or just above the last change's if ts is not, so that a change
// never loses to an earlier one. The ddl lock must be held.
func (c *Catalog) NextTimestampLocked(ts int64) int64 {
	ts = max(ts, c.ddl.lastTimestamp+1)
	c.ddl.lastTimestamp = ts
	return ts
}

// SetKeyspace installs or replaces a keyspace definition (its tables
// stay) and changes the version.
func (c *Catalog) SetKeyspace(ks *schema.Keyspace) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if k := c.mu.keyspaces[ks.Name]; k != nil {
		k.ks = ks
	} else {
		c.mu.keyspaces[ks.Name] = newCatalogKeyspace(ks)
	}
	c.bumpLocked()
}

func newCatalogKeyspace(ks *schema.Keyspace) *catalogKeyspace {
	return &catalogKeyspace{ks: ks, tables: make(map[string]*schema.Table), params: make(map[string]*Params),
		types: make(map[string]schema.Type)}
}

// SetTable installs or replaces a table of an existing keyspace and
// changes the version.
func (c *Catalog) SetTable(t *schema.Table) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if k := c.mu.keyspaces[t.Keyspace]; k != nil {
		k.tables[t.Name] = t
		c.bumpLocked()
	}
}

// SetTableParams installs or replaces a table of an existing keyspace with
// its other options (p is not copied and must not change afterwards), and
// changes the version.
func (c *Catalog) SetTableParams(t *schema.Table, p *Params) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if k := c.mu.keyspaces[t.Keyspace]; k != nil {
		k.tables[t.Name] = t
		k.params[t.Name] = p
		c.bumpLocked()
	}
}

// TableParams returns the other options of a table (defaults if none were
// recorded), or nil if there is no such table. The result must not be
// changed.
func (c *Catalog) TableParams(keyspace, name string) *Params {
	c.mu.RLock()
	defer c.mu.RUnlock()
	k := c.mu.keyspaces[keyspace]
	if k == nil || k.tables[name] == nil {
		return nil
	}
	if p := k.params[name]; p != nil {
		return p
	}
	return defaultTableParams()
}

// TableByID returns the table with the given id, or nil.
func (c *Catalog) TableByID(id mutation.TableID) *schema.Table {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, k := range c.mu.keyspaces {
		for _, t := range k.tables {
			if t.ID == id {
				return t
			}
		}
	}
	return nil
}

// catalogEntry is one keyspace of a snapshot: its definition, its user
// types (sortedTypes), and its tables sorted by name with their other
// options.
type catalogEntry struct {
	ks     *schema.Keyspace
	types  []schema.Type
	tables []*schema.Table
	params []*Params
}

// snapshot returns the version and every keyspace, sorted by name, at one
// instant (for DESCRIBE, which pages by version).
func (c *Catalog) snapshot() ([16]byte, []catalogEntry) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.mu.version, c.entriesLocked()
}

func (c *Catalog) entriesLocked() []catalogEntry {
	out := make([]catalogEntry, 0, len(c.mu.keyspaces))
	for _, k := range c.mu.keyspaces {
		e := catalogEntry{ks: k.ks, types: sortedTypes(k.types)}
		for _, t := range k.tables {
			e.tables = append(e.tables, t)
		}
		sort.Slice(e.tables, func(i, j int) bool { return e.tables[i].Name < e.tables[j].Name })
		for _, t := range e.tables {
			p := k.params[t.Name]
			if p == nil {
				p = defaultTableParams()
			}
			e.params = append(e.params, p)
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ks.Name < out[j].ks.Name })
	return out
}

// install adds keyspaces and tables (with their other options, params[i]
// for tables[i]; nil for defaults) in one step, changing the version once:
// start-up uses it to load the schema. Unless types is nil, it also sets
// the user types of every keyspace given (types[keyspace], by name).
func (c *Catalog) install(keyspaces []*schema.Keyspace, tables []*schema.Table, params []*Params, types map[string]map[string]schema.Type) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ks := range keyspaces {
		k := c.mu.keyspaces[ks.Name]
		if k != nil {
			k.ks = ks
		} else {
			k = newCatalogKeyspace(ks)
			c.mu.keyspaces[ks.Name] = k
		}
		if types != nil {
			k.types = make(map[string]schema.Type, len(types[ks.Name]))
			for n, t := range types[ks.Name] {
				k.types[n] = t
			}
		}
	}
	for i, t := range tables {
		if k := c.mu.keyspaces[t.Keyspace]; k != nil {
			k.tables[t.Name] = t
			if params[i] != nil {
				k.params[t.Name] = params[i]
			}
		}
	}
	c.bumpLocked()
}

// DropKeyspace removes a keyspace and its tables.
func (c *Catalog) DropKeyspace(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.mu.keyspaces, name)
	c.bumpLocked()
}

// DropTable removes a table.
func (c *Catalog) DropTable(keyspace, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if k := c.mu.keyspaces[keyspace]; k != nil {
		delete(k.tables, name)
		delete(k.params, name)
		c.bumpLocked()
	}
}

// bumpLocked gives the schema its new version: the digest of its content.
func (c *Catalog) bumpLocked() { c.mu.version = schemaDigest(c.entriesLocked()) }

// schemaDigest is the schema version of a set of keyspaces: an MD5 of a
// canonical rendering of every keyspace not of LocalStrategy (system and
// system_schema are the same on every node of a release, and Cassandra
// leaves them out too), made a name-based (version 3) UUID as Cassandra's
// UUID.nameUUIDFromBytes does. Nodes with the same schema, including table
// ids and column ids, get the same version.
func schemaDigest(entries []catalogEntry) [16]byte {
	var b strings.Builder
	for _, e := range entries {
		if e.ks.Replication["class"] == schema.LocalStrategy {
			continue
		}
		writeCanonicalKeyspace(&b, e)
	}
	u := md5.Sum([]byte(b.String()))
	u[6] = u[6]&0x0f | 0x30
	u[8] = u[8]&0x3f | 0x80
	return u
}
