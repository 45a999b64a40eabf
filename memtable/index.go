package memtable

import (
	"bytes"
	"sync/atomic"

	"wcdb/mutation"
)

// index finds a partition by key without descending the skiplist: an
// open-addressing hash table (linear probing) of partition node refs,
// keyed by the partition's token (mixed again: tokens need not look
// random). Its slots are a []uint64, which the garbage
// collector does not scan. Like the skiplist it has one writer (under the
// memtable's mutex) and lock-free readers: a slot is filled with a
// complete node's ref by an atomic store, and a resize publishes a whole
// new table.
type index struct {
	tab  atomic.Pointer[itable]
	size atomic.Int64 // bytes of the current table
}

type itable struct {
	slots []uint64
	shift uint // 64 - log2(len(slots))
	n     int  // entries; writer only
}

const indexInitialSlots = 1 << 8

// home returns the slot a token's probe starts at: the high bits of the
// token after splitmix64's finalizer, which spreads any regular pattern of
// tokens (test data's small integers, multiples of a constant).
func (t *itable) home(token int64) uint64 {
	h := uint64(token)
	h = (h ^ h>>30) * 0xbf58476d1ce4e5b9
	h = (h ^ h>>27) * 0x94d049bb133111eb
	return (h ^ h>>31) >> t.shift
}

// get returns the ref of the partition node with key k, or 0.
func (x *index) get(a *arena, k mutation.Key) uint64 {
	t := x.tab.Load()
	if t == nil {
		return 0
	}
	mask := uint64(len(t.slots) - 1)
	for i := t.home(k.Token); ; i = (i + 1) & mask {
		ref := atomic.LoadUint64(&t.slots[i])
		if ref == 0 {
			return 0
		}
		if int64(a.words(ref)[wToken]) == k.Token && bytes.Equal(a.nodeKey(ref, partTower), k.Bytes) {
			return ref
		}
	}
}

// add indexes a new partition node. Writer only.
func (x *index) add(a *arena, ref uint64) {
	t := x.tab.Load()
	switch {
	case t == nil:
		t = newItable(indexInitialSlots)
		x.publish(t)
	case 2*(t.n+1) > len(t.slots):
		nt := newItable(2 * len(t.slots))
		for _, r := range t.slots {
			if r != 0 {
				nt.put(a, r)
			}
		}
		t = nt
		x.publish(t)
	}
	t.put(a, ref)
}

func newItable(n int) *itable {
	shift := uint(64)
	for s := n; s > 1; s >>= 1 {
		shift--
	}
	return &itable{slots: make([]uint64, n), shift: shift}
}

func (x *index) publish(t *itable) {
	x.tab.Store(t)
	x.size.Store(int64(8 * len(t.slots)))
}

// put stores ref in its first free slot.
func (t *itable) put(a *arena, ref uint64) {
	mask := uint64(len(t.slots) - 1)
	i := t.home(int64(a.words(ref)[wToken]))
	for atomic.LoadUint64(&t.slots[i]) != 0 {
		i = (i + 1) & mask
	}
	atomic.StoreUint64(&t.slots[i], ref)
	t.n++
}
