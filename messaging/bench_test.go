package messaging

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"wcdb/internal/vfs"

	"wcdb/mutation"
	"wcdb/replication"
)

// benchMutations returns n small mutations of distinct partitions: one row
// of three 16-byte cells, as a YCSB-style write.
func benchMutations(n int) []mutation.Mutation {
	ts := time.Now().UnixMicro()
	ms := make([]mutation.Mutation, n)
	for i := range ms {
		row := mutation.NewRow([]byte{0})
		row.Liveness = mutation.Liveness{Timestamp: ts, ExpiresAt: mutation.NoDeletionTime}
		for c := range uint32(3) {
			row.Cells = append(row.Cells, mutation.Cell{Column: c + 1, Timestamp: ts,
				LocalDeletionTime: mutation.NoDeletionTime, Value: []byte(fmt.Sprintf("value-%010d", i))})
		}
		ms[i] = mutation.Mutation{Table: testTable, Partition: mutation.Partition{
			Key: key(fmt.Sprintf("user%d", i)), Deletion: mutation.Live, Rows: []mutation.Row{row}}}
	}
	return ms
}

func reportOps(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// benchPeers returns the replica called directly, over gRPC on loopback,
// and over the in-memory network, for comparison.
func benchPeers(b *testing.B) map[string]replication.Replica {
	local := openReplica(b)
	_, addr := startServer(b, local, ServerOptions{})
	n := NewNetwork()
	b.Cleanup(n.Close)
	n.Register("r", local, ServerOptions{})
	return map[string]replication.Replica{"local": local, "grpc": dial(b, addr, DialOptions{}), "memnet": n.Replica("c", "r")}
}

func BenchmarkApply(b *testing.B) {
	ms := benchMutations(4096)
	for _, name := range []string{"local", "grpc", "memnet"} {
		b.Run(name, func(b *testing.B) {
			r := benchPeers(b)[name]
			ctx := context.Background()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if err := r.Apply(ctx, &ms[i%len(ms)]); err != nil {
					b.Fatal(err)
				}
			}
			reportOps(b)
		})
	}
}

func BenchmarkRead(b *testing.B) {
	ms := benchMutations(4096)
	for _, name := range []string{"local", "grpc", "memnet"} {
		b.Run(name, func(b *testing.B) {
			r := benchPeers(b)[name]
			ctx := context.Background()
			for i := range ms {
				if err := r.Apply(ctx, &ms[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				p, err := r.Read(ctx, replication.ReadCommand{Table: testTable, Key: ms[i%len(ms)].Partition.Key})
				if err != nil || p == nil {
					b.Fatalf("read: %v, %v", p, err)
				}
			}
			reportOps(b)
		})
	}
}

// BenchmarkGRPCParallel measures throughput with many callers sharing a
// client, as a coordinator's requests to one peer do.
func BenchmarkGRPCParallel(b *testing.B) {
	ms := benchMutations(4096)
	for _, conns := range []int{1, 4} {
		for _, op := range []string{"Apply", "Read"} {
			for _, par := range []int{1, 16} {
				b.Run(fmt.Sprintf("%s/conns=%d/callers=%d", op, conns, 2*par), func(b *testing.B) {
					local := openReplica(b)
					_, addr := startServer(b, local, ServerOptions{})
					c := dial(b, addr, DialOptions{Conns: conns})
					ctx := context.Background()
					for i := range ms {
						if err := local.Apply(ctx, &ms[i]); err != nil {
							b.Fatal(err)
						}
					}
					b.SetParallelism(par)
					b.ReportAllocs()
					io0 := procIO(b)
					b.ResetTimer()
					b.RunParallel(func(pb *testing.PB) {
						i := 0
						for pb.Next() {
							m := &ms[i%len(ms)]
							i++
							var err error
							if op == "Apply" {
								err = c.Apply(ctx, m)
							} else {
								_, err = c.Read(ctx, replication.ReadCommand{Table: testTable, Key: m.Partition.Key})
							}
							if err != nil {
								b.Error(err)
								return
							}
						}
					})
					b.StopTimer()
					io1 := procIO(b)
					// Both ends are in this process: a request and its answer
					// each cost a write and a read when nothing coalesces.
					b.ReportMetric(float64(io1.syscw-io0.syscw)/float64(b.N), "writes/op")
					b.ReportMetric(float64(io1.syscr-io0.syscr)/float64(b.N), "reads/op")
					b.ReportMetric(float64((io1.cpu-io0.cpu).Microseconds())/float64(b.N), "cpu-µs/op")
					reportOps(b)
				})
			}
		}
	}
}

// ioCounts are the process's read and write system calls (from
// /proc/self/io) and CPU time so far.
type ioCounts struct {
	syscr, syscw int64
	cpu          time.Duration
}

func procIO(b *testing.B) ioCounts {
	var c ioCounts
	f, err := vfs.Default.Open("/proc/self/io")
	if err != nil {
		b.Skip("no /proc/self/io:", err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(string(data)) {
		name, v, _ := strings.Cut(strings.TrimSpace(line), ": ")
		n, _ := strconv.ParseInt(v, 10, 64)
		switch name {
		case "syscr":
			c.syscr = n
		case "syscw":
			c.syscw = n
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		c.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return c
}

func BenchmarkCodecMutation(b *testing.B) {
	m := benchMutations(1)[0]
	var c codec
	b.ReportAllocs()
	for b.Loop() {
		data, err := c.Marshal(&mutationMsg{m: &m})
		if err != nil {
			b.Fatal(err)
		}
		var out mutationMsg
		if err := c.Unmarshal(data, &out); err != nil {
			b.Fatal(err)
		}
		data.Free()
	}
}
