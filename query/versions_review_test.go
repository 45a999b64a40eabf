package query

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"wcdb/mutation"
	"wcdb/replication"
)

// TestCellVersionsAsOfLimits: AS OF drops rows written after its time,
// so the engine must not stop at the per-partition limit (PER PARTITION
// LIMIT, DISTINCT) or the LIMIT before AS OF has seen the rows it keeps.
// In every partition the first row was written after the AS OF time and
// the second before it.
func TestCellVersionsAsOfLimits(t *testing.T) {
	e := newDDLEnv(t)
	e.mustExec("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	e.mustExec("CREATE TABLE ks.p (k int, c int, v text, PRIMARY KEY (k, c)) WITH cell_versions = {'max_versions': '3'}")
	base := e.clock
	for k := 1; k <= 3; k++ {
		e.mustExec(fmt.Sprintf("INSERT INTO ks.p (k, c, v) VALUES (%d, 1, 'late') USING TIMESTAMP %d", k, base+100))
		e.mustExec(fmt.Sprintf("INSERT INTO ks.p (k, c, v) VALUES (%d, 2, 'early') USING TIMESTAMP %d", k, base+10))
	}
	asOf := fmt.Sprintf(" AS OF TIMESTAMP %d ", base+50)
	for _, c := range []struct {
		stmt string
		want int
	}{
		{"SELECT k, c FROM ks.p" + asOf + "PER PARTITION LIMIT 1", 3},
		{"SELECT k, c FROM ks.p" + asOf + "WHERE k = 1 PER PARTITION LIMIT 1", 1},
		{"SELECT k, c FROM ks.p" + asOf + "WHERE k IN (1, 2) PER PARTITION LIMIT 1", 2},
		{"SELECT DISTINCT k FROM ks.p" + asOf, 3},
		{"SELECT k, c FROM ks.p" + asOf + "LIMIT 2", 2},
		{"SELECT k, c FROM ks.p" + asOf, 3},
		{"SELECT count(*) FROM ks.p" + asOf, 1},
	} {
		for _, page := range []int{0, 1, 2} {
			var rows [][][]byte
			var state []byte
			for range 20 {
				r, err := e.exec(c.stmt, &Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp, PageSize: page, PagingState: state})
				if err != nil {
					t.Fatalf("%s: %v", c.stmt, err)
				}
				rows = append(rows, r.Rows...)
				if state = r.PagingState; state == nil {
					break
				}
			}
			if len(rows) != c.want {
				t.Errorf("%s (page size %d): %d rows, want %d", c.stmt, page, len(rows), c.want)
			}
			for _, row := range rows {
				if strings.HasPrefix(c.stmt, "SELECT k, c") && binary.BigEndian.Uint32(row[1]) != 2 {
					t.Errorf("%s: row c = %d, written after the AS OF time", c.stmt, binary.BigEndian.Uint32(row[1]))
				}
				if strings.HasPrefix(c.stmt, "SELECT count") && binary.BigEndian.Uint64(row[0]) != 3 {
					t.Errorf("%s: count %d, want 3", c.stmt, binary.BigEndian.Uint64(row[0]))
				}
			}
		}
	}
}
