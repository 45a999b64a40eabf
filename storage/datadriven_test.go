package storage

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"wcdb/internal/vfs"
	"wcdb/mutation"
)

// TestReadMerge runs testdata/read_merge: writes and deletions spread over
// memtables and SSTables, and what reads see. Commands:
//
//	apply            one operation per line:
//	                 row p=P c=C ts=T [ttl=S] [marker] col=value...
//	                 celldel p=P c=C col=N ts=T
//	                 rowdel p=P c=C ts=T
//	                 rangedel p=P from=C to=C ts=T
//	                 partdel p=P ts=T
//	                 ver p=P c=C ts=T [ttl=S] col=value...  (cell versions)
//	                 coldel p=P c=C col=N ts=T  (a column deletion)
//	rule [max_versions=N] [max_age=S]  set the table's cell versions rule
//	flush | compact | restart
//	advance s=N      move the clock forward N seconds
//	read p=P [from=C] [to=C] [reverse] [limit=N]
func TestReadMerge(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		fs := vfs.NewMem()
		now := int64(1_000_000)
		open := func() *Engine {
			o := faultOptions(fs)
			o.Now = func() time.Time { return time.Unix(now, 0) }
			e, err := Open(o)
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		e := open()
		defer func() { e.Close() }()
		tb, err := e.CreateTable(testTable, TableOptions{GCGraceSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "apply":
				for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
					m, err := parseOp(line, now)
					if err != nil {
						return err.Error()
					}
					if err := e.Apply(m); err != nil {
						return err.Error()
					}
				}
				return ""
			case "flush":
				return errString(tb.Flush())
			case "compact":
				return errString(tb.Compact())
			case "restart":
				e.Close()
				e = open()
				tb = e.Table(testTable)
				return ""
			case "rule":
				var v mutation.VersionRule
				if d.HasArg("max_versions") {
					d.ScanArgs(t, "max_versions", &v.MaxVersions)
				}
				if d.HasArg("max_age") {
					var s int64
					d.ScanArgs(t, "max_age", &s)
					v.MaxAge = s * 1e6
				}
				return errString(e.AlterTable(testTable, TableOptions{GCGraceSeconds: 1, Versions: v}))
			case "advance":
				var s int
				d.ScanArgs(t, "s", &s)
				now += int64(s)
				return ""
			case "read":
				var p int
				d.ScanArgs(t, "p", &p)
				q := Query{Key: pk(p)}
				if d.HasArg("from") {
					var c int
					d.ScanArgs(t, "from", &c)
					q.Start = ck(c)
				}
				if d.HasArg("to") {
					var c int
					d.ScanArgs(t, "to", &c)
					q.End = ck(c)
				}
				q.Reverse = d.HasArg("reverse")
				q.Raw = d.HasArg("raw")
				if d.HasArg("limit") {
					d.ScanArgs(t, "limit", &q.Limit)
				}
				part, err := tb.Read(q)
				if err != nil {
					return err.Error()
				}
				if part == nil {
					return "(none)\n"
				}
				var sb strings.Builder
				if part.Static != nil {
					sb.WriteString("static:" + cellsString(part.Static) + "\n")
				}
				for i := range part.Rows {
					r := &part.Rows[i]
					fmt.Fprintf(&sb, "%d:%s\n", beUint(r.Clustering), cellsString(r))
				}
				return sb.String()
			}
			return "unknown command " + d.Cmd
		})
	})
}

func errString(err error) string {
	if err != nil {
		return err.Error()
	}
	return ""
}

func beUint(b []byte) int {
	n := 0
	for _, x := range b {
		n = n<<8 | int(x)
	}
	return n
}

func cellsString(r *mutation.Row) string {
	var sb strings.Builder
	for _, c := range r.Cells {
		switch {
		case c.IsVersion() && c.IsTombstone():
			fmt.Fprintf(&sb, " %d@%d=(expired)", c.Column, c.Timestamp)
		case c.IsVersion():
			fmt.Fprintf(&sb, " %d@%d=%s", c.Column, c.Timestamp, c.Value)
		case c.IsColumnDeletion():
			fmt.Fprintf(&sb, " %d=(deleted@%d)", c.Column, c.Timestamp)
		default:
			fmt.Fprintf(&sb, " %d=%s", c.Column, c.Value)
		}
	}
	return sb.String()
}

// parseOp turns one line of an apply command into a mutation.
func parseOp(line string, now int64) (*mutation.Mutation, error) {
	f := strings.Fields(line)
	if len(f) == 0 {
		return nil, fmt.Errorf("empty line")
	}
	args := map[string]string{}
	var cols []string
	for _, kv := range f[1:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			args[kv] = ""
			continue
		}
		if _, err := strconv.Atoi(k); err == nil {
			cols = append(cols, kv)
			continue
		}
		args[k] = v
	}
	num := func(k string) int64 {
		n, _ := strconv.ParseInt(args[k], 10, 64)
		return n
	}
	m := &mutation.Mutation{Table: testTable, Partition: mutation.Partition{Key: pk(int(num("p"))), Deletion: mutation.Live}}
	ts := num("ts")
	switch f[0] {
	case "row", "static", "ver":
		var r mutation.Row
		if f[0] == "static" {
			r = mutation.NewRow(nil)
		} else {
			r = mutation.NewRow(ck(int(num("c"))))
		}
		exp, ttl := int64(mutation.NoDeletionTime), int32(num("ttl"))
		if ttl > 0 {
			exp = now + int64(ttl)
		}
		if _, ok := args["marker"]; ok {
			r.Liveness = mutation.Liveness{Timestamp: ts, TTL: ttl, ExpiresAt: exp}
		}
		for _, kv := range cols {
			k, v, _ := strings.Cut(kv, "=")
			col, _ := strconv.Atoi(k)
			c := mutation.Cell{Column: uint32(col), Timestamp: ts, LocalDeletionTime: mutation.NoDeletionTime, Value: []byte(v)}
			if ttl > 0 {
				c.Flags, c.TTL, c.LocalDeletionTime = mutation.CellExpiring, ttl, exp
			}
			if f[0] == "ver" {
				c.Flags |= mutation.CellVersion
				c.Path = mutation.VersionPath(ts)
			}
			r.Cells = append(r.Cells, c)
		}
		if f[0] == "static" {
			m.Partition.Static = &r
		} else {
			m.Partition.Rows = []mutation.Row{r}
		}
	case "celldel":
		r := mutation.NewRow(ck(int(num("c"))))
		r.Cells = []mutation.Cell{{Column: uint32(num("col")), Flags: mutation.CellTombstone, Timestamp: ts, LocalDeletionTime: now}}
		m.Partition.Rows = []mutation.Row{r}
	case "coldel":
		r := mutation.NewRow(ck(int(num("c"))))
		r.Cells = []mutation.Cell{{Column: uint32(num("col")), Flags: mutation.CellColumnDeletion, Timestamp: ts, LocalDeletionTime: now}}
		m.Partition.Rows = []mutation.Row{r}
	case "rowdel":
		r := mutation.NewRow(ck(int(num("c"))))
		r.Deletion = mutation.Deletion{Timestamp: ts, LocalDeletionTime: now}
		m.Partition.Rows = []mutation.Row{r}
	case "rangedel":
		m.Partition.RangeTombstones = []mutation.RangeTombstone{{Start: ck(int(num("from"))), End: ck(int(num("to"))), Deletion: mutation.Deletion{Timestamp: ts, LocalDeletionTime: now}}}
	case "partdel":
		m.Partition.Deletion = mutation.Deletion{Timestamp: ts, LocalDeletionTime: now}
	default:
		return nil, fmt.Errorf("unknown operation %q", f[0])
	}
	return m, nil
}
