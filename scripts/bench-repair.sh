#!/usr/bin/env bash
# The figures of anti-entropy repair, side by side in one run: three nodes
# on 127.0.0.1-3 (default ports), hinted handoff off, the scheduler off.
#
#  1. Divergence: --records YCSB records (1 KiB each) at RF 3; node 3 is
#     stopped while workload A runs --updates operations (half of them
#     updates: about 1% of the records when --updates is 2% of them); node
#     3 back, wcdb admin repair on it: the repair's time, and what it
#     exchanged (tree hashes, listings, streams) against the size of the
#     partitions that had to move.
#  2. Identical replicas: the same repair again: what it exchanged
#     against the data it compared.
#  3. Workload A at a fixed target rate, without a repair, then while
#     node 1 repairs ycsb over and over: throughput and p99 of each.
#
#   scripts/bench-repair.sh [--records N] [--updates N] [--target OPS] [--threads N] [--phase DURATION]
#                           [--repair-throughput RATE]   (repair.throughput, 16MiB by default)
#
# Results go to ./bench-results/repair-*.{json,txt}; a summary is printed
# at the end.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
RECORDS=1000000 UPDATES=20000 TARGET=2000 THREADS=16 PHASE=40s RTHROUGHPUT=16MiB
while [ $# -gt 0 ]; do
	case $1 in
	--records) RECORDS=$2; shift 2 ;;
	--updates) UPDATES=$2; shift 2 ;;
	--target) TARGET=$2; shift 2 ;;
	--threads) THREADS=$2; shift 2 ;;
	--phase) PHASE=$2; shift 2 ;;
	--repair-throughput) RTHROUGHPUT=$2; shift 2 ;;
	*) echo "usage: $0 [--records N] [--updates N] [--target OPS] [--threads N] [--phase DURATION] [--repair-throughput RATE]" >&2; exit 2 ;;
	esac
done
WORK=$(mktemp -d /tmp/wcdb-bench-repair.XXXXXX)
RESULTS=$REPO/bench-results
mkdir -p "$RESULTS"
BIN=$WORK/wcdb
(cd "$REPO" && go build -o "$BIN" ./cmd/wcdb)
cat >"$WORK/wcdb.yaml" <<EOF
hinted_handoff_enabled: false
repair:
  scheduler: false
  throughput: $RTHROUGHPUT
EOF
PIDS=()
stop_all() {
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap 'stop_all; rm -rf "$WORK"' EXIT

log() { echo "== $(date +%T) $*"; }

# start I: node I on 127.0.0.I, node 1 its seed; waits until it serves CQL.
start() {
	local i=$1 seed=()
	[ "$i" != 1 ] && seed=(--seeds 127.0.0.1)
	"$BIN" server --config "$WORK/wcdb.yaml" --data-dir "$WORK/node$i" --listen-address "127.0.0.$i" \
		"${seed[@]}" >>"$WORK/node$i.log" 2>&1 &
	PIDS[$i]=$!
	for _ in $(seq 600); do
		grep -q 'serving CQL' "$WORK/node$i.log" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "node $i did not start:" >&2
	tail -20 "$WORK/node$i.log" >&2
	exit 1
}

log "three nodes"
for i in 1 2 3; do start "$i"; done
sleep 3
log "loading $RECORDS records at RF 3 (QUORUM)"
"$BIN" bench ycsb --hosts 127.0.0.1,127.0.0.2,127.0.0.3 --rf 3 --consistency QUORUM --records "$RECORDS" \
	--workloads load --threads "$THREADS" --quiet --json "$RESULTS/repair-load.json" | grep -E 'load|ops/s' | head -3

log "node 3 down; workload A, $UPDATES operations at QUORUM on nodes 1-2"
kill "${PIDS[3]}"
wait "${PIDS[3]}" 2>/dev/null || true
PIDS[3]=
sleep 8 # seen down
"$BIN" bench ycsb --hosts 127.0.0.1,127.0.0.2 --consistency QUORUM --records "$RECORDS" --workloads a \
	--operations "$UPDATES" --threads "$THREADS" --quiet >/dev/null
start 3
sleep 5

log "repair on node 3"
R0=$(date +%s.%N)
"$BIN" admin repair --host 127.0.0.3 --json ycsb >"$RESULTS/repair-divergent.json"
R1=$(date +%s.%N)
log "repair on node 3 again (identical replicas)"
"$BIN" admin repair --host 127.0.0.3 --json ycsb >"$RESULTS/repair-identical.json"

log "workload A at $TARGET ops/s, no repair"
"$BIN" bench ycsb --hosts 127.0.0.1,127.0.0.2,127.0.0.3 --consistency QUORUM --records "$RECORDS" --workloads a \
	--operations 0 --duration "$PHASE" --threads "$THREADS" --target "$TARGET" --quiet \
	--json "$RESULTS/repair-a-steady.json" >"$RESULTS/repair-a-steady.txt"
log "workload A at $TARGET ops/s while node 1 repairs ycsb again and again"
"$BIN" bench ycsb --hosts 127.0.0.1,127.0.0.2,127.0.0.3 --consistency QUORUM --records "$RECORDS" --workloads a \
	--operations 0 --duration "$PHASE" --threads "$THREADS" --target "$TARGET" --quiet \
	--json "$RESULTS/repair-a-repair.json" >"$RESULTS/repair-a-repair.txt" &
BENCH=$!
REPAIRS=0
while kill -0 "$BENCH" 2>/dev/null; do
	"$BIN" admin repair --host 127.0.0.1 ycsb >/dev/null 2>&1 && REPAIRS=$((REPAIRS + 1))
done
wait "$BENCH"

python3 - "$RESULTS" "$R0" "$R1" "$REPAIRS" <<'PY'
import json, sys
res, r0, r1, repairs = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
d = json.load(open(f"{res}/repair-divergent.json"))
i = json.load(open(f"{res}/repair-identical.json"))
ex = d["tree_bytes"] + d["stream_bytes"]
print(f"divergent: {d['differing_partitions']} of {d['partitions']} partitions differed on node 3 "
      f"({d['diff_bytes']/2**20:.1f} MiB of them moved); repair {r1-r0:.1f} s wall ({d['duration_seconds']:.1f} s in the node)")
print(f"  exchanged {ex/2**20:.2f} MiB = {d['tree_bytes']/2**20:.2f} MiB trees and listings + "
      f"{d['stream_bytes']/2**20:.2f} MiB streams: {ex/max(d['diff_bytes'],1):.2f}x the difference")
print(f"identical: exchanged {i['tree_bytes']/2**10:.1f} KiB for {i['data_bytes']/2**20:.1f} MiB compared: "
      f"{100*i['tree_bytes']/max(i['data_bytes'],1):.4f}% ({i['duration_seconds']:.1f} s)")
def run(name):
    j = json.load(open(f"{res}/{name}.json"))
    return [p for p in j["phases"] if p["name"] == "a"][0]
a, b = run("repair-a-steady"), run("repair-a-repair")
def p99(ph):
    return max(o["latency"]["p99_us"] for o in ph["ops"].values()) / 1000
print(f"workload A at {a['target_ops_s']:.0f} ops/s: {b['throughput_ops_s']:.0f} ops/s during repairs ({repairs} full "
      f"repairs of ycsb from node 1) vs {a['throughput_ops_s']:.0f} without: {b['throughput_ops_s']/a['throughput_ops_s']:.2f}x; "
      f"p99 {p99(b):.1f} ms vs {p99(a):.1f} ms")
PY
