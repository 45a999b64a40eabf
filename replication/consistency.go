package replication

import "wcdb/ring"

// requirement is what a consistency level asks of one token's replicas:
// how many acknowledgements, counted from which replicas. It is pure: the
// coordinator feeds it the replicas' datacenters and answers.
type requirement struct {
	cl      Consistency
	localDC string
	// need is the acknowledgements required in all (in localDC alone for
	// the LOCAL_ levels); perDC, for EACH_QUORUM, per datacenter.
	need  int
	perDC map[string]int
}

// newRequirement returns what cl needs of a token replicated by st.
// replicas are the token's replicas with their datacenters (dcOf).
func newRequirement(cl Consistency, st Strategy, localDC string, replicas []ring.NodeID, dcOf func(ring.NodeID) string) requirement {
	r := requirement{cl: cl, localDC: localDC}
	// As Cassandra's blockFor: levels count against the factors the
	// keyspace asks for, not the replicas the ring happens to yield (RF 3
	// on one node: QUORUM needs 2 and is unavailable).
	total := totalFactor(st, replicas, dcOf)
	switch cl {
	case Any, One, LocalOne:
		r.need = 1
	case Two:
		r.need = 2
	case Three:
		r.need = 3
	case Quorum, Serial:
		r.need = total/2 + 1
	case All:
		r.need = total
	case LocalQuorum, LocalSerial:
		r.need = localFactor(st, localDC, replicas, dcOf)/2 + 1
	case EachQuorum:
		if _, ok := st.(*NetworkTopologyStrategy); !ok {
			// Cassandra treats EACH_QUORUM as QUORUM without datacenters.
			r.cl, r.need = Quorum, total/2+1
			break
		}
		r.perDC = map[string]int{}
		for dc, f := range dcFactors(st, replicas, dcOf) {
			if f > 0 {
				r.perDC[dc] = f/2 + 1
				r.need += f/2 + 1
			}
		}
	default:
		r.need = total
	}
	return r
}

// localFactor is the replication factor in dc: the strategy's for
// NetworkTopologyStrategy, else its whole factor (SimpleStrategy ignores
// datacenters; Cassandra then counts its whole factor, which a
// multi-datacenter cluster may not meet locally).
func localFactor(st Strategy, dc string, replicas []ring.NodeID, dcOf func(ring.NodeID) string) int {
	if _, ok := st.(*NetworkTopologyStrategy); ok {
		return st.Factor(dc)
	}
	return st.Factor("")
}

// totalFactor is the sum of dcFactors, without building the map for the
// strategies that have one factor.
func totalFactor(st Strategy, replicas []ring.NodeID, dcOf func(ring.NodeID) string) int {
	nts, ok := st.(*NetworkTopologyStrategy)
	if !ok {
		return st.Factor("")
	}
	if nts.def <= 0 {
		total := 0
		for _, f := range nts.factors {
			total += f.rf
		}
		return total
	}
	total := 0
	for _, f := range dcFactors(st, replicas, dcOf) {
		total += f
	}
	return total
}

// dcFactors returns the factor per datacenter: for NetworkTopologyStrategy
// each named datacenter's and, for a replication_factor default, that of
// every datacenter holding a replica; for the others one entry ("") with
// the whole factor.
func dcFactors(st Strategy, replicas []ring.NodeID, dcOf func(ring.NodeID) string) map[string]int {
	nts, ok := st.(*NetworkTopologyStrategy)
	if !ok {
		return map[string]int{"": st.Factor("")}
	}
	out := map[string]int{}
	for _, f := range nts.factors {
		out[f.dc] = f.rf
	}
	for _, id := range replicas {
		if dc := dcOf(id); out[dc] == 0 {
			out[dc] = nts.Factor(dc)
		}
	}
	return out
}

// addPending raises the requirement of a write by the pending replicas
// (those the token gains once the range movements in progress complete)
// that count, as Cassandra's ConsistencyLevel.blockForWrite: every one for
// the levels counted over all datacenters, the local datacenter's for the
// LOCAL_ levels, each datacenter's to its own quorum for EACH_QUORUM. A
// write then still meets the level on the replicas the range will have
// once the movement completes, whichever of them the movement leaves. ANY
// is unchanged (Cassandra's too): a hint meets it anyway.
func (r *requirement) addPending(pending []ring.NodeID, dcOf func(ring.NodeID) string) {
	if r.cl == Any {
		return
	}
	for _, id := range pending {
		dc := dcOf(id)
		switch {
		case r.perDC != nil:
			r.perDC[dc]++
			r.need++
		case r.counts(dc):
			r.need++
		}
	}
}

// dropPending undoes addPending for one pending replica in dc (one that
// could not be reached: see ErrNotDelivered).
func (r *requirement) dropPending(dc string) {
	if r.cl == Any {
		return
	}
	switch {
	case r.perDC != nil:
		r.perDC[dc]--
		r.need--
	case r.counts(dc):
		r.need--
	}
}

// counts reports whether an answer from a replica in dc counts toward the
// level.
func (r *requirement) counts(dc string) bool {
	switch r.cl {
	case LocalOne, LocalQuorum, LocalSerial:
		return dc == r.localDC
	case EachQuorum:
		return r.perDC[dc] > 0
	}
	return true
}

// available reports whether the live replicas, natural and pending, can
// meet the level, and how many of them count (for Unavailable's "alive").
func (r *requirement) available(live, pending []ring.NodeID, dcOf func(ring.NodeID) string) (ok bool, alive int) {
	if r.perDC != nil {
		got := map[string]int{}
		for _, ids := range [...][]ring.NodeID{live, pending} {
			for _, id := range ids {
				got[dcOf(id)]++
			}
		}
		ok = true
		for dc, n := range r.perDC {
			alive += min(got[dc], n)
			if got[dc] < n {
				ok = false
			}
		}
		return ok, alive
	}
	for _, ids := range [...][]ring.NodeID{live, pending} {
		for _, id := range ids {
			if r.counts(dcOf(id)) {
				alive++
			}
		}
	}
	return alive >= r.need, alive
}

// tally counts acknowledgements against a requirement.
type tally struct {
	r     *requirement
	got   int
	gotDC map[string]int
}

// add counts an acknowledgement from a replica in dc (if it counts) and
// reports whether the level is met.
func (t *tally) add(dc string) bool {
	if t.r.counts(dc) {
		if t.r.perDC != nil {
			if t.gotDC == nil {
				t.gotDC = map[string]int{}
			}
			if t.gotDC[dc] < t.r.perDC[dc] {
				t.gotDC[dc]++
				t.got++
			}
		} else {
			t.got++
		}
	}
	return t.met()
}

func (t *tally) met() bool { return t.got >= t.r.need }
