package sstable

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"sync"
	"sync/atomic"

	"github.com/bits-and-blooms/bloom/v3"

	"wcdb/internal/bin"
	"wcdb/internal/vfs"
	"wcdb/mutation"
)

// ReaderOptions configure Open.
type ReaderOptions struct {
	// Cache, if set, holds decompressed blocks shared with other readers.
	// Without one every block access reads the file.
	Cache *Cache
	// FileNum identifies the file in Cache. It must be unique among the
	// files sharing the cache and never reused for different contents (the
	// engine's file numbers are). Zero asks for a fresh private id.
	FileNum uint64
}

// Reader reads one SSTable. Its methods are safe for concurrent use. The
// caller reference-counts readers: Close only once no Partition or iterator
// obtained from the reader is in use.
type Reader struct {
	path    string
	f       vfs.File
	dataEnd uint64 // where the footer starts
	cache   *Cache
	fileNum uint64
	meta    Meta
	summary []summaryEntry
	bloom   *bloom.BloomFilter

	blockReads atomic.Int64 // blocks read from the file (not the cache)
}

type summaryEntry struct {
	key mutation.Key // aliases the summary block
	h   handle
}

// Open opens the table at path, checking its footer and loading the stats,
// summary and bloom filter (their checksums verified). Damage is reported
// as an error wrapping ErrCorrupt.
func Open(fs vfs.FS, path string, opts ReaderOptions) (*Reader, error) {
	f, err := fs.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sstable: open %s: %w", path, err)
	}
	r := &Reader{path: path, f: f, cache: opts.Cache, fileNum: opts.FileNum}
	if r.cache != nil && r.fileNum == 0 {
		r.fileNum = r.cache.newFileID()
	}
	if err := r.load(); err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

func (r *Reader) load() error {
	size, err := r.f.Size()
	if err != nil {
		return fmt.Errorf("sstable: size of %s: %w", r.path, err)
	}
	if size < footerSize {
		return corruptf(r.path, -1, "file of %d bytes is shorter than the footer", size)
	}
	var foot [footerSize]byte
	if _, err := r.f.ReadAt(foot[:], size-footerSize); err != nil {
		return fmt.Errorf("sstable: read footer of %s: %w", r.path, err)
	}
	footOff := size - footerSize
	if got, want := crc32.Checksum(foot[:60], crcTable), binary.LittleEndian.Uint32(foot[60:]); got != want {
		return corruptf(r.path, footOff, "footer checksum mismatch: got %08x, want %08x", got, want)
	}
	if m := binary.LittleEndian.Uint64(foot[52:]); m != magic {
		return corruptf(r.path, footOff, "bad magic %016x", m)
	}
	version := binary.LittleEndian.Uint32(foot[48:])
	if version < 2 || version > FormatVersion {
		return corruptf(r.path, footOff, "unsupported format version %d", version)
	}
	r.dataEnd = uint64(footOff)
	var hs [3]handle
	for i := range hs {
		hs[i] = handle{off: binary.LittleEndian.Uint64(foot[16*i:]), n: binary.LittleEndian.Uint64(foot[16*i+8:])}
	}

	stats, err := r.readRaw(hs[2], "stats")
	if err != nil {
		return err
	}
	if !decodeStats(stats, version, &r.meta) {
		return corruptf(r.path, int64(hs[2].off), "malformed stats block")
	}
	r.meta.FileSize = size
	r.meta.FormatVersion = version

	sb, err := r.readBlock(hs[0], "summary", false)
	if err != nil {
		return err
	}
	r.summary = make([]summaryEntry, sb.n)
	for i := range r.summary {
		d := bin.NewDecoder(sb.entry(i))
		s := &r.summary[i]
		s.key.Token = int64(d.Uint64BE())
		s.key.Bytes = d.Bytes()
		s.h = decodeHandle(&d)
		if !d.Done() || (i > 0 && s.key.Compare(r.summary[i-1].key) <= 0) {
			return corruptf(r.path, int64(hs[0].off), "malformed summary entry %d", i)
		}
	}
	if (len(r.summary) == 0) != (r.meta.Partitions == 0) {
		return corruptf(r.path, int64(hs[0].off), "summary has %d entries for %d partitions", len(r.summary), r.meta.Partitions)
	}

	bb, err := r.readRaw(hs[1], "bloom")
	if err != nil {
		return err
	}
	d := bin.NewDecoder(bb)
	m, k := d.Uvarint(), d.Uvarint()
	words := (m + 63) / 64
	if d.Failed() || m == 0 || k == 0 || k > 64 || uint64(d.Len()) != words*8 {
		return corruptf(r.path, int64(hs[1].off), "malformed bloom filter")
	}
	ws, bits := make([]uint64, words), d.Rest()
	for i := range ws {
		ws[i] = binary.LittleEndian.Uint64(bits[8*i:])
	}
	r.bloom = bloom.FromWithM(ws, uint(m), uint(k))
	return nil
}

// readRaw reads, checks and decompresses the block at h.
func (r *Reader) readRaw(h handle, what string) ([]byte, error) {
	if err := r.checkHandle(h, what); err != nil {
		return nil, err
	}
	// A compressed block's file bytes are garbage once decompressed, so
	// they are read into a pooled buffer; a stored one is returned as is.
	bp := rawPool.Get().(*[]byte)
	if uint64(cap(*bp)) < h.n+trailerSize {
		*bp = make([]byte, h.n+trailerSize)
	}
	raw := (*bp)[:h.n+trailerSize]
	if _, err := r.f.ReadAt(raw, int64(h.off)); err != nil {
		rawPool.Put(bp)
		return nil, fmt.Errorf("sstable: read %s at %d: %w", r.path, h.off, err)
	}
	r.blockReads.Add(1)
	data, err := unframe(raw)
	if err != nil {
		rawPool.Put(bp)
		return nil, corruptf(r.path, int64(h.off), "%s block: %v", what, err)
	}
	if len(data) > 0 && &data[0] == &raw[0] {
		*bp = nil // the block keeps this buffer
	}
	rawPool.Put(bp)
	return data, nil
}

// checkHandle refuses a block handle (with its trailer) outside the
// file's blocks.
func (r *Reader) checkHandle(h handle, what string) error {
	if h.n > r.dataEnd || h.off > r.dataEnd-h.n || r.dataEnd-h.n-h.off < trailerSize {
		return corruptf(r.path, int64(min(h.off, 1<<62)), "%s block handle (%d, %d) outside the file", what, h.off, h.n)
	}
	return nil
}

// rawPool holds buffers for reading compressed blocks.
var rawPool = sync.Pool{New: func() any { return new([]byte) }}

// readBlock returns the entry-structured block at h, through the cache when
// useCache is set and the reader has one.
func (r *Reader) readBlock(h handle, what string, useCache bool) (*block, error) {
	useCache = useCache && r.cache != nil
	k := cacheKey{file: r.fileNum, off: h.off}
	if useCache {
		if b := r.cache.get(k); b != nil {
			return b, nil
		}
	}
	data, err := r.readRaw(h, what)
	if err != nil {
		return nil, err
	}
	b, ok := parseBlock(data)
	if !ok {
		return nil, corruptf(r.path, int64(h.off), "%s block: malformed offset table", what)
	}
	if useCache {
		r.cache.add(k, b)
	}
	return b, nil
}

// Meta describes the table.
func (r *Reader) Meta() Meta { return r.meta }

// Path is the file the reader reads.
func (r *Reader) Path() string { return r.path }

// MayContain reports whether the bloom filter admits key: false means the
// table certainly has no such partition.
func (r *Reader) MayContain(key mutation.Key) bool {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], keyHash(key))
	return r.bloom.Test(b[:])
}

// findIndexBlock returns the summary position of the index block that
// would hold key, or -1 if key precedes the table.
func (r *Reader) findIndexBlock(key mutation.Key) int {
	lo, hi := 0, len(r.summary)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if r.summary[mid].key.Compare(key) <= 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo - 1
}

// seekIndex returns the first entry of ib whose key is >= key.
func (r *Reader) seekIndex(ib *block, key mutation.Key, off uint64) (int, error) {
	lo, hi := 0, ib.n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		c, ok := compareKeyEntry(key, ib.entry(mid))
		if !ok {
			return 0, corruptf(r.path, int64(off), "malformed index entry %d", mid)
		}
		if c > 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// Get returns the partition key, or nil and no error if the table does not
// hold it. The bloom filter is consulted first, then the summary, one
// index block and the data block holding the partition's start.
func (r *Reader) Get(key mutation.Key) (*Partition, error) {
	if !r.MayContain(key) {
		return nil, nil
	}
	si := r.findIndexBlock(key)
	if si < 0 {
		return nil, nil
	}
	h := r.summary[si].h
	ib, err := r.readBlock(h, "index", true)
	if err != nil {
		return nil, err
	}
	i, err := r.seekIndex(ib, key, h.off)
	if err != nil {
		return nil, err
	}
	var e indexEntry
	if i < ib.n {
		if !decodeIndexEntry(ib.entry(i), &e) {
			return nil, corruptf(r.path, int64(h.off), "malformed index entry %d", i)
		}
		if e.key.Equal(key) {
			return r.partition(&e, true)
		}
	}
	// Not indexed: if anywhere, in the block of the entry before, after
	// that entry's partition (the summary entry's key is <= key, so the
	// index block's first entry is, and i > 0 here).
	if i == 0 {
		return nil, nil
	}
	if !decodeIndexEntry(ib.entry(i-1), &e) {
		return nil, corruptf(r.path, int64(h.off), "malformed index entry %d", i-1)
	}
	if e.end == 0 {
		return nil, nil // that partition fills the rest of its block
	}
	b, err := r.readBlock(e.data, "data", true)
	if err != nil {
		return nil, err
	}
	for j := int(e.end); j < b.n; {
		f, ok, err := r.inBlock(b, e.data, j)
		if err != nil || !ok {
			return nil, err
		}
		switch c := f.key.Compare(key); {
		case c == 0:
			return r.partition(&f, true)
		case c > 0:
			return nil, nil
		}
		j = int(f.end)
	}
	return nil, nil
}

// inBlock returns the index entry of the partition whose start entry is
// entry i of data block b (at h), for a partition that ends in b; ok is
// false if entry i is not a partition start.
func (r *Reader) inBlock(b *block, h handle, i int) (e indexEntry, ok bool, err error) {
	ent := b.entry(i)
	if len(ent) == 0 || ent[0] != tagPartition {
		return e, false, nil
	}
	k, _, ok := decodePartitionStart(ent)
	if !ok {
		return e, false, corruptf(r.path, int64(h.off), "malformed partition start entry %d", i)
	}
	return indexEntry{key: k, data: h, hdr: uint64(i), end: uint64(partitionEnd(b, i))}, true, nil
}

// partition loads the start entry of the partition described by e.
func (r *Reader) partition(e *indexEntry, useCache bool) (*Partition, error) {
	b, err := r.readBlock(e.data, "data", useCache)
	if err != nil {
		return nil, err
	}
	return r.partitionIn(b, e, useCache)
}

// partitionIn is partition with e's data block b already read.
func (r *Reader) partitionIn(b *block, e *indexEntry, useCache bool) (*Partition, error) {
	if e.hdr >= uint64(b.n) || e.end > uint64(b.n) {
		return nil, corruptf(r.path, int64(e.data.off), "partition start entry %d beyond block of %d entries", e.hdr, b.n)
	}
	k, hdr, ok := decodePartitionStart(b.entry(int(e.hdr)))
	if !ok || !k.Equal(e.key) {
		return nil, corruptf(r.path, int64(e.data.off), "partition start entry %d disagrees with the index", e.hdr)
	}
	return &Partition{r: r, key: e.key, header: hdr, blk: b, ent: *e, noCache: !useCache}, nil
}

// Scan returns an iterator over the partitions with start <= key < end, in
// key order; a nil bound is open. Blocks go through the cache.
func (r *Reader) Scan(start, end *mutation.Key) *PartitionIter {
	it := &PartitionIter{r: r}
	if end != nil {
		k := *end
		it.end = &k
	}
	if start != nil {
		it.si = max(r.findIndexBlock(*start), 0)
		k := *start
		it.start = &k
	}
	return it
}

// ScanUncached is Scan for a single pass over much of the table (a
// compaction): blocks are read from the file and not added to the cache,
// where they would evict what readers use.
func (r *Reader) ScanUncached(start, end *mutation.Key) *PartitionIter {
	it := r.Scan(start, end)
	it.noCache = true
	return it
}

// Close closes the file. No Partition or iterator of the reader may be used
// afterwards.
func (r *Reader) Close() error {
	if err := r.f.Close(); err != nil {
		return fmt.Errorf("sstable: close %s: %w", r.path, err)
	}
	return nil
}
