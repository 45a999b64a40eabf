#!/usr/bin/env bash
# The security issue's figure, side by side in one run: YCSB load and C
# against a 3-node cluster (RF 3, QUORUM) in plaintext and with TLS for
# clients, mutual TLS between nodes and encrypted gossip, in alternating
# rounds (plain, tls, plain, tls, ...) so that the machine's drift falls on
# both. Nodes run on 127.0.0.1-3 with the default ports; each has
# GOMAXPROCS = cores / 3, rounded up, as wcdb cluster up does.
#
#   scripts/bench-tls.sh [--records N] [--operations N] [--threads N] [--rounds N]
#
# Prints each phase's bench line and, at the end, the throughput ratios
# (TLS ÷ plaintext, median of the rounds); JSON results go to
# ./bench-results/tls-{plain,tls}-R.json. Needs the default ports free on
# 127.0.0.1-3. About 3 minutes with the defaults.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
RECORDS=100000 OPERATIONS=100000 THREADS=16 ROUNDS=2
while [ $# -gt 0 ]; do
	case $1 in
	--records) RECORDS=$2; shift 2 ;;
	--operations) OPERATIONS=$2; shift 2 ;;
	--threads) THREADS=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	*) echo "usage: $0 [--records N] [--operations N] [--threads N] [--rounds N]" >&2; exit 2 ;;
	esac
done
WORK=$(mktemp -d /tmp/wcdb-bench-tls.XXXXXX)
RESULTS=$REPO/bench-results
mkdir -p "$RESULTS"
BIN=$WORK/wcdb
(cd "$REPO" && go build -o "$BIN" ./cmd/wcdb)
"$BIN" tls gen --dir "$WORK/tls" --nodes 3 >/dev/null
KEY=$(head -c 32 /dev/urandom | base64)
for i in 1 2 3; do
	cat >"$WORK/tls/node$i.yaml" <<YAML
client_encryption_options:
  enabled: true
  keystore: $WORK/tls/node$i.pem
  truststore: $WORK/tls/ca.pem
server_encryption_options:
  internode_encryption: all
  keystore: $WORK/tls/node$i.pem
  truststore: $WORK/tls/ca.pem
gossip_encryption_key: [$KEY]
YAML
done

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
PROCS=$((($(nproc) + 2) / 3))

# start MODE I [SEED]: node I on 127.0.0.I, waiting until it serves CQL.
start() {
	local mode=$1 i=$2 dir=$WORK/n$2
	mkdir -p "$dir"
	local args=(server --data-dir "$dir/data" --listen-address "127.0.0.$i" --ring-delay 1s)
	[ "$mode" = tls ] && args+=(--config "$WORK/tls/node$i.yaml")
	[ $# -gt 2 ] && args+=(--seeds "$3")
	GOMAXPROCS=$PROCS "$BIN" "${args[@]}" >"$dir/log" 2>&1 &
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

for r in $(seq 1 "$ROUNDS"); do
	for mode in plain tls; do
		start $mode 1
		start $mode 2 127.0.0.1
		start $mode 3 127.0.0.1
		ssl=()
		[ "$mode" = tls ] && ssl=(--ssl-ca "$WORK/tls/ca.pem")
		echo "== round $r, $mode: RF 3, QUORUM"
		"$BIN" bench ycsb --hosts 127.0.0.1,127.0.0.2,127.0.0.3 --rf 3 --consistency QUORUM "${ssl[@]}" \
			--records "$RECORDS" --operations "$OPERATIONS" --threads "$THREADS" --workloads load,c \
			--label "$mode" --json "$RESULTS/tls-$mode-$r.json" 2>&1 | grep -vE '^ycsb [a-z]+ +[0-9]+s:'
		stop_all
		rm -rf "$WORK"/n*
	done
done

# The ratios: median over the rounds of TLS ÷ plaintext, per phase.
python3 - "$RESULTS" "$ROUNDS" <<'PY'
import json, statistics, sys
res, rounds = sys.argv[1], int(sys.argv[2])
def ops(mode, r):
    d = json.load(open(f"{res}/tls-{mode}-{r}.json"))
    return {p["name"]: p["throughput_ops_s"] for p in d["phases"]}
ratios = {}
for r in range(1, rounds + 1):
    p, t = ops("plain", r), ops("tls", r)
    for w in p:
        ratios.setdefault(w, []).append(t[w] / p[w])
for w, rs in ratios.items():
    print(f"{w}: TLS / plaintext = {statistics.median(rs):.2f} (rounds: {', '.join(f'{x:.2f}' for x in rs)})")
PY
