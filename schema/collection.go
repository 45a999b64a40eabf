package schema

import (
	"bytes"
	"slices"
	"time"
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

// ListPaths makes n new, increasing list paths for elements being added to a
// list. AppendListPaths and PrependListPaths are the two used by CQL.
type ListPaths func(n int) [][]byte

// ListPath returns the list path of the timeuuid u.
func ListPath(u UUID) []byte { return appendTimeuuidBody(make([]byte, 0, 16), u[:]) }

// ListPathUUID returns the timeuuid a list path was made from.
func ListPathUUID(p []byte) (UUID, error) {
	if len(p) != 16 {
		return UUID{}, invalidf("invalid list path of %d bytes", len(p))
	}
	var u UUID
	copy(u[:], p)
	timeuuidFromBody(u[:])
	return u, nil
}

// AppendListPaths returns n increasing list paths later than every list path
// made before by this process (the paths of NewTimeuuid timeuuids).
func AppendListPaths(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = ListPath(NewTimeuuid())
	}
	return out
}

// prependReference is Cassandra's reference time for prepends, 2010-01-01,
// as a UUID timestamp.
var prependReference = ticksAt(time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC))

// PrependListPaths returns n increasing list paths that sort before every
// list path made before by this process and before every appended one:
// their timestamps mirror the current time around 2010-01-01, and each batch
// lies below the previous one.
func PrependListPaths(n int) [][]byte {
	initGen()
	now := ticksAt(time.Now())
	base := prependReference
	if now > prependReference {
		base -= min(now-prependReference, prependReference)
	}
	for {
		last := gen.prepend.Load()
		b := base
		if last != 0 && b+uint64(n) > last {
			b = last - uint64(n)
		}
		if gen.prepend.CompareAndSwap(last, b) {
			base = b
			break
		}
	}
	out := make([][]byte, n)
	for i := range out {
		out[i] = ListPath(timeuuid(base+uint64(i), gen.lsb))
	}
	return out
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

// CollectionElements splits a serialized list, set or map value into the
// cells of a non-frozen collection: sets and maps sorted by path without
// duplicates (for maps the last entry of a key wins), lists in order with
// paths from paths (AppendListPaths if nil). The value is validated and its
// elements normalized.
func CollectionElements(t Type, b []byte, paths ListPaths) ([]Element, error) {
	if !t.IsCollection() {
		return nil, invalidf("%s is not a collection", t)
	}
	nb, err := Normalize(t, b)
	if err != nil {
		return nil, err
	}
	vals, err := splitCollection(t, nb)
	if err != nil {
		return nil, err
	}
	switch t.Kind {
	case KindList:
		if paths == nil {
			paths = AppendListPaths
		}
		ps := paths(len(vals))
		if len(ps) != len(vals) {
			return nil, invalidf("got %d list paths for %d elements", len(ps), len(vals))
		}
		out := make([]Element, len(vals))
		for i, v := range vals {
			out[i] = Element{Path: ps[i], Value: v}
		}
		return out, nil
	case KindSet:
		out := make([]Element, len(vals))
		for i, v := range vals {
			out[i] = Element{Path: AppendComparable(nil, t.Elems[0], v, false), Value: []byte{}}
		}
		return out, nil
	}
	out := make([]Element, len(vals)/2)
	for i := range out {
		out[i] = Element{Path: AppendComparable(nil, t.Elems[0], vals[2*i], false), Value: vals[2*i+1]}
	}
	return out, nil
}

// CollectionFromElements assembles the serialized value of a non-frozen
// list, set or map from its live cells. Elements are taken in path order
// (they are sorted if they are not). No elements gives nil: Cassandra shows
// an empty non-frozen collection as null.
func CollectionFromElements(t Type, elems []Element) ([]byte, error) {
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
