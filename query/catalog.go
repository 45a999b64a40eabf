package query

import (
	"sort"
	"sync"
	"time"

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
		// version they were analyzed at is gone).
		version [16]byte
	}
}

type catalogKeyspace struct {
	ks     *schema.Keyspace
	tables map[string]*schema.Table
}

func newCatalog() *Catalog {
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

func timeNowMicros() int64 { return time.Now().UnixMicro() }

// setKeyspace installs or replaces a keyspace definition (its tables
// stay) and changes the version.
func (c *Catalog) setKeyspace(ks *schema.Keyspace) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if k := c.mu.keyspaces[ks.Name]; k != nil {
		k.ks = ks
	} else {
		c.mu.keyspaces[ks.Name] = &catalogKeyspace{ks: ks, tables: make(map[string]*schema.Table)}
	}
	c.bumpLocked()
}

// setTable installs or replaces a table of an existing keyspace and
// changes the version.
func (c *Catalog) setTable(t *schema.Table) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if k := c.mu.keyspaces[t.Keyspace]; k != nil {
		k.tables[t.Name] = t
		c.bumpLocked()
	}
}

// dropKeyspace removes a keyspace and its tables.
func (c *Catalog) dropKeyspace(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.mu.keyspaces, name)
	c.bumpLocked()
}

// dropTable removes a table.
func (c *Catalog) dropTable(keyspace, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if k := c.mu.keyspaces[keyspace]; k != nil {
		delete(k.tables, name)
		c.bumpLocked()
	}
}

// bumpLocked gives the schema a new version: a random (v4) UUID, as the
// version only has to differ from every earlier one on this node. (The
// cluster will want a content digest, so that nodes with the same schema
// agree; the DDL code may set mu.version to one.)
func (c *Catalog) bumpLocked() { c.mu.version = schema.NewRandomUUID() }
