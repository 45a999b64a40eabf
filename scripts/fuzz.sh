#!/usr/bin/env bash
# Runs the repository's Go fuzz targets one after another, each for
# $FUZZTIME (10s by default), and stops at the first failure.
#
#   scripts/fuzz.sh [--ci] [--list] [FILTER]
#
#   (no flag)  every fuzz target in the repository, found by looking for
#              "func FuzzX(f *testing.F)" in the _test.go files: some
#              twenty, about 5 minutes at 10 s each
#   --ci       the subset .ci/run runs, one target for each decoder of
#              outside bytes: the native-protocol frame decoder (cql
#              FuzzReadFrame), the value codecs (schema FuzzDecode), the CQL
#              parser (query/parser FuzzParse), the SSTable reader (sstable
#              FuzzOpen), commit log replay (commitlog FuzzReplay) and the
#              internode wire decoder (messaging FuzzDecode); 75 s on 2
#              cores once built; the fuzzing build (instrumented, so not
#              shared with go test's) adds a minute or more to a cold cache
#   --list     print the targets, as "./package FuzzName", and run nothing
#   FILTER     an extended regular expression: only targets whose
#              "./package FuzzName" line matches it run, e.g. FuzzReplay,
#              '^./messaging ' or 'FuzzDecode$' (three packages have one)
#
# Longer runs: FUZZTIME is passed to go test -fuzztime, so it takes a
# duration or a count of inputs (100000x):
#
#   FUZZTIME=10m scripts/fuzz.sh FuzzReplay
#   FUZZTIME=1m scripts/fuzz.sh --ci
#
# The inputs that reached new code are kept in the Go build cache
# ($(go env GOCACHE)/fuzz), so each run continues where the last left off;
# `go clean -fuzzcache` forgets them. A failing input is written to
# <package>/testdata/fuzz/<FuzzName>/<hash>, and the script prints the
# go test command that replays it. Commit that file with the fix: plain
# `go test` runs it from then on, as a regression seed.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-10s}

usage() { echo "usage: $0 [--ci] [--list] [FILTER]" >&2; exit 2; }
ci=false list=false filter=
while [ $# -gt 0 ]; do
	case $1 in
	--ci) ci=true ;;
	--list) list=true ;;
	-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	-*) usage ;;
	*) [ -z "$filter" ] || usage; filter=$1 ;;
	esac
	shift
done

# Every fuzz target, as "./package FuzzName", sorted.
all=$(find . -name '*_test.go' -not -path '*/testdata/*' -not -path './.*' -print0 |
	xargs -0 grep -HE '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' |
	sed -E 's#^(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*).*#\1 \2#' | sort)

# The CI subset: one target for each of the six decoders above.
ci_targets="./cql FuzzReadFrame
./schema FuzzDecode
./query/parser FuzzParse
./sstable FuzzOpen
./commitlog FuzzReplay
./messaging FuzzDecode"

targets=$all
if $ci; then
	# A renamed or deleted target would otherwise make CI fuzz nothing.
	while read -r t; do
		grep -qxF "$t" <<<"$all" || { echo "fuzz.sh: CI target $t not found in the repository" >&2; exit 1; }
	done <<<"$ci_targets"
	targets=$ci_targets
fi
if [ -n "$filter" ]; then
	targets=$(grep -E -- "$filter" <<<"$targets" || true)
	[ -n "$targets" ] || { echo "fuzz.sh: no fuzz target matches $filter" >&2; exit 1; }
fi
if $list; then
	echo "$targets"
	exit 0
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
n=$(wc -l <<<"$targets")
echo "fuzzing $n target(s) for $FUZZTIME each"
start=$SECONDS
while read -r pkg name; do
	echo "== $pkg $name"
	t0=$SECONDS
	if ! go test -run '^$' -fuzz "^$name\$" -fuzztime "$FUZZTIME" "$pkg" </dev/null 2>&1 | tee "$out"; then
		input=$(sed -n 's/.*Failing input written to \(.*\)$/\1/p' "$out" | tail -n 1)
		# Go before 1.27 may fail a target with a bare "context deadline
		# exceeded" as -fuzztime ends (a race in its fuzzing coordinator,
		# golang/go#75804, fixed in Go 1.27): no input failed, so it is not
		# a finding. Anything else, or a saved input, is.
		if [ -z "$input" ] && grep -q '^    context deadline exceeded$' "$out" &&
			[ "$(grep -c -- '--- FAIL' "$out")" = 1 ] && ! grep -qE 'panic:|Failing input|_test.go:[0-9]+:' "$out"; then
			echo "   $pkg $name: stopped by Go's fuzzing deadline race (golang/go#75804), no failing input: not a failure"
			continue
		fi
		echo
		echo "FAIL: $pkg $name"
		if [ -n "$input" ]; then
			echo "The failing input is in $pkg/$input; replay it with"
			echo "  go test -run '^$name\$/$(basename "$input")' $pkg"
			echo "and commit it with the fix, as a regression seed."
		else
			echo "No failing input was saved (a build error or a failing seed?); rerun with"
			echo "  go test -run '^$name\$' $pkg"
		fi
		exit 1
	fi
	echo "   $pkg $name: $((SECONDS - t0)) s, the build included"
done <<<"$targets"
echo "no failure in $n target(s), $((SECONDS - start)) s"
