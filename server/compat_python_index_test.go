package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestCompatPythonIndexes: indexed queries through the Python driver
// (simple and prepared, paged by fetch_size) return what a filter of the
// inserted rows does, the driver's index metadata reads back the CREATE
// INDEX statements, and a range on a non-SAI index is refused.
func TestCompatPythonIndexes(t *testing.T) {
	checkPythonDriver(t)
	n := compatNode(t)
	out := runPython(t, n, "indexes.py", time.Minute)
	var r struct {
		Color, SizeRange, Tags, PropsKey, PropsEntry, ColorAndSize, Prepared []int
		Indexes                                                              []string
		Refused                                                              *string
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(out, &raw); err != nil {
		t.Fatalf("indexes.py output %q: %v", out, err)
	}
	for k, dst := range map[string]any{"color": &r.Color, "size_range": &r.SizeRange, "tags": &r.Tags, "props_key": &r.PropsKey,
		"props_entry": &r.PropsEntry, "color_and_size": &r.ColorAndSize, "prepared": &r.Prepared, "indexes": &r.Indexes, "refused": &r.Refused} {
		if err := json.Unmarshal(raw[k], dst); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
	}
	colors := []string{"red", "green", "blue"}
	want := func(keep func(i int) bool) string {
		var ids []int
		for i := 0; i < 60; i++ {
			if keep(i) {
				ids = append(ids, i)
			}
		}
		return fmt.Sprint(ids)
	}
	for name, c := range map[string]struct {
		got  []int
		keep func(i int) bool
	}{
		"color = green":      {r.Color, func(i int) bool { return colors[i%3] == "green" }},
		"size in [3, 5)":     {r.SizeRange, func(i int) bool { return i%10 >= 3 && i%10 < 5 }},
		"tags CONTAINS t1":   {r.Tags, func(i int) bool { return i%4 == 1 }},
		"CONTAINS KEY p1":    {r.PropsKey, func(i int) bool { return i%2 == 1 }},
		"props['p0'] = 4":    {r.PropsEntry, func(i int) bool { return i%2 == 0 && i%5 == 4 }},
		"red AND size > 5":   {r.ColorAndSize, func(i int) bool { return colors[i%3] == "red" && i%10 > 5 }},
		"prepared color = ?": {r.Prepared, func(i int) bool { return colors[i%3] == "blue" }},
	} {
		if got, w := fmt.Sprint(c.got), want(c.keep); got != w {
			t.Errorf("%s: got %s, want %s", name, got, w)
		}
	}
	wantIdx := []string{
		"CREATE CUSTOM INDEX size_sai ON idxpy.items (size) USING 'org.apache.cassandra.index.sai.StorageAttachedIndex'",
		"CREATE INDEX items_color_idx ON idxpy.items (color)",
		"CREATE INDEX items_tags_idx ON idxpy.items (values(tags))",
		"CREATE INDEX props_entries ON idxpy.items (entries(props))",
		"CREATE INDEX props_keys ON idxpy.items (keys(props))",
	}
	if strings.Join(r.Indexes, "\n") != strings.Join(wantIdx, "\n") {
		t.Errorf("driver index metadata:\n%s\nwant:\n%s", strings.Join(r.Indexes, "\n"), strings.Join(wantIdx, "\n"))
	}
	if r.Refused == nil || !strings.Contains(*r.Refused, "ALLOW FILTERING") {
		t.Errorf("range on a plain index: got %v, want the ALLOW FILTERING refusal", r.Refused)
	}
}
