package commitlog

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"

	"wcdb/internal/vfs"
)

// ReadDir calls fn for every intact record of the segments in dir, in log
// order, changing nothing: it is for tools that read a node's files, maybe
// while the node runs. Replay, by contrast, repairs a torn tail. A segment
// is read up to its first damaged record (a torn tail, or the record the
// node is writing) or not at all if its header is bad; damaged counts the
// segments cut short. A missing dir holds no records. rec is only valid
// during the call; an error from fn stops ReadDir and is returned as is.
func ReadDir(fsys vfs.FS, dir string, fn func(pos Position, rec []byte) error) (damaged int, err error) {
	names, err := fsys.List(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, nil
		}
		return 0, fmt.Errorf("commitlog: list %s: %w", dir, err)
	}
	var ids []uint64
	for _, n := range names {
		if id, v, ok := parseSegmentName(n); ok && v == formatVersion {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		data, err := vfs.ReadFile(fsys, filepath.Join(dir, segmentName(id)))
		if err != nil {
			return damaged, fmt.Errorf("commitlog: read %s: %w", segmentName(id), err)
		}
		if checkSegmentHeader(data, id) != "" {
			damaged++
			continue
		}
		off := segmentHeaderSize
		for off < len(data) {
			rec, n, ok := decodeRecord(data[off:], id)
			if !ok {
				if slices.ContainsFunc(data[off:], func(b byte) bool { return b != 0 }) {
					damaged++ // a zero-filled tail was never written
				}
				break
			}
			if err := fn(Position{Segment: id, Offset: int64(off)}, rec); err != nil {
				return damaged, err
			}
			off += n
		}
	}
	return damaged, nil
}
