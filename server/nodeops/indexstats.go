package nodeops

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
)

// IndexStat is one secondary index's state on this node (indexstats): how
// many of the SSTables that existed when it was created have their index
// component, and whether the background build is over.
type IndexStat struct {
	Keyspace string `json:"keyspace"`
	Table    string `json:"table"`
	Index    string `json:"index"`
	Built    int    `json:"built_sstables"`
	Total    int    `json:"total_sstables"`
	Done     bool   `json:"done"`
	Error    string `json:"error,omitempty"`
}

func (o *Ops) indexstats() ([]IndexStat, error) {
	cat := o.Catalog()
	out := []IndexStat{}
	for _, t := range o.Engine.Tables() {
		st := cat.TableByID(t.ID())
		if st == nil {
			continue
		}
		for _, p := range t.IndexProgress() {
			s := IndexStat{Keyspace: st.Keyspace, Table: st.Name, Index: p.Name, Built: p.Built, Total: p.Total, Done: p.Done}
			if p.Err != nil {
				s.Error = p.Err.Error()
			}
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.Keyspace+"\x00"+a.Table+"\x00"+a.Index < b.Keyspace+"\x00"+b.Table+"\x00"+b.Index
	})
	return out, nil
}

func printIndexStats(w io.Writer, st []IndexStat) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "keyspace\ttable\tindex\tbuilt\tstate\t")
	for _, s := range st {
		state := "building"
		switch {
		case s.Error != "":
			state = "failed: " + s.Error
		case s.Done:
			state = "built"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d SSTables\t%s\t\n", s.Keyspace, s.Table, s.Index, s.Built, s.Total, state)
	}
	return tw.Flush()
}
