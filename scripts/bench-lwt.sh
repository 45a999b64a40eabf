#!/usr/bin/env bash
# Lightweight transactions and counters beside plain writes, in one run:
# a 3-node cluster on 127.0.0.1-3 (GOMAXPROCS = cores / 3, rounded up, as
# wcdb cluster up does), RF 3, the statements at QUORUM and the Paxos at
# SERIAL, wcdb bench lwt's phases: write, lwt (uncontended CAS), contention
# (16 workers on one key) and counter. ROUNDS rounds, the phases in the
# same order each time, so that each ratio is read from one round.
#
#   scripts/bench-lwt.sh [--operations N] [--threads N] [--rounds N] [--commitlog-sync MODE]
#
# Prints the bench lines and writes JSON to ./bench-results/lwt-MODE-R.json.
# Needs the default ports (9042, 7000, 7946) free on 127.0.0.1-3. About
# a minute with the defaults.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
OPERATIONS=10000 THREADS=8 ROUNDS=2 SYNC=periodic
while [ $# -gt 0 ]; do
	case $1 in
	--operations) OPERATIONS=$2; shift 2 ;;
	--threads) THREADS=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--commitlog-sync) SYNC=$2; shift 2 ;;
	*) echo "usage: $0 [--operations N] [--threads N] [--rounds N] [--commitlog-sync periodic|batch|group]" >&2; exit 2 ;;
	esac
done
WORK=$(mktemp -d /tmp/wcdb-bench-lwt.XXXXXX)
RESULTS=$REPO/bench-results
mkdir -p "$RESULTS"
BIN=$WORK/wcdb
(cd "$REPO" && go build -o "$BIN" ./cmd/wcdb)

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

# start I [SEED]: node I on 127.0.0.I, waiting until it serves CQL.
start() {
	local i=$1 dir=$WORK/n$1
	mkdir -p "$dir"
	local args=(server --data-dir "$dir/data" --listen-address "127.0.0.$i" --ring-delay 1s --commitlog-sync "$SYNC")
	[ $# -gt 1 ] && args+=(--seeds "$2")
	GOMAXPROCS=$PROCS "$BIN" "${args[@]}" >"$dir/log" 2>&1 &
	pids+=($!)
	for _ in $(seq 1 300); do
		grep -q 'wcdb node started' "$dir/log" && return 0
		kill -0 "${pids[-1]}" 2>/dev/null || break
		sleep 0.1
	done
	echo "node $i did not start:" >&2
	tail -20 "$dir/log" >&2
	exit 1
}

PROCS=$((($(nproc) + 2) / 3))
start 1
start 2 127.0.0.1
start 3 127.0.0.1
for r in $(seq 1 "$ROUNDS"); do
	echo "== round $r, commit log $SYNC"
	"$BIN" bench lwt --hosts 127.0.0.1,127.0.0.2,127.0.0.3 --rf 3 --consistency QUORUM \
		--operations "$OPERATIONS" --threads "$THREADS" --quiet \
		--server-pids "$(IFS=,; echo "${pids[*]}")" --json "$RESULTS/lwt-$SYNC-$r.json"
done
