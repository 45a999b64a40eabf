package main

import (
	"strings"
	"testing"
)

// TestVersions: the shell shows a table's cell versions (docs/VERSIONS.md):
// versions() as a map from write time to value, a row AS OF a past time,
// and DESCRIBE prints the option so that it recreates the table.
func TestVersions(t *testing.T) {
	addr := startNode(t, nil)
	out := mustRun(t, `
CREATE KEYSPACE wt WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};
CREATE TABLE wt.webtable (row text PRIMARY KEY, contents text, anchor text) WITH cell_versions = {'max_versions': '3'};
INSERT INTO wt.webtable (row, contents) VALUES ('com.cnn.www', '<html>3') USING TIMESTAMP 3;
INSERT INTO wt.webtable (row, contents) VALUES ('com.cnn.www', '<html>5') USING TIMESTAMP 5;
INSERT INTO wt.webtable (row, contents) VALUES ('com.cnn.www', '<html>6') USING TIMESTAMP 6;
INSERT INTO wt.webtable (row, anchor) VALUES ('com.cnn.www', 'CNN') USING TIMESTAMP 9;
SELECT versions(contents), versions(anchor) FROM wt.webtable WHERE row = 'com.cnn.www';
SELECT contents, anchor FROM wt.webtable AS OF TIMESTAMP 5 WHERE row = 'com.cnn.www';
DESCRIBE TABLE wt.webtable;
`, addr)
	for _, want := range []string{
		"{3: '<html>3', 5: '<html>5', 6: '<html>6'}",
		"{9: 'CNN'}",
		"<html>5 |   null",
		"AND cell_versions = {'max_versions': '3'}",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("got\n%s\nwant it to contain %q", out, want)
		}
	}
}
