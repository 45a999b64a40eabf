package storage

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"

	"wcdb/commitlog"
	"wcdb/internal/corrupt"
	"wcdb/internal/vfs"
)

// ErrCorrupt marks an engine metadata file (catalog or manifest) that fails
// its checksum or does not parse.
var ErrCorrupt = corrupt.New("storage: corrupt")

/*
Metadata files. The engine keeps two kinds, both small and both replaced
whole and atomically (write a temporary file, fsync, rename, fsync the
directory), so a crash leaves the old or the new version, never a mix:

	<dir>/CATALOG                  the tables that exist, with their options
	<dir>/data/<table id>/MANIFEST the table's live SSTables

Both have the same envelope:

	magic    8 bytes  "WCDBCAT1" or "WCDBMAN1" (the digit is the format version)
	crc      4 bytes  CRC-32C (Castagnoli) of the body, big-endian
	body     JSON     catalogFile or manifestFile below

JSON keeps the files readable by an operator; they are rewritten only on a
flush, a compaction or DDL, never per write.
*/

const (
	catalogMagic  = "WCDBCAT1"
	manifestMagic = "WCDBMAN1"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type catalogFile struct {
	Tables []catalogEntry `json:"tables"`
}

type catalogEntry struct {
	ID      string       `json:"id"` // hex of the TableID
	Options TableOptions `json:"options"`
}

type manifestFile struct {
	// NextFile is the next SSTable number to allocate.
	NextFile uint64 `json:"next_file"`
	// ReplayFrom is the commit log position before which every write to
	// this table is in the SSTables below (or was truncated away).
	ReplayFrom commitlog.Position `json:"replay_from"`
	Files      []manifestSSTable  `json:"files"`
}

type manifestSSTable struct {
	Num   uint64 `json:"num"`
	Level int    `json:"level,omitempty"`
	// CreatedAt is the unix time (seconds) the file was written.
	CreatedAt int64 `json:"created_at,omitempty"`
}

func encodeEnvelope(magic string, v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, 12+len(body))
	out = append(out, magic...)
	out = binary.BigEndian.AppendUint32(out, crc32.Checksum(body, castagnoli))
	return append(out, body...), nil
}

func decodeEnvelope(path, magic string, b []byte, v any) error {
	if len(b) < 12 || string(b[:8]) != magic {
		return fmt.Errorf("%w: %s: bad header", ErrCorrupt, path)
	}
	body := b[12:]
	if crc32.Checksum(body, castagnoli) != binary.BigEndian.Uint32(b[8:12]) {
		return fmt.Errorf("%w: %s: checksum mismatch", ErrCorrupt, path)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	return nil
}

func writeEnvelope(fs vfs.FS, path, magic string, v any) error {
	b, err := encodeEnvelope(magic, v)
	if err != nil {
		return err
	}
	return vfs.WriteFileAtomic(fs, path, b)
}

// readEnvelope reads path into v; found is false when the file is absent.
func readEnvelope(fs vfs.FS, path, magic string, v any) (found bool, err error) {
	f, err := fs.Open(path)
	if err != nil {
		if errors.Is(err, errNotExist) {
			return false, nil
		}
		return false, err
	}
	defer f.Close()
	n, err := f.Size()
	if err != nil {
		return false, err
	}
	b := make([]byte, n)
	if _, err := f.ReadAt(b, 0); err != nil && n > 0 {
		return false, fmt.Errorf("storage: read %s: %w", path, err)
	}
	return true, decodeEnvelope(path, magic, b, v)
}
