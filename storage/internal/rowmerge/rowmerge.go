// Package rowmerge walks the row iterators of a partition's versions
// (memtables and SSTables) together, in clustering order, for the engine's
// read and compaction merges.
package rowmerge

import "bytes"

// Iter is what memtable and SSTable row iterators share.
type Iter interface {
	Next() bool
	Clustering() []byte
	Row() []byte
	Err() error
	Close() error
}

// Merger walks several row iterators in clustering order; at each step
// Cur lists the iterators positioned on the current clustering key, newest
// source first.
type Merger struct {
	its     []Iter
	valid   []bool
	reverse bool
	started bool
	Cur     []int
}

// Reset makes m walk its, in descending order if reverse; its are listed
// newest first.
func (m *Merger) Reset(its []Iter, reverse bool) {
	m.its, m.reverse, m.started = its, reverse, false
	m.valid = m.valid[:0]
	for range its {
		m.valid = append(m.valid, false)
	}
	m.Cur = m.Cur[:0]
}

// Next moves to the next clustering key and returns it, or false at the
// end; Cur then lists the iterators on it. The iterators Cur listed before
// are advanced first, so the rows they returned stay valid until Next.
func (m *Merger) Next() ([]byte, bool, error) {
	if !m.started {
		m.started = true
		for i, it := range m.its {
			m.valid[i] = it.Next()
			if !m.valid[i] {
				if err := it.Err(); err != nil {
					return nil, false, err
				}
			}
		}
	} else {
		for _, i := range m.Cur {
			m.valid[i] = m.its[i].Next()
			if !m.valid[i] {
				if err := m.its[i].Err(); err != nil {
					return nil, false, err
				}
			}
		}
	}
	m.Cur = m.Cur[:0]
	var best []byte
	for i, it := range m.its {
		if !m.valid[i] {
			continue
		}
		c := it.Clustering()
		if len(m.Cur) == 0 {
			best = c
			m.Cur = append(m.Cur, i)
			continue
		}
		cmp := bytes.Compare(c, best)
		if m.reverse {
			cmp = -cmp
		}
		switch {
		case cmp < 0:
			best = c
			m.Cur = append(m.Cur[:0], i)
		case cmp == 0:
			m.Cur = append(m.Cur, i)
		}
	}
	if len(m.Cur) == 0 {
		return nil, false, nil
	}
	return best, true, nil
}
