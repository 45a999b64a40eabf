package ycsb

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Op is an operation type.
type Op int

// Operation types, named in results as YCSB names them.
const (
	OpRead Op = iota
	OpUpdate
	OpInsert
	OpScan
	OpReadModifyWrite
	// The timeline workload's (bench/timeline): a user's follows written,
	// a post fanned out to its author's followers, a timeline read.
	OpFollow
	OpPost
	OpTimeline
	// The LWT workload's (bench/lwt): a compare-and-set that applied, one
	// that did not (the value had changed), a counter increment.
	OpCAS
	OpCASNotApplied
	OpCounter
	numOps
)

var opNames = [numOps]string{"READ", "UPDATE", "INSERT", "SCAN", "READ-MODIFY-WRITE", "FOLLOW", "POST", "TIMELINE",
	"CAS", "CAS-NOT-APPLIED", "COUNTER"}

func (o Op) String() string { return opNames[o] }

// Distribution names.
const (
	Zipfian = "zipfian"
	Latest  = "latest"
	Uniform = "uniform"
)

// Workload is a YCSB core workload: the shares of each operation type
// (summing to 1) and how keys are chosen.
type Workload struct {
	Name                string  `json:"name"`
	ReadProportion      float64 `json:"read_proportion"`
	UpdateProportion    float64 `json:"update_proportion"`
	InsertProportion    float64 `json:"insert_proportion"`
	ScanProportion      float64 `json:"scan_proportion"`
	RMWProportion       float64 `json:"read_modify_write_proportion"`
	RequestDistribution string  `json:"request_distribution"`
	// ScanLengthDistribution is uniform, in [1, MaxScanLength].
	ScanLengthDistribution string `json:"scan_length_distribution,omitempty"`
}

// Load is the load phase: inserts only, in sequence order.
var Load = Workload{Name: "load", InsertProportion: 1, RequestDistribution: "sequential"}

// CoreWorkloads are YCSB's workloads A-F with their properties files'
// settings.
var CoreWorkloads = map[string]Workload{
	"a": {Name: "a", ReadProportion: 0.5, UpdateProportion: 0.5, RequestDistribution: Zipfian},
	"b": {Name: "b", ReadProportion: 0.95, UpdateProportion: 0.05, RequestDistribution: Zipfian},
	"c": {Name: "c", ReadProportion: 1, RequestDistribution: Zipfian},
	"d": {Name: "d", ReadProportion: 0.95, InsertProportion: 0.05, RequestDistribution: Latest},
	"e": {Name: "e", ScanProportion: 0.95, InsertProportion: 0.05, RequestDistribution: Zipfian, ScanLengthDistribution: Uniform},
	"f": {Name: "f", ReadProportion: 0.5, RMWProportion: 0.5, RequestDistribution: Zipfian},
}

// LookupWorkload returns the workload named name (load or a-f, any case).
func LookupWorkload(name string) (Workload, error) {
	n := strings.ToLower(strings.TrimPrefix(strings.ToLower(name), "workload"))
	if n == "load" {
		return Load, nil
	}
	w, ok := CoreWorkloads[n]
	if !ok {
		return Workload{}, fmt.Errorf("ycsb: unknown workload %q (want load or a-f)", name)
	}
	return w, nil
}

// opChooser picks operation types by their shares, as YCSB's
// DiscreteGenerator.
type opChooser struct {
	cum [numOps]float64
}

func newOpChooser(w Workload) opChooser {
	var c opChooser
	shares := [numOps]float64{
		OpRead: w.ReadProportion, OpUpdate: w.UpdateProportion, OpInsert: w.InsertProportion,
		OpScan: w.ScanProportion, OpReadModifyWrite: w.RMWProportion,
	}
	var sum float64
	for _, s := range shares {
		sum += s
	}
	var acc float64
	for i, s := range shares {
		acc += s / sum
		c.cum[i] = acc
	}
	return c
}

func (c *opChooser) next(r *rand.Rand) Op {
	u := r.Float64()
	for i, v := range c.cum {
		if u < v {
			return Op(i)
		}
	}
	// Rounding left u above the last sum: take the last op with a share.
	for i := numOps - 1; i > 0; i-- {
		if c.cum[i] > c.cum[i-1] {
			return i
		}
	}
	return 0
}

// scanLength draws a scan length uniformly in [1, max].
func scanLength(r *rand.Rand, max int) int { return 1 + r.IntN(max) }
