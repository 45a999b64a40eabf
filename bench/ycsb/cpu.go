package ycsb

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/stat and /proc/PID/stat times:
// 100 on every Linux architecture Go runs on.
const clockTicks = 100

// cpuSample is CPU time used so far, in seconds: the whole machine's busy
// and total time, this process's, and that of the server processes given.
type cpuSample struct {
	machineOK          bool
	machineBusy, total float64
	client             float64
	server             float64
	serverOK           bool
	serverProcs        int
}

// sampleCPU reads /proc/stat, getrusage(RUSAGE_SELF) and, for each pid in
// serverPIDs, /proc/PID/stat of it and its descendants.
func sampleCPU(serverPIDs []int) cpuSample {
	var s cpuSample
	s.machineBusy, s.total, s.machineOK = machineCPU()
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.client = tvSeconds(ru.Utime) + tvSeconds(ru.Stime)
	}
	if len(serverPIDs) > 0 {
		s.server, s.serverProcs, s.serverOK = processTreeCPU(serverPIDs)
	}
	return s
}

func tvSeconds(tv syscall.Timeval) float64 {
	return float64(tv.Sec) + float64(tv.Usec)/1e6
}

// machineCPU returns busy (user, nice, system, irq, softirq, steal) and
// total (busy, idle, iowait) seconds of all CPUs since boot.
func machineCPU() (busy, total float64, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0, false
	}
	var v [8]float64 // user nice system idle iowait irq softirq steal
	for i := range v {
		n, err := strconv.ParseUint(f[i+1], 10, 64)
		if err != nil {
			return 0, 0, false
		}
		v[i] = float64(n) / clockTicks
	}
	busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
	return busy, busy + v[3] + v[4], true
}

// procStat holds the fields of /proc/PID/stat used here.
type procStat struct {
	ppid int
	cpu  float64 // utime + stime + cutime + cstime, seconds
}

func readProcStat(path string) (procStat, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return procStat{}, false
	}
	// The command name may hold spaces and parentheses: fields start
	// after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state): ppid is field 4, utime..cstime 14..17.
	if len(f) < 15 {
		return procStat{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	var cpu float64
	for _, s := range f[11:15] {
		n, _ := strconv.ParseInt(s, 10, 64)
		cpu += float64(n) / clockTicks
	}
	return procStat{ppid: ppid, cpu: cpu}, true
}

// processTreeCPU sums the CPU time of the given processes and all their
// descendants (a PostgreSQL server is a postmaster and a backend per
// connection). Children that exited and were reaped count through their
// parent's cutime/cstime.
func processTreeCPU(pids []int) (seconds float64, procs int, ok bool) {
	paths, _ := filepath.Glob("/proc/[0-9]*/stat")
	all := map[int]procStat{}
	children := map[int][]int{}
	for _, p := range paths {
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		if err != nil {
			continue
		}
		if st, ok := readProcStat(p); ok {
			all[pid] = st
			children[st.ppid] = append(children[st.ppid], pid)
		}
	}
	seen := map[int]bool{}
	queue := append([]int(nil), pids...)
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		if seen[pid] {
			continue
		}
		seen[pid] = true
		st, found := all[pid]
		if !found {
			continue
		}
		seconds += st.cpu
		procs++
		queue = append(queue, children[pid]...)
	}
	return seconds, procs, procs > 0
}

// CPU is the CPU time a phase cost. Server CPU is the machine's busy time
// less this client's: on a machine where the server and the client are
// alone it is the server's; anything else running is counted as server.
// ServerProcess, when server PIDs were given, is measured on the server's
// own processes instead and is immune to that noise.
type CPU struct {
	Method        string  `json:"method"`
	MachineBusyS  float64 `json:"machine_busy_s"`
	MachineTotalS float64 `json:"machine_total_s"`
	// Utilization is busy / total over the phase (0..1).
	Utilization   float64 `json:"machine_utilization"`
	ClientS       float64 `json:"client_s"`
	ServerS       float64 `json:"server_s"`
	Ops           int64   `json:"ops"`
	ServerUsPerOp float64 `json:"server_us_per_op"`
	ClientUsPerOp float64 `json:"client_us_per_op"`
	// ServerProcessS is the CPU time of the server processes given (and
	// their descendants); absent if none were given.
	ServerProcessS        *float64 `json:"server_process_s,omitempty"`
	ServerProcessUsPerOp  *float64 `json:"server_process_us_per_op,omitempty"`
	ServerProcessesTraced int      `json:"server_processes_traced,omitempty"`
}

const cpuMethod = "machine busy (/proc/stat) minus client (getrusage self), divided by operations"

func cpuBetween(a, b cpuSample, ops int64) (CPU, error) {
	if !a.machineOK || !b.machineOK {
		return CPU{}, fmt.Errorf("ycsb: /proc/stat unreadable")
	}
	c := CPU{
		Method:        cpuMethod,
		MachineBusyS:  b.machineBusy - a.machineBusy,
		MachineTotalS: b.total - a.total,
		ClientS:       b.client - a.client,
		Ops:           ops,
	}
	c.ServerS = max(c.MachineBusyS-c.ClientS, 0)
	if c.MachineTotalS > 0 {
		c.Utilization = c.MachineBusyS / c.MachineTotalS
	}
	if ops > 0 {
		c.ServerUsPerOp = c.ServerS / float64(ops) * 1e6
		c.ClientUsPerOp = c.ClientS / float64(ops) * 1e6
	}
	if a.serverOK && b.serverOK {
		s := max(b.server-a.server, 0)
		c.ServerProcessS = &s
		c.ServerProcessesTraced = b.serverProcs
		if ops > 0 {
			per := s / float64(ops) * 1e6
			c.ServerProcessUsPerOp = &per
		}
	}
	return c, nil
}

// Machine describes the machine the client runs on.
type Machine struct {
	Hostname    string  `json:"hostname"`
	OS          string  `json:"os"`
	Arch        string  `json:"arch"`
	Kernel      string  `json:"kernel"`
	Cores       int     `json:"cores"`
	CPUModel    string  `json:"cpu_model,omitempty"`
	MemoryBytes int64   `json:"memory_bytes"`
	GoVersion   string  `json:"go_version"`
	GOMAXPROCS  int     `json:"gomaxprocs"`
	LoadAverage float64 `json:"load_average_1m"`
	// StartedAt is when the facts were read.
	StartedAt time.Time `json:"started_at"`
}
