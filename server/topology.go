package server

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"wcdb/schema"
)

// ReleaseVersion is what the node reports as its release_version: drivers
// parse it as a Cassandra version to pick features, so it reads as 4.0.
const ReleaseVersion = "4.0.0-wcdb"

// hostIDFile names the file in the data directory that keeps the node's
// host id across restarts.
const hostIDFile = "HOST_ID"

// loadHostID returns the node's host id, made (random, version 4) and
// written on first start.
func loadHostID(dataDir string) ([16]byte, error) {
	var id [16]byte
	path := filepath.Join(dataDir, hostIDFile)
	data, err := os.ReadFile(path)
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
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return id, fmt.Errorf("server: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(schema.UUID(id).String()+"\n"), 0o644); err != nil {
		return id, fmt.Errorf("server: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return id, fmt.Errorf("server: %w", err)
	}
	return id, nil
}
