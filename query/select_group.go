package query

// Grouped SELECTs (package grouping): rows go to their group; a group
// becomes a result row when the next one begins, so a page never ends
// inside one; with ORDER BY over several partitions, the groups of each
// partition are sorted after, as Cassandra orders such results.

import (
	"wcdb/query/grouping"
	"wcdb/query/plan"
)

// group adds a row to its group, closing the open group first if the row
// begins another (see emit).
func (e *selectExec) group(ps *partState, v *plan.RowView) bool {
	if e.grouped {
		starts, err := e.grp.Starts(v)
		if err != nil {
			e.err = err
			return false
		}
		if starts {
			e.closeGroup()
			if e.stop() {
				e.cut = true
				return false
			}
		}
		if !e.grp.Open() {
			// PER PARTITION LIMIT counts groups.
			if e.ppl > 0 && ps.emitted >= e.ppl {
				ps.done = true
				return false
			}
			ps.emitted++
			if e.sort {
				var prefix []byte
				if v.Row != nil {
					if prefix, err = e.p.OrderPrefix(v.Row.Clustering); err != nil {
						e.err = err
						return false
					}
				}
				e.prefixes = append(e.prefixes, prefix)
			}
		}
	}
	if err := e.grp.Add(v); err != nil {
		e.err = err
		return false
	}
	return true
}

// closeGroup adds the open group's row to the result.
func (e *selectExec) closeGroup() {
	row, err := e.grp.Close()
	if err != nil {
		e.err = err
		return
	}
	if row != nil {
		e.addRow(row)
	}
}

// runGroupsSorted reads the partitions of an IN one after the other,
// groups their rows, and sorts the groups by the ORDER BY columns of their
// first rows (stably: partition order breaks ties), then applies LIMIT.
// The result is one page.
func (e *selectExec) runGroupsSorted(keys []plan.PartKey) error {
	limit := e.limitLeft
	e.pageSize, e.limitLeft, e.sort = 0, -1, true
	for i, k := range keys {
		e.ps1 = partState{Partition: plan.Partition{Key: k.Key, PK: k.Vals}, idx: i}
		if err := e.readPartition(&e.ps1, e.ranges); err != nil || e.err != nil {
			return err
		}
	}
	if e.grp.Open() {
		e.closeGroup()
	}
	e.rows = grouping.Sort(e.rows, e.prefixes, e.p.Reversed, limit)
	e.cut, e.full, e.done = true, false, true
	return nil
}
