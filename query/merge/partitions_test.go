package merge

import (
	"fmt"
	"reflect"
	"testing"

	"wcdb/mutation"
)

// write is an insert of row r of partition k, with cell 1 = v at ts.
func write(table byte, k, r string, ts int64, v string) mutation.Mutation {
	pb := NewBuilder(mutation.Key{Token: int64(len(k)), Bytes: []byte(k)})
	row := pb.Row([]byte(r))
	row.Liveness = mutation.Liveness{Timestamp: ts, ExpiresAt: mutation.NoDeletionTime}
	row.Cells = append(row.Cells, cell(1, ts, v))
	return pb.Finish(mutation.TableID{table})
}

// TestPartitionsDistinct: a fan-out (each mutation of its own partition)
// comes back as it is; the same through the merging path is equal.
func TestPartitionsDistinct(t *testing.T) {
	// "a" and "b" share a token: told apart by their bytes; table 2's "a"
	// is another partition.
	ms := []mutation.Mutation{write(1, "a", "r", 1, "x"), write(1, "b", "r", 1, "y"), write(2, "a", "r", 1, "z")}
	got := Partitions(ms)
	if &got[0] != &ms[0] {
		t.Errorf("distinct partitions were copied")
	}
	var want []mutation.Mutation
	for i := range ms {
		var bp Partition
		bp.M = mutation.Mutation{Table: ms[i].Table, Partition: mutation.Partition{Key: ms[i].Partition.Key, Deletion: mutation.Live}}
		bp.Add(&ms[i].Partition)
		want = append(want, bp.Finish())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// TestPartitionsMerge: two writes of one partition (here the third and
// a later one, among more than the pairwise check takes) become one
// mutation, in the place of the first, with both rows in clustering order.
func TestPartitionsMerge(t *testing.T) {
	for _, n := range []int{4, 100} {
		var ms []mutation.Mutation
		for i := range n {
			ms = append(ms, write(1, fmt.Sprint("k", i), "r2", 1, "v"))
		}
		ms = append(ms, write(1, "k2", "r1", 2, "w"))
		got := Partitions(ms)
		if len(got) != n {
			t.Fatalf("%d: got %d mutations, want %d", n, len(got), n)
		}
		rows := got[2].Partition.Rows
		if string(got[2].Partition.Key.Bytes) != "k2" || len(rows) != 2 || string(rows[0].Clustering) != "r1" || string(rows[1].Clustering) != "r2" {
			t.Errorf("%d: got %+v, want k2 with rows r1 and r2", n, got[2])
		}
	}
}
