package catalog

import (
	"errors"
	"maps"
	"testing"

	"wcdb/query/qerr"
	"wcdb/schema"
)

func TestNormalizeStrategy(t *testing.T) {
	for _, tc := range []struct {
		opts map[string]string
		want map[string]string
		err  string
	}{
		{
			opts: map[string]string{"class": "SimpleStrategy", "replication_factor": "3"},
			want: map[string]string{"class": schema.SimpleStrategy, "replication_factor": "3"},
		},
		{
			opts: map[string]string{"class": "org.apache.cassandra.locator.SimpleStrategy", "replication_factor": " 1 "},
			want: map[string]string{"class": schema.SimpleStrategy, "replication_factor": "1"},
		},
		{
			opts: map[string]string{"class": "NetworkTopologyStrategy", "dc1": "3", "dc2": "0"},
			want: map[string]string{"class": schema.NetworkTopologyStrategy, "dc1": "3", "dc2": "0"},
		},
		{
			opts: map[string]string{"class": "NetworkTopologyStrategy", "replication_factor": "2"},
			want: map[string]string{"class": schema.NetworkTopologyStrategy, "replication_factor": "2"},
		},
		{opts: map[string]string{"replication_factor": "3"}, err: "Missing replication strategy class"},
		{opts: map[string]string{"class": "SimpleStrategy"}, err: "SimpleStrategy requires a replication_factor strategy option."},
		{opts: map[string]string{"class": "SimpleStrategy", "replication_factor": "3", "dc1": "1"}, err: "Unrecognized strategy option {dc1} passed to SimpleStrategy for keyspace ks"},
		{opts: map[string]string{"class": "SimpleStrategy", "replication_factor": "three"}, err: "Replication factor must be numeric; found three"},
		{opts: map[string]string{"class": "SimpleStrategy", "replication_factor": "-1"}, err: "Replication factor must be non-negative; found -1"},
		{opts: map[string]string{"class": "NetworkTopologyStrategy", "dc1": "x"}, err: "Replication factor must be numeric; found x"},
		{opts: map[string]string{"class": "NetworkTopologyStrategy"}, err: "Configuration for at least one datacenter must be present"},
		{opts: map[string]string{"class": "FooStrategy"}, err: "Unable to find replication strategy class 'org.apache.cassandra.locator.FooStrategy'"},
		{opts: map[string]string{"class": "LocalStrategy"}, err: "Unable to use given strategy class: LocalStrategy is reserved for internal use."},
	} {
		got, err := normalizeStrategy("ks", tc.opts)
		if tc.err != "" {
			var qe *qerr.Error
			if !errors.As(err, &qe) || qe.Msg != tc.err || qe.Kind != qerr.KindConfig {
				t.Errorf("normalizeStrategy(%v) = %v, want config error %q", tc.opts, err, tc.err)
			}
			continue
		}
		if err != nil || !maps.Equal(got, tc.want) {
			t.Errorf("normalizeStrategy(%v) = %v, %v; want %v", tc.opts, got, err, tc.want)
		}
	}
}
