#!/usr/bin/env bash
# Issue 22's figures, side by side in one run: wcdb bench engine with
# compressible values (-values text) in 16 KiB blocks, once per codec:
# wcdb with lz4, snappy, zstd, deflate and none, Pebble with snappy and
# zstd (cgo's DataDog/zstd, as Pebble ships it), on workloads load, c and
# slice; then the CPU of decoding one 16 KiB block of the same records with
# each codec (bench/engine BenchmarkBlockDecode, one core).
#
#   scripts/bench-codecs.sh [--records N] [--operations N] [--slice-rows N]
#
# Prints one table: ops/s per workload; space amp (live SSTable bytes ÷ user
# bytes) after load has settled, and after slice-load (both tables); decode
# µs per block and the block's compressed ÷ raw size. JSON results go to
# ./bench-results/codecs-ENGINE-CODEC.json. About 4 minutes with the
# defaults on 2 cores. Runs are one process each, one after the other:
# on a shared machine, compare figures of one run of this script only.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
RECORDS=200000 OPERATIONS=100000 SLICE_ROWS=5000
while [ $# -gt 0 ]; do
	case $1 in
	--records) RECORDS=$2; shift 2 ;;
	--operations) OPERATIONS=$2; shift 2 ;;
	--slice-rows) SLICE_ROWS=$2; shift 2 ;;
	*) echo "usage: $0 [--records N] [--operations N] [--slice-rows N]" >&2; exit 2 ;;
	esac
done
WORK=$(mktemp -d /tmp/wcdb-bench-codecs.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
RESULTS=$REPO/bench-results
mkdir -p "$RESULTS"
BIN=$WORK/wcdb
(cd "$REPO" && go build -o "$BIN" ./cmd/wcdb)
RUNS="wcdb:lz4 pebble:snappy wcdb:snappy pebble:zstd wcdb:zstd wcdb:deflate wcdb:none"
for run in $RUNS; do
	engine=${run%%:*} codec=${run#*:}
	echo "== $engine $codec" >&2
	"$BIN" bench engine -dir "$WORK" -engines "$engine" -compression "$codec" -values text \
		-block-size 16384 -workloads load,c,slice -records "$RECORDS" -operations "$OPERATIONS" \
		-slice-rows "$SLICE_ROWS" -json >"$RESULTS/codecs-$engine-$codec.json" 2>"$WORK/$engine-$codec.log" ||
		{ cat "$WORK/$engine-$codec.log" >&2; exit 1; }
done
echo "== block decode" >&2
(cd "$REPO" && go test ./bench/engine -run '^$' -bench BlockDecode -benchtime 2000x) >"$RESULTS/codecs-decode.txt"
python3 - "$RESULTS" "$RUNS" <<'PY'
import json, re, sys
res, runs = sys.argv[1], sys.argv[2].split()
decode = {}
for line in open(f"{res}/codecs-decode.txt"):
    m = re.match(r"BenchmarkBlockDecode/text/(\w+)/(\w+)-\d+\s+\d+\s+([\d.]+) ns/op.*?([\d.]+) ratio", line)
    if m:
        decode[(m[1], m[2])] = (float(m[3]) / 1000, float(m[4]))
head = ["engine", "codec", "load ops/s", "c ops/s", "slice ops/s", "space amp load", "space amp +slice", "decode µs/block", "block ratio"]
rows = [head]
for run in runs:
    engine, codec = run.split(":")
    r = {}
    for line in open(f"{res}/codecs-{engine}-{codec}.json"):
        x = json.loads(line)
        r[x["workload"]] = x
    us, ratio = decode.get((engine, codec), (float("nan"), float("nan")))
    rows.append([engine, codec, f"{r['load']['ops_per_sec']:.0f}", f"{r['c']['ops_per_sec']:.0f}",
                 f"{r['slice']['ops_per_sec']:.0f}", f"{r['c']['space_amp']:.3f}", f"{r['slice']['space_amp']:.3f}",
                 f"{us:.2f}", f"{ratio:.3f}"])
w = [max(len(row[i]) for row in rows) for i in range(len(head))]
for row in rows:
    print("  ".join(c.rjust(w[i]) for i, c in enumerate(row)))
PY
echo "records $RECORDS (10 fields x 100 B of text), operations $OPERATIONS, slice 20 x $SLICE_ROWS rows; 16 KiB blocks; memtable and cache 64 MiB; 2 threads; $(nproc) cores"
