package mutation

import (
	"encoding/binary"
	"fmt"
	"slices"

	"wcdb/internal/bin"
	"wcdb/internal/corrupt"
)

// ErrCorrupt marks bytes that do not decode as this package's encoding.
var ErrCorrupt = corrupt.New("mutation: corrupt encoding")

// EncodingVersion is the version byte that starts an encoded Mutation.
const EncodingVersion = 1

/*
Encoding, version 1. Integers are Go varints: "uv" unsigned LEB128, "v"
zig-zag signed. Timestamps inside a row are deltas from the row's base
timestamp, so the common case (every cell written at once) costs one byte per
timestamp.

Row (the clustering key is stored beside it, not in it):

	flags        u8    0x01 row marker, 0x02 marker expires, 0x04 row deletion
	base         v     base timestamp (µs)
	[marker]           v ts-base; if expiring: uv ttl, v expiresAt
	[deletion]         v ts-base, v localDeletionTime
	ncells       uv
	cell*:
	  flags      u8    cell flags (0x01 tombstone, 0x02 expiring, 0x04 column
	                   deletion, 0x08 counter context, 0x20 counter update,
	                   0x40 cell version: path is the 8-byte VersionPath of
	                   ts, versions.go) | 0x10 has path
	  column     uv
	  [path]           uv len, bytes
	  ts         v     ts-base
	  [ttl]      uv    if expiring
	  [ldt]      v     if expiring, tombstone or column deletion
	  [value]          uv len, bytes — every cell that is not a tombstone

	example: one live cell, column 3, value "hi", written at ts 1000:
	  00 | d0 0f | 01 | 00 03 00 02 68 69

Partition header (partition-level state; in SSTables it precedes the rows):

	flags        u8    0x01 partition deletion, 0x02 range tombstones, 0x04 static row
	[deletion]         v ts, v localDeletionTime
	[tombstones]       uv count; each: uv len, start; uv len+1 (0 = no end), end;
	                   v ts, v localDeletionTime
	[static]           the static row's encoding, to the end of the header

Mutation (a commit log record's payload):

	version      u8    EncodingVersion
	table        16 bytes
	token        8 bytes, big-endian two's complement
	key          uv len, bytes
	header       uv len, bytes (a partition header)
	nrows        uv
	row*         uv len, clustering; uv len, row encoding
*/

const (
	rowHasMarker   = 0x01
	rowMarkerTTL   = 0x02
	rowHasDeletion = 0x04

	cellHasPath = 0x10
	cellKnown   = CellTombstone | CellExpiring | CellColumnDeletion | CellCounter | CellCounterUpdate | CellVersion | cellHasPath

	hdrDeletion   = 0x01
	hdrTombstones = 0x02
	hdrStatic     = 0x04
)

func appendUvarint(dst []byte, v uint64) []byte { return binary.AppendUvarint(dst, v) }
func appendVarint(dst []byte, v int64) []byte   { return binary.AppendVarint(dst, v) }

func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// AppendRow appends the encoding of r (without its clustering key) to dst.
func AppendRow(dst []byte, r *Row) []byte {
	base := int64(0)
	switch {
	case !r.Liveness.IsEmpty():
		base = r.Liveness.Timestamp
	case len(r.Cells) > 0:
		base = r.Cells[0].Timestamp
	case !r.Deletion.IsLive():
		base = r.Deletion.Timestamp
	}
	var flags byte
	if !r.Liveness.IsEmpty() {
		flags |= rowHasMarker
		if r.Liveness.ExpiresAt != NoDeletionTime {
			flags |= rowMarkerTTL
		}
	}
	if !r.Deletion.IsLive() {
		flags |= rowHasDeletion
	}
	dst = append(dst, flags)
	dst = appendVarint(dst, base)
	if flags&rowHasMarker != 0 {
		dst = appendVarint(dst, r.Liveness.Timestamp-base)
		if flags&rowMarkerTTL != 0 {
			dst = appendUvarint(dst, uint64(uint32(r.Liveness.TTL)))
			dst = appendVarint(dst, r.Liveness.ExpiresAt)
		}
	}
	if flags&rowHasDeletion != 0 {
		dst = appendVarint(dst, r.Deletion.Timestamp-base)
		dst = appendVarint(dst, r.Deletion.LocalDeletionTime)
	}
	dst = appendUvarint(dst, uint64(len(r.Cells)))
	for i := range r.Cells {
		c := &r.Cells[i]
		f := c.Flags &^ cellHasPath
		if len(c.Path) > 0 {
			f |= cellHasPath
		}
		dst = append(dst, f)
		dst = appendUvarint(dst, uint64(c.Column))
		if f&cellHasPath != 0 {
			dst = appendBytes(dst, c.Path)
		}
		dst = appendVarint(dst, c.Timestamp-base)
		if f&CellExpiring != 0 {
			dst = appendUvarint(dst, uint64(uint32(c.TTL)))
		}
		if f&(CellExpiring|CellTombstone|CellColumnDeletion) != 0 {
			dst = appendVarint(dst, c.LocalDeletionTime)
		}
		if f&(CellTombstone|CellColumnDeletion) == 0 {
			dst = appendBytes(dst, c.Value)
		}
	}
	return dst
}

// DecodeRow decodes a row encoded by AppendRow into r, reusing r.Cells'
// storage. Paths and values alias b.
func DecodeRow(b, clustering []byte, r *Row) error {
	d := bin.NewDecoder(b)
	decodeRow(&d, clustering, r)
	if !d.Done() {
		return ErrCorrupt
	}
	return nil
}

func decodeRow(d *bin.Decoder, clustering []byte, r *Row) {
	r.Clustering = clustering
	r.Liveness = NoLiveness
	r.Deletion = Live
	r.Cells = r.Cells[:0]
	flags := d.Byte()
	if flags&^(rowHasMarker|rowMarkerTTL|rowHasDeletion) != 0 {
		d.Fail()
		return
	}
	base := d.Varint()
	if flags&rowHasMarker != 0 {
		r.Liveness.Timestamp = base + d.Varint()
		if flags&rowMarkerTTL != 0 {
			r.Liveness.TTL = int32(d.Uvarint())
			r.Liveness.ExpiresAt = d.Varint()
		}
	}
	if flags&rowHasDeletion != 0 {
		r.Deletion.Timestamp = base + d.Varint()
		r.Deletion.LocalDeletionTime = d.Varint()
	}
	n := d.Count() // every cell takes at least one byte
	if d.Failed() {
		return
	}
	if cap(r.Cells) < n {
		r.Cells = make([]Cell, 0, n)
	}
	// Cells are decoded in place: building each in a temporary and copying
	// it in costs a bulk write barrier per cell while the GC runs.
	r.Cells = r.Cells[:n]
	for i := range r.Cells {
		c := &r.Cells[i]
		f := d.Byte()
		if f&^cellKnown != 0 || d.Failed() {
			d.Fail()
			r.Cells = r.Cells[:i]
			return
		}
		c.Flags = f &^ cellHasPath
		c.Column = uint32(d.Uvarint())
		c.Path = nil
		if f&cellHasPath != 0 {
			c.Path = d.Bytes()
		}
		c.Timestamp = base + d.Varint()
		c.TTL = 0
		if f&CellExpiring != 0 {
			c.TTL = int32(d.Uvarint())
		}
		c.LocalDeletionTime = NoDeletionTime
		if f&(CellExpiring|CellTombstone|CellColumnDeletion) != 0 {
			c.LocalDeletionTime = d.Varint()
		}
		c.Value = nil
		if f&(CellTombstone|CellColumnDeletion) == 0 {
			c.Value = d.Bytes()
		}
	}
	if d.Failed() {
		r.Cells = r.Cells[:0]
	}
}

// RowHasDeletions reports whether the encoded row b carries a row deletion
// or a column deletion, the only things that can shadow data in the same
// row: without them a row is in canonical form (Row.Shadow(Live) leaves it
// as it is), and the memtable stores its bytes unexamined. It reads flags
// only, skipping values; a corrupt encoding reports true, so that the
// caller decodes it and sees the error.
func RowHasDeletions(b []byte) bool {
	d := bin.NewDecoder(b)
	flags := d.Byte()
	if flags&rowHasDeletion != 0 || flags&^(rowHasMarker|rowMarkerTTL|rowHasDeletion) != 0 {
		return true
	}
	d.Varint()
	if flags&rowHasMarker != 0 {
		d.Varint()
		if flags&rowMarkerTTL != 0 {
			d.Uvarint()
			d.Varint()
		}
	}
	n := d.Uvarint()
	for i := uint64(0); i < n && !d.Failed(); i++ {
		f := d.Byte()
		if f&(CellColumnDeletion|^cellKnown) != 0 {
			return true
		}
		d.Uvarint()
		if f&cellHasPath != 0 {
			d.Bytes()
		}
		d.Varint()
		if f&CellExpiring != 0 {
			d.Uvarint()
		}
		if f&(CellExpiring|CellTombstone) != 0 {
			d.Varint()
		}
		if f&CellTombstone == 0 {
			d.Bytes()
		}
	}
	return !d.Done()
}

// RowSummary is what SSTable statistics need of a row (ScanRow).
type RowSummary struct {
	// MinTimestamp and MaxTimestamp span the timestamps of the marker, the
	// row deletion and the cells; Timestamps counts them (0: the bounds
	// mean nothing).
	MinTimestamp, MaxTimestamp int64
	Timestamps                 int
	// Tombstones counts the row deletion, cell tombstones and column
	// deletions.
	Tombstones int
	// DeletionTimes are the local deletion times of the tombstones and
	// the expiry times of expiring data: their largest, and whether any.
	MaxDeletionTime  int64
	HasDeletionTimes bool
	// NeverExpires: a marker or a cell is live without an expiry.
	NeverExpires bool
}

// ScanRow summarizes the row encoded in b for statistics, reading its
// flags, timestamps and deletion times and skipping the rest: what
// DecodeRow would give, without building the cells.
func ScanRow(b []byte) (RowSummary, error) {
	var s RowSummary
	ts := func(t int64) {
		if s.Timestamps == 0 || t < s.MinTimestamp {
			s.MinTimestamp = t
		}
		if s.Timestamps == 0 || t > s.MaxTimestamp {
			s.MaxTimestamp = t
		}
		s.Timestamps++
	}
	dt := func(t int64) {
		if t == NoDeletionTime { // as decoded: no deletion time
			s.NeverExpires = true
			return
		}
		if !s.HasDeletionTimes || t > s.MaxDeletionTime {
			s.MaxDeletionTime = t
		}
		s.HasDeletionTimes = true
	}
	d := bin.NewDecoder(b)
	flags := d.Byte()
	if flags&^(rowHasMarker|rowMarkerTTL|rowHasDeletion) != 0 {
		return s, ErrCorrupt
	}
	base := d.Varint()
	if flags&rowHasMarker != 0 {
		ts(base + d.Varint())
		if flags&rowMarkerTTL != 0 {
			d.Uvarint()
			dt(d.Varint())
		} else {
			s.NeverExpires = true
		}
	}
	if flags&rowHasDeletion != 0 {
		ts(base + d.Varint())
		dt(d.Varint())
		s.Tombstones++
	}
	n := d.Uvarint()
	for i := uint64(0); i < n && !d.Failed(); i++ {
		f := d.Byte()
		if f&^cellKnown != 0 {
			return s, ErrCorrupt
		}
		d.Uvarint()
		if f&cellHasPath != 0 {
			d.Bytes()
		}
		ts(base + d.Varint())
		if f&CellExpiring != 0 {
			d.Uvarint()
		}
		if f&(CellExpiring|CellTombstone|CellColumnDeletion) != 0 {
			dt(d.Varint())
		} else {
			s.NeverExpires = true
		}
		if f&(CellTombstone|CellColumnDeletion) != 0 {
			s.Tombstones++
		} else {
			d.Bytes()
		}
	}
	if !d.Done() {
		return s, ErrCorrupt
	}
	return s, nil
}

// Header is a partition's partition-level state.
type Header struct {
	Deletion        Deletion
	RangeTombstones []RangeTombstone
	Static          *Row
}

// IsEmpty reports whether h carries nothing.
func (h *Header) IsEmpty() bool {
	return h.Deletion.IsLive() && len(h.RangeTombstones) == 0 && h.Static == nil
}

// AppendHeader appends the encoding of a partition header to dst.
func AppendHeader(dst []byte, h *Header) []byte {
	var flags byte
	if !h.Deletion.IsLive() {
		flags |= hdrDeletion
	}
	if len(h.RangeTombstones) > 0 {
		flags |= hdrTombstones
	}
	if h.Static != nil {
		flags |= hdrStatic
	}
	dst = append(dst, flags)
	if flags&hdrDeletion != 0 {
		dst = appendVarint(dst, h.Deletion.Timestamp)
		dst = appendVarint(dst, h.Deletion.LocalDeletionTime)
	}
	if flags&hdrTombstones != 0 {
		dst = appendUvarint(dst, uint64(len(h.RangeTombstones)))
		for i := range h.RangeTombstones {
			rt := &h.RangeTombstones[i]
			dst = appendBytes(dst, rt.Start)
			if rt.End == nil {
				dst = appendUvarint(dst, 0)
			} else {
				dst = appendUvarint(dst, uint64(len(rt.End))+1)
				dst = append(dst, rt.End...)
			}
			dst = appendVarint(dst, rt.Deletion.Timestamp)
			dst = appendVarint(dst, rt.Deletion.LocalDeletionTime)
		}
	}
	if flags&hdrStatic != 0 {
		dst = AppendRow(dst, h.Static)
	}
	return dst
}

// DecodeHeader decodes a partition header into h. Byte slices alias b.
func DecodeHeader(b []byte, h *Header) error {
	d := bin.NewDecoder(b)
	*h = Header{Deletion: Live}
	flags := d.Byte()
	if flags&^(hdrDeletion|hdrTombstones|hdrStatic) != 0 {
		return ErrCorrupt
	}
	if flags&hdrDeletion != 0 {
		h.Deletion = Deletion{Timestamp: d.Varint(), LocalDeletionTime: d.Varint()}
	}
	if flags&hdrTombstones != 0 {
		n := d.Count()
		if d.Failed() {
			return ErrCorrupt
		}
		h.RangeTombstones = make([]RangeTombstone, 0, n)
		for i := 0; i < n && !d.Failed(); i++ {
			var rt RangeTombstone
			rt.Start = d.Bytes()
			if rt.Start == nil {
				rt.Start = []byte{}
			}
			if rt.End = d.OptBytes(); d.Failed() {
				return ErrCorrupt
			}
			rt.Deletion = Deletion{Timestamp: d.Varint(), LocalDeletionTime: d.Varint()}
			h.RangeTombstones = append(h.RangeTombstones, rt)
		}
	}
	if flags&hdrStatic != 0 {
		h.Static = new(Row)
		decodeRow(&d, nil, h.Static)
	}
	if !d.Done() {
		return ErrCorrupt
	}
	return nil
}

// presizeCells is the number of cells from which AppendMutation sizes the
// encoding before it writes it: a mutation of a million cells (a list of a
// million elements) grown by append would allocate five times its size.
const presizeCells = 256

// AppendMutation appends m's encoding (the commit log payload) to dst.
func AppendMutation(dst []byte, m *Mutation) []byte {
	p := &m.Partition
	if cells(p) >= presizeCells {
		dst = slices.Grow(dst, mutationSize(m))
	}
	dst = append(dst, EncodingVersion)
	dst = append(dst, m.Table[:]...)
	dst = binary.BigEndian.AppendUint64(dst, uint64(p.Key.Token))
	dst = appendBytes(dst, p.Key.Bytes)
	h := Header{Deletion: p.Deletion, RangeTombstones: p.RangeTombstones, Static: p.Static}
	// The header's length is written after it is encoded, by reserving the
	// largest varint and then shifting: headers are small.
	start := len(dst)
	dst = AppendHeader(dst, &h)
	hdr := len(dst) - start
	var lenBuf [binary.MaxVarintLen64]byte
	ln := binary.PutUvarint(lenBuf[:], uint64(hdr))
	dst = append(dst, lenBuf[:ln]...)
	copy(dst[start+ln:], dst[start:start+hdr])
	copy(dst[start:], lenBuf[:ln])
	dst = appendUvarint(dst, uint64(len(p.Rows)))
	for i := range p.Rows {
		r := &p.Rows[i]
		dst = appendBytes(dst, r.Clustering)
		start := len(dst)
		dst = AppendRow(dst, r)
		n := len(dst) - start
		ln := binary.PutUvarint(lenBuf[:], uint64(n))
		dst = append(dst, lenBuf[:ln]...)
		copy(dst[start+ln:], dst[start:start+n])
		copy(dst[start:], lenBuf[:ln])
	}
	return dst
}

// View is a decoded mutation whose parts still point into the encoding: the
// memtable keeps the row bytes as they are, with no re-encoding.
type View struct {
	Table  TableID
	Key    Key
	Header []byte
	rows   []byte
	nrows  int
}

// NumRows returns the number of rows in the mutation.
func (v *View) NumRows() int { return v.nrows }

// Rows calls fn with each row's clustering key and encoding, in order.
func (v *View) Rows(fn func(clustering, row []byte) error) error {
	d := bin.NewDecoder(v.rows)
	for i := 0; i < v.nrows; i++ {
		c := d.Bytes()
		r := d.Bytes()
		if d.Failed() {
			return ErrCorrupt
		}
		if err := fn(c, r); err != nil {
			return err
		}
	}
	return nil
}

// DecodeView checks the framing of an encoded mutation and returns a view of
// it. Row and header contents are checked when they are decoded.
func DecodeView(b []byte) (View, error) {
	var v View
	if len(b) < 1+16+8 || b[0] != EncodingVersion {
		return v, fmt.Errorf("%w: bad mutation header", ErrCorrupt)
	}
	copy(v.Table[:], b[1:17])
	v.Key.Token = int64(binary.BigEndian.Uint64(b[17:25]))
	d := bin.NewDecoder(b[25:])
	v.Key.Bytes = d.Bytes()
	v.Header = d.Bytes()
	n := d.Count()
	if d.Failed() {
		return v, ErrCorrupt
	}
	v.rows, v.nrows = d.Rest(), n
	// Walk the framing once so a torn record cannot pass.
	if err := v.Rows(func(_, _ []byte) error { return nil }); err != nil {
		return v, err
	}
	return v, nil
}

// DecodeMutation fully decodes an encoded mutation. Byte slices alias b.
func DecodeMutation(b []byte) (Mutation, error) {
	v, err := DecodeView(b)
	if err != nil {
		return Mutation{}, err
	}
	m := Mutation{Table: v.Table}
	p := &m.Partition
	p.Key = v.Key
	var h Header
	if err := DecodeHeader(v.Header, &h); err != nil {
		return m, err
	}
	p.Deletion, p.RangeTombstones, p.Static = h.Deletion, h.RangeTombstones, h.Static
	p.Rows = make([]Row, 0, v.nrows)
	err = v.Rows(func(c, rb []byte) error {
		var r Row
		if err := DecodeRow(rb, c, &r); err != nil {
			return err
		}
		p.Rows = append(p.Rows, r)
		return nil
	})
	return m, err
}

// cells counts the cells of p's rows.
func cells(p *Partition) int {
	n := 0
	if p.Static != nil {
		n += len(p.Static.Cells)
	}
	for i := range p.Rows {
		n += len(p.Rows[i].Cells)
	}
	return n
}

func uvarintSize(v uint64) int {
	n := 1
	for ; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}

func varintSize(v int64) int { return uvarintSize(uint64(v<<1) ^ uint64(v>>63)) }

func bytesSize(b []byte) int { return uvarintSize(uint64(len(b))) + len(b) }

// mutationSize returns len(AppendMutation(nil, m)).
func mutationSize(m *Mutation) int {
	p := &m.Partition
	h := Header{Deletion: p.Deletion, RangeTombstones: p.RangeTombstones, Static: p.Static}
	hs := headerSize(&h)
	n := 1 + len(m.Table) + 8 + bytesSize(p.Key.Bytes) + uvarintSize(uint64(hs)) + hs + uvarintSize(uint64(len(p.Rows)))
	for i := range p.Rows {
		rs := rowSize(&p.Rows[i])
		n += bytesSize(p.Rows[i].Clustering) + uvarintSize(uint64(rs)) + rs
	}
	return n
}

// headerSize returns len(AppendHeader(nil, h)).
func headerSize(h *Header) int {
	n := 1
	if !h.Deletion.IsLive() {
		n += varintSize(h.Deletion.Timestamp) + varintSize(h.Deletion.LocalDeletionTime)
	}
	if len(h.RangeTombstones) > 0 {
		n += uvarintSize(uint64(len(h.RangeTombstones)))
		for i := range h.RangeTombstones {
			rt := &h.RangeTombstones[i]
			n += bytesSize(rt.Start) + uvarintSize(uint64(len(rt.End))+1) + len(rt.End)
			n += varintSize(rt.Deletion.Timestamp) + varintSize(rt.Deletion.LocalDeletionTime)
		}
	}
	if h.Static != nil {
		n += rowSize(h.Static)
	}
	return n
}

// rowSize returns len(AppendRow(nil, r)).
func rowSize(r *Row) int {
	base := int64(0)
	switch {
	case !r.Liveness.IsEmpty():
		base = r.Liveness.Timestamp
	case len(r.Cells) > 0:
		base = r.Cells[0].Timestamp
	case !r.Deletion.IsLive():
		base = r.Deletion.Timestamp
	}
	n := 1 + varintSize(base)
	if !r.Liveness.IsEmpty() {
		n += varintSize(r.Liveness.Timestamp - base)
		if r.Liveness.ExpiresAt != NoDeletionTime {
			n += uvarintSize(uint64(uint32(r.Liveness.TTL))) + varintSize(r.Liveness.ExpiresAt)
		}
	}
	if !r.Deletion.IsLive() {
		n += varintSize(r.Deletion.Timestamp-base) + varintSize(r.Deletion.LocalDeletionTime)
	}
	n += uvarintSize(uint64(len(r.Cells)))
	for i := range r.Cells {
		c := &r.Cells[i]
		n += 1 + uvarintSize(uint64(c.Column)) + varintSize(c.Timestamp-base)
		if len(c.Path) > 0 {
			n += bytesSize(c.Path)
		}
		if c.Flags&CellExpiring != 0 {
			n += uvarintSize(uint64(uint32(c.TTL)))
		}
		if c.Flags&(CellExpiring|CellTombstone|CellColumnDeletion) != 0 {
			n += varintSize(c.LocalDeletionTime)
		}
		if c.Flags&(CellTombstone|CellColumnDeletion) == 0 {
			n += bytesSize(c.Value)
		}
	}
	return n
}
