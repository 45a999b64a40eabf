package ycsb

import (
	"os"
	"runtime"
	"testing"
	"time"
)

// TestCPUSamples burns CPU in this process and checks that the machine,
// client and process-tree figures all see it.
func TestCPUSamples(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	a := sampleCPU([]int{os.Getpid()})
	if !a.machineOK || !a.serverOK {
		t.Fatalf("sample %+v: /proc unreadable", a)
	}
	// Spin until this process has used 0.3 CPU-s (on a busy machine that
	// takes longer than 0.3 s), within a bound.
	x := 0
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end) && sampleCPU(nil).client-a.client < 0.3; {
		for i := range 1000000 {
			x += i
		}
	}
	_ = x
	b := sampleCPU([]int{os.Getpid()})
	c, err := cpuBetween(a, b, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if c.ClientS < 0.2 {
		t.Errorf("client %.3f CPU-s after spinning for 0.3, want at least 0.2", c.ClientS)
	}
	if c.MachineBusyS < 0.2 || c.MachineBusyS > c.MachineTotalS+0.01 {
		t.Errorf("machine busy %.3f s of %.3f, want at least 0.2 of more", c.MachineBusyS, c.MachineTotalS)
	}
	// The process tree is this process: its /proc figure (in ticks)
	// agrees with getrusage.
	// (Tolerance: the two are read at slightly different moments while
	// other tests of the package may run.)
	if tol := 0.1 + c.ClientS/10; c.ServerProcessS == nil || *c.ServerProcessS < c.ClientS-tol || *c.ServerProcessS > c.ClientS+tol {
		t.Errorf("process tree %v CPU-s, want about the client's %.3f", c.ServerProcessS, c.ClientS)
	}
	if c.ServerProcessesTraced != 1 {
		t.Errorf("traced %d processes, want 1", c.ServerProcessesTraced)
	}
	if c.ClientUsPerOp < 200 {
		t.Errorf("client %.1f µs/op over 1000 ops, want at least 200", c.ClientUsPerOp)
	}
	m := machineFacts()
	if m.Cores < 1 || m.MemoryBytes <= 0 || m.Kernel == "" {
		t.Errorf("machine facts %+v incomplete", m)
	}
}
