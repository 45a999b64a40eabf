package server

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"wcdb/internal/vfs"
	"wcdb/schema"
)

// ReleaseVersion is what the node reports as its release_version: drivers
// parse it as a Cassandra version to pick features, so it reads as 4.0.
const ReleaseVersion = "4.0.0-wcdb"

// hostIDFile names the file in the data directory that keeps the node's
// host id across restarts.
const hostIDFile = "HOST_ID"

// loadHostID returns the node's host id, made (random, version 4) and
// written on first start. The file is durable (synced, renamed, its
// directory synced, the data directory's own entry too) before the id is
// used: a node that lost power right after its first start would otherwise
// find an empty or missing file and never start again, or start as another
// node.
func loadHostID(dataDir string) ([16]byte, error) {
	var id [16]byte
	path := filepath.Join(dataDir, hostIDFile)
	data, err := vfs.ReadFile(vfs.Default, path)
	switch {
	case err == nil:
		u, err := schema.ParseUUID(strings.TrimSpace(string(data)))
		if err != nil {
			return id, fmt.Errorf("server: %s: %w", path, err)
		}
		return u, nil
	case !errors.Is(err, fs.ErrNotExist):
		return id, fmt.Errorf("server: %w", err)
	}
	id = schema.NewRandomUUID()
	if err := vfs.MkdirAllSynced(vfs.Default, dataDir); err != nil {
		return id, fmt.Errorf("server: %w", err)
	}
	if err := vfs.WriteFileAtomic(vfs.Default, path, []byte(schema.UUID(id).String()+"\n")); err != nil {
		return id, fmt.Errorf("server: write %s: %w", path, err)
	}
	return id, nil
}
