#!/usr/bin/env bash
# Side by side in one run: YCSB load + A against a single node, a 3-node
# cluster at RF 1 (token-aware routing: requests land on their replica) and
# the same cluster at RF 3 QUORUM — the cluster issue's throughput ratios.
# Nodes run on 127.0.0.1-3 with the default ports, gossip timings of a LAN;
# the three split the machine's cores (GOMAXPROCS = cores / 3, rounded up,
# as wcdb cluster up does) and the single node has them all.
#
#   scripts/bench-cluster.sh [--records N] [--operations N] [--threads N]
#                            [--bin PATH] [--profile-dir DIR]
#
# --bin runs a wcdb binary already built (an older one, for a before/after
# comparison) instead of building the repo's; --profile-dir writes each
# node's CPU profile there (DIR/{single,n1,n2,n3}.pprof; off by default).
#
# Prints the bench lines of each phase and writes JSON results to
# ./bench-results/cluster-{single,rf1,rf3}.json. Needs the default ports
# (9042, 7000, 7946) free on 127.0.0.1-3. About 2 minutes with the defaults.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
RECORDS=100000 OPERATIONS=100000 THREADS=16 PREBUILT= PROFILES=
while [ $# -gt 0 ]; do
	case $1 in
	--records) RECORDS=$2; shift 2 ;;
	--operations) OPERATIONS=$2; shift 2 ;;
	--threads) THREADS=$2; shift 2 ;;
	--bin) PREBUILT=$(realpath "$2"); shift 2 ;;
	--profile-dir) PROFILES=$(realpath "$2"); shift 2 ;;
	*) echo "usage: $0 [--records N] [--operations N] [--threads N] [--bin PATH] [--profile-dir DIR]" >&2; exit 2 ;;
	esac
done
WORK=$(mktemp -d /tmp/wcdb-bench-cluster.XXXXXX)
RESULTS=$REPO/bench-results
mkdir -p "$RESULTS"
BIN=$WORK/wcdb
if [ -n "$PREBUILT" ]; then
	BIN=$PREBUILT
else
	(cd "$REPO" && go build -o "$BIN" ./cmd/wcdb)
fi
[ -n "$PROFILES" ] && mkdir -p "$PROFILES"

pids=()
stop_all() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do
		for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
	done
	pids=()
}
trap 'stop_all; rm -rf "$WORK"' EXIT

# start I [SEED]: node I on 127.0.0.I, waiting until it serves CQL. PROCS,
# if set, is its GOMAXPROCS; PROFILE names its CPU profile in --profile-dir.
start() {
	local i=$1 dir=$WORK/n$1
	mkdir -p "$dir"
	# ring_delay 1s: gossip on one machine spreads in milliseconds.
	local args=(server --data-dir "$dir/data" --listen-address "127.0.0.$i" --ring-delay 1s)
	[ $# -gt 1 ] && args+=(--seeds "$2")
	[ -n "$PROFILES" ] && args+=(--cpuprofile "$PROFILES/${PROFILE:-n$i}.pprof")
	if [ -n "${PROCS:-}" ]; then
		GOMAXPROCS=$PROCS "$BIN" "${args[@]}" >"$dir/log" 2>&1 &
	else
		"$BIN" "${args[@]}" >"$dir/log" 2>&1 &
	fi
	pids+=($!)
	for _ in $(seq 1 300); do
		grep -q 'serving CQL' "$dir/log" && return 0
		kill -0 "${pids[-1]}" 2>/dev/null || break
		sleep 0.1
	done
	echo "node $i did not start:" >&2
	tail -20 "$dir/log" >&2
	exit 1
}

# bench NAME HOSTS RF CL KEYSPACE
bench() {
	echo "== $1: hosts $2, RF $3, $4"
	"$BIN" bench ycsb --hosts "$2" --rf "$3" --consistency "$4" --keyspace "$5" \
		--records "$RECORDS" --operations "$OPERATIONS" --threads "$THREADS" --workloads load,a \
		--server-pids "$(IFS=,; echo "${pids[*]}")" --json "$RESULTS/cluster-$1.json" 2>&1 |
		grep -vE '^ycsb [a-z]+ +[0-9]+s:'
}

PROFILE=single start 1
bench single 127.0.0.1 1 ONE ycsb
stop_all
rm -rf "$WORK"/n*

PROCS=$((($(nproc) + 2) / 3))
start 1
start 2 127.0.0.1
start 3 127.0.0.1
bench rf1 127.0.0.1,127.0.0.2,127.0.0.3 1 ONE ycsb
bench rf3 127.0.0.1,127.0.0.2,127.0.0.3 3 QUORUM ycsb3
