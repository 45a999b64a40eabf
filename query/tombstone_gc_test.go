package query

import (
	"bytes"
	"strings"
	"testing"
)

// describeTable returns DESCRIBE TABLE's statement.
func describeTable(e *ddlEnv, name string) string {
	e.t.Helper()
	r := e.mustExec("DESCRIBE TABLE " + name)
	var b bytes.Buffer
	for _, row := range r.Rows {
		for _, v := range row {
			b.Write(v)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// TestTombstoneGCOption: tombstone_gc and propagation_delay_in_seconds are
// set at CREATE and ALTER, checked, shown by DESCRIBE only when not the
// default, kept across a restart, and reach the table's storage.
func TestTombstoneGCOption(t *testing.T) {
	e := newDDLEnv(t)
	e.mustExec("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
	e.mustExec("CREATE TABLE ks.plain (k int PRIMARY KEY)")
	if d := describeTable(e, "ks.plain"); strings.Contains(d, "tombstone_gc") || strings.Contains(d, "propagation_delay") || strings.Contains(d, "wcdb.") {
		t.Fatalf("a default table describes with our options:\n%s", d)
	}
	e.mustExec("CREATE TABLE ks.t (k int PRIMARY KEY) WITH tombstone_gc = {'mode': 'repair'} AND propagation_delay_in_seconds = 60")
	want := []string{"propagation_delay_in_seconds = 60", "tombstone_gc = {'mode': 'repair'}"}
	mode := "repair"
	check := func(when string) {
		t.Helper()
		d := describeTable(e, "ks.t")
		for _, w := range want {
			if !strings.Contains(d, w) {
				t.Fatalf("%s: DESCRIBE lacks %q:\n%s", when, w, d)
			}
		}
		if strings.Contains(d, "wcdb.") {
			t.Fatalf("%s: DESCRIBE shows our extension keys:\n%s", when, d)
		}
		st := e.engine.Table(e.x.catalog.Table("ks", "t").ID)
		if o := st.Options(); o.TombstoneGC != mode || o.PropagationDelaySeconds != 60 {
			t.Fatalf("%s: storage has tombstone_gc %q, propagation delay %d; want %q, 60", when, o.TombstoneGC, o.PropagationDelaySeconds, mode)
		}
	}
	check("after CREATE")
	e.restart()
	check("after a restart")
	e.mustExec("ALTER TABLE ks.t WITH tombstone_gc = {'mode': 'disabled'}")
	want = []string{"propagation_delay_in_seconds = 60", "tombstone_gc = {'mode': 'disabled'}"}
	mode = "disabled"
	check("after ALTER")
	for stmt, msg := range map[string]string{
		"ALTER TABLE ks.t WITH tombstone_gc = {'mode': 'sometimes'}":        "Invalid tombstone_gc mode: sometimes",
		"ALTER TABLE ks.t WITH tombstone_gc = {'mode': 'repair', 'x': 'y'}": "Unknown tombstone_gc option: x",
		"ALTER TABLE ks.t WITH tombstone_gc = {}":                           "tombstone_gc needs a mode",
		"ALTER TABLE ks.t WITH propagation_delay_in_seconds = -1":           "propagation_delay_in_seconds must be greater than or equal to 0",
		"ALTER TABLE ks.t WITH tombstone_gc = 'repair'":                     "It should be a map",
	} {
		if _, err := e.exec(stmt, nil); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v, want %q", stmt, err, msg)
		}
	}
}
