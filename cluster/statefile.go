package cluster

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"

	"wcdb/internal/vfs"
	"wcdb/ring"
)

// StateFile is the name of the file SaveState writes in its directory.
const StateFile = "cluster-state.json"

const stateFileVersion = 1

// State is what a node keeps across restarts so that it comes back as the
// same member: its host id, its tokens, and whether it is still joining
// (its bootstrap not finished: it must fetch its ranges' data again before
// it turns NORMAL).
type State struct {
	HostID  ring.NodeID
	Tokens  []ring.Token
	Joining bool
	// Decommissioned: the node left the cluster (its ranges handed over);
	// it must not rejoin with this data.
	Decommissioned bool
	// Replacing is the node a joining node replaces, if it does.
	Replacing ring.NodeID
}

// stateJSON is the file's layout. "joining" was added without a version
// change: a file without it is a node that finished joining.
type stateJSON struct {
	Version int          `json:"version"`
	HostID  ring.NodeID  `json:"host_id"`
	Tokens  []ring.Token `json:"tokens"`
	Joining bool         `json:"joining,omitempty"`
	// Decommissioned was added the same way.
	Decommissioned bool `json:"decommissioned,omitempty"`
	// Replacing was added the same way.
	Replacing ring.NodeID `json:"replacing,omitempty"`
}

// LoadState reads the state SaveState wrote in dir. When there is none,
// the error wraps fs.ErrNotExist (a node starting for the first time).
func LoadState(dir string) (State, error) {
	path := filepath.Join(dir, StateFile)
	b, err := vfs.ReadFile(vfs.Default, path)
	if err != nil {
		return State{}, fmt.Errorf("cluster: load state: %w", err)
	}
	var j stateJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return State{}, fmt.Errorf("cluster: load state %s: %w", path, err)
	}
	switch {
	case j.Version != stateFileVersion:
		return State{}, fmt.Errorf("cluster: load state %s: version %d, want %d", path, j.Version, stateFileVersion)
	case !validHostID(j.HostID):
		return State{}, fmt.Errorf("cluster: load state %s: host id %q is not a UUID", path, j.HostID)
	}
	return State{HostID: j.HostID, Tokens: j.Tokens, Joining: j.Joining, Decommissioned: j.Decommissioned, Replacing: j.Replacing}, nil
}

// SaveState writes s in dir atomically: a temporary file, synced, renamed
// over the old one, and the directory synced, so that a crash leaves the
// old state or the new one.
func SaveState(dir string, s State) error {
	if !validHostID(s.HostID) {
		return fmt.Errorf("cluster: save state: host id %q is not a UUID", s.HostID)
	}
	b, err := json.MarshalIndent(stateJSON{Version: stateFileVersion, HostID: s.HostID,
		Tokens: slices.Sorted(slices.Values(s.Tokens)), Joining: s.Joining, Decommissioned: s.Decommissioned, Replacing: s.Replacing}, "", "  ")
	if err != nil {
		return fmt.Errorf("cluster: save state: %w", err)
	}
	b = append(b, '\n')
	if err := vfs.WriteFileAtomic(vfs.Default, filepath.Join(dir, StateFile), b); err != nil {
		return fmt.Errorf("cluster: save state: %w", err)
	}
	return nil
}
