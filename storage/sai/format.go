package sai

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"sort"

	"wcdb/mutation"
)

// The index component format, version 1: one file per (SSTable, index),
// named ComponentPath(sstable path, index name), written whole and
// atomically (vfs.WriteFileAtomic) and read whole.
//
//	magic "WCDBSAI\x00" | version u32LE | uvarint len | target
//	| uvarint n | entry 0 ... entry n-1 | crc32c(all before) u32LE
//
//	entry: uvarint len | term | token int64BE | uvarint len | key
//	       | uvarint len | clustering
//
// Entries are sorted by (term, token, key, clustering) with no duplicates,
// so an equality or range lookup is a binary search. The term is what the
// index's Def.Terms emitted (the query layer makes terms byte-comparable,
// so a range of values is a range of terms); token and key are the
// partition's (mutation.Key); clustering is the row's (empty for the static
// row or a table without clustering columns). target records the Def's
// Target: a component written for a dropped index of the same name and
// another target is not used.
//
// Example: index on v, rows (k=1, v='a') and (k=2, v='a') give two entries
// of term 'a', ordered by the tokens of 1 and 2.

const (
	componentMagic   = "WCDBSAI\x00"
	componentVersion = 1
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt marks a component that fails its checksum or framing.
var ErrCorrupt = errors.New("sai: corrupt index component")

// entry is one indexed (term, row) pair.
type entry struct {
	term       []byte
	key        mutation.Key
	clustering []byte
}

func compareEntries(a, b *entry) int {
	if c := bytes.Compare(a.term, b.term); c != 0 {
		return c
	}
	if c := a.key.Compare(b.key); c != 0 {
		return c
	}
	return bytes.Compare(a.clustering, b.clustering)
}

// sortEntries sorts es and drops duplicates.
func sortEntries(es []entry) []entry {
	sort.Slice(es, func(i, j int) bool { return compareEntries(&es[i], &es[j]) < 0 })
	out := es[:0]
	for i := range es {
		if len(out) > 0 && compareEntries(&out[len(out)-1], &es[i]) == 0 {
			continue
		}
		out = append(out, es[i])
	}
	return out
}

// encodeComponent encodes sorted, deduplicated entries.
func encodeComponent(target string, es []entry) []byte {
	b := append([]byte(nil), componentMagic...)
	b = binary.LittleEndian.AppendUint32(b, componentVersion)
	b = appendBytes(b, []byte(target))
	b = binary.AppendUvarint(b, uint64(len(es)))
	for i := range es {
		b = appendBytes(b, es[i].term)
		b = binary.BigEndian.AppendUint64(b, uint64(es[i].key.Token))
		b = appendBytes(b, es[i].key.Bytes)
		b = appendBytes(b, es[i].clustering)
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crcTable))
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// component is a decoded index component: entry offsets into its bytes, so
// that a million entries cost 4 MB of offsets rather than a million structs.
type component struct {
	target string
	buf    []byte
	offs   []uint32
}

// decodeComponent checks b's checksum and framing and indexes its entries.
func decodeComponent(b []byte) (*component, error) {
	if len(b) < len(componentMagic)+8 || string(b[:len(componentMagic)]) != componentMagic {
		return nil, fmt.Errorf("%w: bad magic", ErrCorrupt)
	}
	body := b[:len(b)-4]
	if crc32.Checksum(body, crcTable) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	p := len(componentMagic)
	if v := binary.LittleEndian.Uint32(body[p:]); v != componentVersion {
		return nil, fmt.Errorf("%w: unknown version %d", ErrCorrupt, v)
	}
	p += 4
	d := decoder{b: body, p: p}
	c := &component{buf: body, target: string(d.bytes())}
	n := d.uvarint()
	if d.err || n > uint64(len(body)) {
		return nil, fmt.Errorf("%w: bad header", ErrCorrupt)
	}
	c.offs = make([]uint32, 0, n)
	var prev entry
	for i := uint64(0); i < n; i++ {
		off := d.p
		var e entry
		if !d.entry(&e) {
			return nil, fmt.Errorf("%w: entry %d truncated", ErrCorrupt, i)
		}
		if i > 0 && compareEntries(&prev, &e) >= 0 {
			return nil, fmt.Errorf("%w: entry %d out of order", ErrCorrupt, i)
		}
		prev = e
		c.offs = append(c.offs, uint32(off))
	}
	if d.p != len(body) {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(body)-d.p)
	}
	return c, nil
}

func (c *component) at(i int) entry {
	d := decoder{b: c.buf, p: int(c.offs[i])}
	var e entry
	d.entry(&e) // checked by decodeComponent
	return e
}

func (c *component) term(i int) []byte {
	d := decoder{b: c.buf, p: int(c.offs[i])}
	return d.bytes()
}

// search calls fn with each entry whose term is within q, in order.
func (c *component) search(q Query, fn func(*entry)) {
	i := 0
	if q.Lo != nil {
		i = sort.Search(len(c.offs), func(i int) bool {
			cmp := bytes.Compare(c.term(i), q.Lo)
			return cmp > 0 || (cmp == 0 && !q.LoExclusive)
		})
	}
	for ; i < len(c.offs); i++ {
		e := c.at(i)
		if !q.belowHi(e.term) {
			return
		}
		fn(&e)
	}
}

type decoder struct {
	b   []byte
	p   int
	err bool
}

func (d *decoder) uvarint() uint64 {
	if d.err {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.p:])
	if n <= 0 {
		d.err = true
		return 0
	}
	d.p += n
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err || n > uint64(len(d.b)-d.p) {
		d.err = true
		return nil
	}
	b := d.b[d.p : d.p+int(n) : d.p+int(n)]
	d.p += int(n)
	return b
}

func (d *decoder) entry(e *entry) bool {
	e.term = d.bytes()
	if d.err || len(d.b)-d.p < 8 {
		d.err = true
		return false
	}
	e.key.Token = int64(binary.BigEndian.Uint64(d.b[d.p:]))
	d.p += 8
	e.key.Bytes = d.bytes()
	e.clustering = d.bytes()
	return !d.err
}
