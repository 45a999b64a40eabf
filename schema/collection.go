package schema

import (
	"bytes"
	"encoding/binary"
	"slices"
	"wcdb/schema/timeuuid"
)

// Non-frozen collections are stored as one cell per element
// (mutation.Cell.Path holds the element's key):
//
//	set   Path = AppendComparable(element, ascending), Value empty
//	map   Path = AppendComparable(key, ascending),     Value = the value
//	list  Path = a list path (below),                  Value = the element
//
// A list path is 16 bytes: a version 1 timeuuid rearranged so that
// bytes.Compare orders paths as Cassandra's TimeUUIDType orders the
// timeuuids (the same bytes as the timeuuid's comparable body):
//
//	[0:2]  version (1) and time_hi    ┐
//	[2:4]  time_mid                   ├ the 60-bit timestamp, big-endian
//	[4:8]  time_low                   ┘
//	[8:16] clock sequence and node, each byte with its top bit flipped
//
// Appending takes timeuuids from NewTimeuuid (later than all before);
// prepending takes timestamps mirrored around 2010-01-01, as Cassandra does,
// each batch below the one before, so prepended elements sort before every
// appended one.

// Element is one cell of a non-frozen collection: its path and value.
type Element struct {
	Path, Value []byte
}

// ListPathSize is the size of a list path.
const ListPathSize = 16

// ListPaths makes n new, increasing list paths for elements being added to a
// list, one after the other in one slice (ListPathSize bytes each).
// AppendListPaths and PrependListPaths are the two used by CQL.
type ListPaths func(n int) []byte

// ListPath returns the list path of the timeuuid u.
func ListPath(u UUID) []byte { return appendTimeuuidBody(make([]byte, 0, ListPathSize), u[:]) }

// ListPathUUID returns the timeuuid a list path was made from.
func ListPathUUID(p []byte) (UUID, error) {
	if len(p) != ListPathSize {
		return UUID{}, invalidf("invalid list path of %d bytes", len(p))
	}
	var u UUID
	copy(u[:], p)
	timeuuidFromBody(u[:])
	return u, nil
}

// AppendListPaths returns n increasing list paths later than every list path
// made before by this process (the paths of NewTimeuuid timeuuids, n
// consecutive timestamps reserved at once).
func AppendListPaths(n int) []byte {
	return appendListPaths(make([]byte, 0, n*ListPathSize), timeuuid.Reserve(n), n)
}

// appendListPaths appends the paths of n timeuuids of consecutive
// timestamps from base.
func appendListPaths(dst []byte, base uint64, n int) []byte {
	for i := range n {
		u := timeuuid.FromTicks(base + uint64(i))
		dst = appendTimeuuidBody(dst, u[:])
	}
	return dst
}

// PrependListPaths returns n increasing list paths that sort before every
// list path made before by this process and before every appended one
// (timeuuid.ReservePrepend).
func PrependListPaths(n int) []byte {
	return appendListPaths(make([]byte, 0, n*ListPathSize), timeuuid.ReservePrepend(n), n)
}

// ElementPath returns the cell path of a set element or map key k of the
// non-frozen collection type t, validating k.
func ElementPath(t Type, k []byte) ([]byte, error) {
	if t.Kind != KindSet && t.Kind != KindMap {
		return nil, invalidf("%s has no element keys", t)
	}
	nk, err := Normalize(t.Elems[0], k)
	if err != nil {
		return nil, err
	}
	return AppendComparable(nil, t.Elems[0], nk, false), nil
}

// Elements are the cells of a non-frozen collection value, as
// CollectionElements splits it, held compactly: the paths one after the
// other in one slice, the values where they are in the serialized value.
// A value so decoded takes at most a few times its serialized size (a
// list<int> element: 8 bytes serialized, then a 16-byte path and a 4-byte
// offset), where a slice of Element took over 100 bytes and two
// allocations per element: a client binding a million-element list made
// the node allocate 70 times its size.
type Elements struct {
	n     int
	paths []byte
	// pathEnds are where each path ends in paths; nil for a list, whose
	// paths are ListPathSize bytes each.
	pathEnds []uint32
	// vals is the serialized (normalized) collection; valOffs are where
	// each element's value starts in it, after its 4-byte length. nil for
	// a set, whose cells have no value.
	vals    []byte
	valOffs []uint32
}

// Len returns the number of elements.
func (e *Elements) Len() int { return e.n }

// Path returns the cell path of element i.
func (e *Elements) Path(i int) []byte {
	if e.pathEnds == nil {
		p := e.paths[i*ListPathSize : (i+1)*ListPathSize]
		return p[:len(p):len(p)]
	}
	start := uint32(0)
	if i > 0 {
		start = e.pathEnds[i-1]
	}
	end := e.pathEnds[i]
	return e.paths[start:end:end]
}

// Value returns the cell value of element i: empty for a set element.
func (e *Elements) Value(i int) []byte {
	if e.valOffs == nil {
		return []byte{}
	}
	off := e.valOffs[i]
	end := off + binary.BigEndian.Uint32(e.vals[off-4:off])
	return e.vals[off:end:end]
}

// Element returns element i.
func (e *Elements) Element(i int) Element { return Element{Path: e.Path(i), Value: e.Value(i)} }

// CollectionElements splits a serialized list, set or map value into the
// cells of a non-frozen collection (a user type value: a cell per non-null
// field, path FieldPath): sets and maps sorted by path without
// duplicates (for maps the last entry of a key wins), lists in order with
// paths from paths (AppendListPaths if nil). The value is validated and its
// elements normalized. The values returned alias b, or the normalized copy
// of it that sets and maps need.
func CollectionElements(t Type, b []byte, paths ListPaths) (*Elements, error) {
	if !t.IsCollection() && t.Kind != KindUDT {
		return nil, invalidf("%s is not a collection", t)
	}
	nb, err := Normalize(t, b)
	if err != nil {
		return nil, err
	}
	if t.Kind == KindUDT {
		return udtElements(nb), nil
	}
	n := collectionSize(t, nb) / perEntry(t)
	e := &Elements{n: n, vals: nb}
	var walk func(i, off int, v []byte) error
	switch t.Kind {
	case KindList:
		if paths == nil {
			paths = AppendListPaths
		}
		if e.paths = paths(n); len(e.paths) != n*ListPathSize {
			return nil, invalidf("got %d bytes of list paths for %d elements", len(e.paths), n)
		}
		e.valOffs = make([]uint32, 0, n)
		walk = func(_, off int, _ []byte) error {
			e.valOffs = append(e.valOffs, uint32(off))
			return nil
		}
	case KindSet:
		// A path is about its element's size: room for all, less the
		// elements' lengths.
		e.paths = make([]byte, 0, len(nb)-4-4*n+n)
		e.pathEnds = make([]uint32, 0, n)
		walk = func(_, _ int, v []byte) error {
			e.paths = AppendComparable(e.paths, t.Elems[0], v, false)
			e.pathEnds = append(e.pathEnds, uint32(len(e.paths)))
			return nil
		}
	default:
		e.paths = make([]byte, 0, (len(nb)-4-8*n)/2+n)
		e.pathEnds = make([]uint32, 0, n)
		e.valOffs = make([]uint32, 0, n)
		walk = func(i, off int, v []byte) error {
			if i%2 == 1 {
				e.valOffs = append(e.valOffs, uint32(off))
				return nil
			}
			e.paths = AppendComparable(e.paths, t.Elems[0], v, false)
			e.pathEnds = append(e.pathEnds, uint32(len(e.paths)))
			return nil
		}
	}
	if err := walkCollection(t, nb, walk); err != nil {
		return nil, err
	}
	return e, nil
}

// CollectionFromElements assembles the serialized value of a non-frozen
// list, set, map or user type from its live cells. Elements are taken in path order
// (they are sorted if they are not). No elements gives nil: Cassandra shows
// an empty non-frozen collection as null.
func CollectionFromElements(t Type, elems []Element) ([]byte, error) {
	if t.Kind == KindUDT {
		return udtFromFields(t, elems)
	}
	if !t.IsCollection() {
		return nil, invalidf("%s is not a collection", t)
	}
	if len(elems) == 0 {
		return nil, nil
	}
	if !slices.IsSortedFunc(elems, func(a, b Element) int { return bytes.Compare(a.Path, b.Path) }) {
		elems = slices.Clone(elems)
		slices.SortStableFunc(elems, func(a, b Element) int { return bytes.Compare(a.Path, b.Path) })
	}
	per := perEntry(t)
	vals := make([][]byte, 0, per*len(elems))
	for _, e := range elems {
		switch t.Kind {
		case KindList:
			vals = append(vals, e.Value)
		case KindSet, KindMap:
			k, rest, err := DecodeComparable(t.Elems[0], e.Path, false)
			if err != nil {
				return nil, err
			}
			if len(rest) != 0 {
				return nil, invalidf("trailing bytes in %s element path", t.Kind)
			}
			vals = append(vals, k)
			if t.Kind == KindMap {
				vals = append(vals, e.Value)
			}
		}
	}
	return buildCollection(vals, per), nil
}
