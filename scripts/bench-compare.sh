#!/usr/bin/env bash
# bench-compare.sh: benchmark wcdb against PostgreSQL and Redis on this
# machine and write the report.
#
#   scripts/bench-compare.sh [--quick] [--results DIR] [--report FILE] [--charts DIR] [--keep]
#
# On a Debian machine: installs postgresql and redis-server from Debian's
# packages if they are missing (apt-get; needs root or sudo), builds wcdb
# (needs the Go toolchain go.mod names), and then, one database at a time,
# alone on the machine:
#
#   wcdb        a node of its own (temporary data directory, CQL on
#               127.0.0.1, commit log sync periodic every 10 s, the default)
#   wcdb-3node  a cluster of three such nodes on 127.0.0.1-3, splitting the
#               cores (GOMAXPROCS cores/3, rounded up, as wcdb cluster up
#               does), keyspace RF 3, every statement at QUORUM
#   PostgreSQL  a cluster of its own (initdb in a temporary directory,
#               127.0.0.1 only, synchronous_commit=off, other settings the
#               defaults)
#   Redis       a server of its own (127.0.0.1 only, appendonly yes,
#               appendfsync everysec, no RDB snapshots)
#
# it starts the server, runs `wcdb bench ycsb` (load, a, b, c, f, d, e) and
# `wcdb bench timeline` (load, timeline, timeline-reads) against it with the
# same client settings, and stops it. The order is wcdb, wcdb-3node,
# PostgreSQL, Redis. The single node also runs workload A again at a
# target of 80% of the throughput it reached flat out (its latency there
# is the one the targets speak of).
# The servers the distribution's packages may run (a "main" PostgreSQL
# cluster, the redis-server service) are neither used nor touched; every
# process this script starts is stopped on exit, its data removed (--keep
# keeps the temporary directory).
#
# Results (JSON, logs, the commands run) go to --results DIR (default
# $TMPDIR/wcdb-bench-results, emptied of earlier results first); then
# `wcdb bench report` writes the Markdown and the PNG charts: by default
# docs/BENCHMARKS.md and docs/bench/ for a full run, and DIR/BENCHMARKS.md
# and DIR/charts/ for --quick, so that a smoke run leaves docs/ alone.
#
# Time: --quick (a CI smoke: small data, 4-second phases) takes under 5
# minutes; the full run (500,000 records, 30-second phases) under 30.
#
# The cluster needs 127.0.0.2 and 127.0.0.3 (Linux routes all of
# 127.0.0.0/8 to loopback).

set -euo pipefail

usage() {
	sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"
	exit "${1:-0}"
}

QUICK=0
KEEP=0
RESULTS=""
REPORT=""
CHARTS=""
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1 ;;
	--keep) KEEP=1 ;;
	--results) RESULTS="$2"; shift ;;
	--report) REPORT="$2"; shift ;;
	--charts) CHARTS="$2"; shift ;;
	-h | --help) usage 0 ;;
	*) echo "bench-compare: unknown argument $1" >&2; usage 2 ;;
	esac
	shift
done

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [ "$QUICK" = 1 ]; then
	RECORDS=10000
	PHASE=4s
	USERS=2000
	FOLLOWS=20
	POSTS=4000
	POST_RATE=50
	STEP_TIMEOUT=120
else
	RECORDS=500000
	PHASE=30s
	USERS=10000
	FOLLOWS=20
	POSTS=30000
	POST_RATE=100
	STEP_TIMEOUT=600
fi
THREADS=8

log() { printf '%s bench-compare: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "$*"; exit 1; }

# --- packages --------------------------------------------------------------

SUDO=""
if [ "$(id -u)" != 0 ]; then
	SUDO="sudo"
fi
pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
missing=()
[ -n "$(pg_bindir)" ] && [ -x "$(pg_bindir)/initdb" ] || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]} from Debian's packages"
	$SUDO apt-get update -q
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi
PG_BIN="$(pg_bindir)"
[ -x "$PG_BIN/initdb" ] || die "no initdb under /usr/lib/postgresql/*/bin"
command -v go >/dev/null || die "no go on PATH: install the Go toolchain go.mod asks for"

# --- work directory, ports, cleanup ------------------------------------------

WORK="$(mktemp -d /tmp/wcdb-bench.XXXXXX)"
chmod 755 "$WORK" # the postgres user reaches its cluster's directory through it
if [ -z "$RESULTS" ]; then
	RESULTS="${TMPDIR:-/tmp}/wcdb-bench-results"
fi
mkdir -p "$RESULTS"
RESULTS="$(cd "$RESULTS" && pwd)"
rm -f "$RESULTS"/*.json "$RESULTS/commands.txt"
if [ -z "$REPORT" ]; then
	if [ "$QUICK" = 1 ]; then REPORT="$RESULTS/BENCHMARKS.md"; else REPORT="$REPO/docs/BENCHMARKS.md"; fi
fi
if [ -z "$CHARTS" ]; then
	if [ "$QUICK" = 1 ]; then CHARTS="$RESULTS/charts"; else CHARTS="$REPO/docs/bench"; fi
fi

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
	local p=$1
	while ! port_free "$p"; do p=$((p + 1)); done
	echo "$p"
}
# Ports the cluster's nodes share on 127.0.0.1-3.
port_free_all() { for h in 1 2 3; do ! (exec 3<>"/dev/tcp/127.0.0.$h/$1") 2>/dev/null || return 1; done; }
free_port_all() {
	local p=$1
	while ! port_free_all "$p"; do p=$((p + 1)); done
	echo "$p"
}
WCDB_PORT=$(free_port_all 19042)
GOSSIP_PORT=$(free_port_all 17946)
INTERNODE_PORT=$(free_port_all 17000)
PG_PORT=$(free_port 15432)
REDIS_PORT=$(free_port 16379)

# As root, PostgreSQL runs as the postgres user its package created.
as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

WCDB_PID=""
CLUSTER_PIDS=()
REDIS_PID=""
PG_DATA=""
stop_wcdb() {
	if [ -n "$WCDB_PID" ]; then
		kill -TERM "$WCDB_PID" 2>/dev/null || true
		wait "$WCDB_PID" 2>/dev/null || true
		WCDB_PID=""
	fi
}
stop_cluster() {
	local p
	for p in "${CLUSTER_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${CLUSTER_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	CLUSTER_PIDS=()
}
stop_redis() {
	if [ -n "$REDIS_PID" ]; then
		kill -TERM "$REDIS_PID" 2>/dev/null || true
		wait "$REDIS_PID" 2>/dev/null || true
		REDIS_PID=""
	fi
}
stop_pg() {
	if [ -n "$PG_DATA" ]; then
		as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
		PG_DATA=""
	fi
}
cleanup() {
	local rc=$?
	stop_wcdb
	stop_cluster
	stop_pg
	stop_redis
	if [ "$KEEP" = 1 ]; then
		log "kept $WORK"
	else
		rm -rf "$WORK"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# note appends a command to those the report quotes, with the temporary
# and results directories written as $WORK and $RESULTS; record also runs
# it, record_pg as PostgreSQL's user.
note() {
	local line=""
	for a in "$@"; do line+="$(printf '%q ' "$a")"; done
	printf '%s\n' "${line% }" | sed "s#$WORK#\$WORK#g; s#$RESULTS#\$RESULTS#g; s#$REPO/##g" >>"$RESULTS/commands.txt"
}
record() {
	note "$@"
	"$@"
}
record_pg() {
	note "$@"
	as_pg "$@"
}

wait_port() {
	local port=$1 what=$2
	for _ in $(seq 1 300); do
		if ! port_free "$port"; then return 0; fi
		sleep 0.1
	done
	die "$what did not open port $port"
}

# --- build --------------------------------------------------------------------

log "building wcdb"
(cd "$REPO" && go build -o "$WORK/wcdb" ./cmd/wcdb)
BIN="$WORK/wcdb"

# The same client settings for every database.
YCSB_ARGS=(--records "$RECORDS" --operations 0 --duration "$PHASE" --threads "$THREADS" --fresh)
TL_ARGS=(--users "$USERS" --follows "$FOLLOWS" --initial-posts "$POSTS" --operations 0 --duration "$PHASE"
	--threads "$THREADS" --post-rate "$POST_RATE" --fresh)

# bench runs one benchmark command, bounded in time, its progress to a log.
bench() {
	local name=$1
	shift
	log "$name"
	record timeout "$STEP_TIMEOUT" "$BIN" bench "$@" >"$RESULTS/$name.txt" 2>"$RESULTS/$name.log" ||
		die "$name failed: see $RESULTS/$name.log"
}

# --- wcdb ---------------------------------------------------------------------

log "starting wcdb on 127.0.0.1:$WCDB_PORT"
echo "# wcdb: a node of its own" >>"$RESULTS/commands.txt"
WCDB_CMD=("$BIN" server --data-dir "$WORK/wcdb-data" --listen-address 127.0.0.1 --cql-port "$WCDB_PORT" --commitlog-sync periodic)
note "${WCDB_CMD[@]}"
"${WCDB_CMD[@]}" >"$WORK/wcdb.log" 2>&1 &
WCDB_PID=$!
wait_port "$WCDB_PORT" wcdb
WCDB_CQL=(--db wcdb --hosts 127.0.0.1 --port "$WCDB_PORT" --server-pids "$WCDB_PID")
bench wcdb-ycsb ycsb "${WCDB_CQL[@]}" "${YCSB_ARGS[@]}" --json "$RESULTS/wcdb-ycsb.json"
bench wcdb-ycsb-a80 ycsb "${WCDB_CQL[@]}" --records "$RECORDS" --workloads a --operations 0 --duration "$PHASE" \
	--threads "$THREADS" --peak-from "$RESULTS/wcdb-ycsb.json" --peak-fraction 0.8 --json "$RESULTS/wcdb-ycsb-a80.json"
bench wcdb-timeline timeline "${WCDB_CQL[@]}" "${TL_ARGS[@]}" --json "$RESULTS/wcdb-timeline.json"
stop_wcdb

# --- wcdb, three nodes ----------------------------------------------------------

log "starting a 3-node wcdb cluster on 127.0.0.1-3:$WCDB_PORT"
echo "# wcdb-3node: three nodes on 127.0.0.1-3, the cores split between them" >>"$RESULTS/commands.txt"
PROCS=$((($(nproc) + 2) / 3))
for i in 1 2 3; do
	# ring_delay 1s: gossip on one machine spreads in milliseconds.
	cmd=("$BIN" server --data-dir "$WORK/wcdb-n$i" --listen-address "127.0.0.$i" --cql-port "$WCDB_PORT"
		--gossip-port "$GOSSIP_PORT" --internode-port "$INTERNODE_PORT" --ring-delay 1s --commitlog-sync periodic)
	[ "$i" = 1 ] || cmd+=(--seeds "127.0.0.1:$GOSSIP_PORT")
	note env GOMAXPROCS="$PROCS" "${cmd[@]}"
	GOMAXPROCS=$PROCS "${cmd[@]}" >"$WORK/wcdb-n$i.log" 2>&1 &
	CLUSTER_PIDS+=($!)
	for _ in $(seq 1 300); do
		grep -q 'serving CQL' "$WORK/wcdb-n$i.log" && break
		kill -0 "${CLUSTER_PIDS[-1]}" 2>/dev/null || die "node $i exited: see $WORK/wcdb-n$i.log"
		sleep 0.1
	done
	grep -q 'serving CQL' "$WORK/wcdb-n$i.log" || die "node $i did not start: see $WORK/wcdb-n$i.log"
done
CLUSTER_CQL=(--db wcdb --label wcdb-3node --hosts 127.0.0.1,127.0.0.2,127.0.0.3 --port "$WCDB_PORT"
	--rf 3 --consistency QUORUM --server-pids "$(IFS=,; echo "${CLUSTER_PIDS[*]}")")
bench wcdb-3node-ycsb ycsb "${CLUSTER_CQL[@]}" "${YCSB_ARGS[@]}" --json "$RESULTS/wcdb-3node-ycsb.json"
bench wcdb-3node-timeline timeline "${CLUSTER_CQL[@]}" "${TL_ARGS[@]}" --json "$RESULTS/wcdb-3node-timeline.json"
stop_cluster

# --- PostgreSQL ---------------------------------------------------------------

log "starting PostgreSQL ($PG_BIN) on 127.0.0.1:$PG_PORT"
mkdir -p "$WORK/pg"
[ "$(id -u)" = 0 ] && chown postgres: "$WORK/pg"
echo "# PostgreSQL: a cluster of its own" >>"$RESULTS/commands.txt"
record_pg "$PG_BIN/initdb" -D "$WORK/pg/data" -U ycsb --auth=trust -E UTF8 --locale=C >"$WORK/pg/initdb.log" 2>&1
PG_DATA="$WORK/pg/data"
record_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$WORK/pg/server.log" -w start \
	-o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$WORK/pg -c synchronous_commit=off" >/dev/null
record_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U ycsb ycsb
PG_PID="$(head -n 1 "$PG_DATA/postmaster.pid")"
PG_ARGS=(--db postgres --dsn "postgres://ycsb@127.0.0.1:$PG_PORT/ycsb" --server-pids "$PG_PID")
bench postgres-ycsb ycsb "${PG_ARGS[@]}" "${YCSB_ARGS[@]}" --json "$RESULTS/postgres-ycsb.json"
bench postgres-timeline timeline "${PG_ARGS[@]}" "${TL_ARGS[@]}" --json "$RESULTS/postgres-timeline.json"
stop_pg

# --- Redis --------------------------------------------------------------------

log "starting Redis on 127.0.0.1:$REDIS_PORT"
mkdir -p "$WORK/redis"
echo "# Redis: a server of its own" >>"$RESULTS/commands.txt"
REDIS_CMD=(redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$WORK/redis" --appendonly yes
	--appendfsync everysec --save "" --daemonize no --logfile "$WORK/redis/server.log")
note "${REDIS_CMD[@]}"
"${REDIS_CMD[@]}" &
REDIS_PID=$!
wait_port "$REDIS_PORT" redis-server
REDIS_ARGS=(--db redis --addr "127.0.0.1:$REDIS_PORT" --server-pids "$REDIS_PID")
bench redis-ycsb ycsb "${REDIS_ARGS[@]}" "${YCSB_ARGS[@]}" --json "$RESULTS/redis-ycsb.json"
bench redis-timeline timeline "${REDIS_ARGS[@]}" "${TL_ARGS[@]}" --json "$RESULTS/redis-timeline.json"
stop_redis

# --- report -------------------------------------------------------------------

mkdir -p "$(dirname "$REPORT")"
MODE="full"
[ "$QUICK" = 1 ] && MODE="quick"
echo "# report" >>"$RESULTS/commands.txt"
printf '%s\n' "scripts/bench-compare.sh$([ "$QUICK" = 1 ] && echo ' --quick') # ran all of the above" >>"$RESULTS/commands.txt"
"$BIN" bench report --out "$REPORT" --charts "$CHARTS" --commands "$RESULTS/commands.txt" \
	--fact wcdb:commitlog_sync=periodic --fact wcdb:commitlog_sync_period=10s \
	--fact wcdb-3node:commitlog_sync=periodic --fact wcdb-3node:commitlog_sync_period=10s \
	--note "Produced by scripts/bench-compare.sh ($MODE run): each database started fresh by the script, alone on the machine while it was measured, in the order wcdb, PostgreSQL, Redis; the same client (wcdb bench ycsb and wcdb bench timeline, $THREADS threads) for all three." \
	--note "wcdb-3node is three wcdb nodes on 127.0.0.1-3 of the same machine, splitting its $(nproc) cores (GOMAXPROCS $PROCS each), the keyspace at replication factor 3 and every statement at QUORUM: each write is applied three times on these cores, so it measures the cost of replication, not the gain of more machines. Its server CPU is that of all three processes." \
	--note "a-target is workload A on the single node at a target of 80% of the throughput its unthrottled run reached (latency from the intended start)." \
	"$RESULTS"/wcdb-ycsb.json "$RESULTS"/wcdb-ycsb-a80.json "$RESULTS"/wcdb-timeline.json \
	"$RESULTS"/wcdb-3node-ycsb.json "$RESULTS"/wcdb-3node-timeline.json \
	"$RESULTS"/postgres-ycsb.json "$RESULTS"/postgres-timeline.json \
	"$RESULTS"/redis-ycsb.json "$RESULTS"/redis-timeline.json
log "report: $REPORT (charts in $CHARTS); results in $RESULTS"
