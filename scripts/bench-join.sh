#!/usr/bin/env bash
# The figures of growing a cluster, side by side in one run (a local
# cluster on 127.0.0.1-3, wcdb cluster up):
#
#  1. Streaming rate: one node loaded with --records YCSB records (1 KiB
#     each: 1.1M make over 1 GiB), throttle off; a second node joins.
#     Its bootstrap's bytes and seconds (from its log) against a plain cp
#     of the first node's SSTable directory; and the bytes streamed
#     against the share of the ring the new node took times the data size.
#  2. Workload A at a fixed target rate on the two nodes, without a join,
#     then the same while a third node joins at the default throttle
#     (24 MiB/s): throughput and p99 of each.
#
#   scripts/bench-join.sh [--records N] [--target OPS] [--threads N]
#
# Needs the default ports free on 127.0.0.1-3. Results go to
# ./bench-results/join-*.{json,txt}; a summary is printed at the end.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
RECORDS=1100000 TARGET=3000 THREADS=16 PHASE=40s
while [ $# -gt 0 ]; do
	case $1 in
	--records) RECORDS=$2; shift 2 ;;
	--target) TARGET=$2; shift 2 ;;
	--threads) THREADS=$2; shift 2 ;;
	--phase) PHASE=$2; shift 2 ;;
	*) echo "usage: $0 [--records N] [--target OPS] [--threads N] [--phase DURATION]" >&2; exit 2 ;;
	esac
done
WORK=$(mktemp -d /tmp/wcdb-bench-join.XXXXXX)
RESULTS=$REPO/bench-results
mkdir -p "$RESULTS"
BIN=$WORK/wcdb
(cd "$REPO" && go build -o "$BIN" ./cmd/wcdb)
DIR=$WORK/cluster
trap '"$BIN" cluster down --dir "$DIR" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT

log() { echo "== $(date +%T) $*"; }

log "one node, loading $RECORDS records"
"$BIN" cluster up --nodes 1 --dir "$DIR" >/dev/null
"$BIN" bench ycsb --hosts 127.0.0.1 --records "$RECORDS" --workloads load --threads "$THREADS" --quiet \
	--json "$RESULTS/join-load.json" | grep -E 'load|ops/s' | head -5
"$BIN" admin setstreamthroughput 0 >/dev/null
sleep 5 # let the last flush and compactions settle

# The cp baseline: node 1's data directory (SSTables, manifests), copied
# the way an operator would move it, page cache warm from the load.
DATA=$DIR/node1/data/data
SIZE=$(du -sb "$DATA" | cut -f1)
sync
CP0=$(date +%s.%N)
cp -r "$DATA" "$WORK/cp-copy"
sync
CP1=$(date +%s.%N)
rm -rf "$WORK/cp-copy"

log "node 2 joins (throttle off)"
J0=$(date +%s.%N)
"$BIN" cluster up --nodes 2 --dir "$DIR" | grep -E 'node2' || true
J1=$(date +%s.%N)
LINE=$(grep 'bootstrap: every range fetched' "$DIR/node2/wcdb.log" | tail -1)
BYTES=$(sed -E 's/.* bytes=([0-9]+).*/\1/' <<<"$LINE")
SECS=$(sed -E 's/.* seconds=([0-9.e-]+).*/\1/' <<<"$LINE")
OWN=$("$BIN" admin status --json --keyspace ycsb | python3 -c '
import json, sys
st = json.load(sys.stdin)
print([n["ownership"] for n in st["nodes"] if n["address"] == "127.0.0.2"][0])')

log "workload A at $TARGET ops/s on two nodes, no join"
"$BIN" bench ycsb --hosts 127.0.0.1,127.0.0.2 --records "$RECORDS" --workloads a --operations 0 \
	--duration "$PHASE" --threads "$THREADS" --target "$TARGET" --quiet --json "$RESULTS/join-a-steady.json" >"$RESULTS/join-a-steady.txt"
log "workload A at $TARGET ops/s while node 3 joins (default throttle, 24 MiB/s)"
"$BIN" admin setstreamthroughput 24 >/dev/null
"$BIN" admin setstreamthroughput --host 127.0.0.2 24 >/dev/null
"$BIN" bench ycsb --hosts 127.0.0.1,127.0.0.2 --records "$RECORDS" --workloads a --operations 0 \
	--duration "$PHASE" --threads "$THREADS" --target "$TARGET" --quiet --json "$RESULTS/join-a-join.json" >"$RESULTS/join-a-join.txt" &
BENCH=$!
sleep 5
K0=$(date +%s.%N)
"$BIN" cluster up --nodes 3 --dir "$DIR" | grep -E 'node3' || true
K1=$(date +%s.%N)
wait $BENCH

python3 - "$SIZE" "$CP0" "$CP1" "$J0" "$J1" "$BYTES" "$SECS" "$OWN" "$K0" "$K1" "$RESULTS" <<'EOF' | tee "$RESULTS/join-summary.txt"
import json, sys
size, cp0, cp1, j0, j1, nbytes, secs, own, k0, k1, res = sys.argv[1:]
size, nbytes, own = int(size), int(nbytes), float(own)
cp = float(cp1) - float(cp0)
secs = float(secs)
mib = 1 << 20
print(f"node 1 data: {size/mib:.0f} MiB; cp -r of it: {cp:.2f} s = {size/mib/cp:.0f} MiB/s")
print(f"node 2 join: {float(j1)-float(j0):.1f} s in all; its bootstrap streamed {nbytes/mib:.0f} MiB in {secs:.2f} s = {nbytes/mib/secs:.0f} MiB/s")
print(f"streaming rate / cp rate: {(nbytes/secs)/(size/cp):.2f}x")
print(f"node 2 took {own*100:.1f}% of the ring: bytes streamed / (share x data) = {nbytes/(own*size):.2f}")
def phase(name):
    r = json.load(open(f"{res}/join-a-{name}.json"))
    return r
for name in ("steady", "join"):
    print(f"--- workload A, {name}:")
    print(open(f"{res}/join-a-{name}.txt").read().strip())
print(f"node 3 join took {float(k1)-float(k0):.1f} s (during the second A phase)")
EOF
