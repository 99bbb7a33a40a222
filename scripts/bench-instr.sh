#!/usr/bin/env bash
# bench-instr.sh — instructions per operation of Go benchmarks, old revision
# against the working tree, counted by valgrind's cachegrind: a figure the
# machine's load does not move (wall-clock ns/op on a shared 2-core machine
# varies by a factor of 2 between runs; instruction counts by < 0.5 %).
#
#   scripts/bench-instr.sh OLD_REV PKG BENCH_REGEXP [N]
#   scripts/bench-instr.sh 1aa6bb2^ ./sensor/detect 'BenchmarkProcess(NoMatch|Scan|Flood)'
#
# Each benchmark runs twice per side, N/10 and N+N/10 iterations (-benchtime
# Nx, one CPU), and the difference divided by N is reported: set-up (rule
# building, lab GeoIP) cancels out. D1 misses per op come from the same runs.
# OLD_REV is checked out in a temporary git worktree, removed on exit.
set -euo pipefail
old=${1:?usage: bench-instr.sh OLD_REV PKG BENCH_REGEXP [N]}
pkg=${2:?package}
re=${3:?benchmark regexp}
n=${4:-400000}
command -v valgrind >/dev/null || { echo "bench-instr: valgrind is needed (apt-get install valgrind)" >&2; exit 2; }
cd "$(dirname "$0")/.."
tmp=$(mktemp -d /tmp/bench-instr.XXXXXX)
cleanup() { git worktree remove --force "$tmp/old" >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT
git worktree add --detach "$tmp/old" "$old" >/dev/null 2>&1
(cd "$tmp/old" && go test -c -o "$tmp/old.test" "$pkg")
go test -c -o "$tmp/new.test" "$pkg"
benches=$("$tmp/new.test" -test.list "$re" | grep '^Benchmark' || true)
[ -n "$benches" ] || { echo "bench-instr: no benchmark matches $re" >&2; exit 2; }

# counts BIN BENCH ITER: "instructions d1misses" of one run
counts() {
	valgrind --tool=cachegrind --cache-sim=yes --cachegrind-out-file=/dev/null "$1" \
		-test.run '^$' -test.bench "^$2\$" -test.benchtime "$3x" -test.count 1 -test.cpu 1 2>&1 |
		awk '/I *refs:/ {gsub(",","",$4); i=$4} /D1  misses:/ {gsub(",","",$4); d=$4} END {print i, d}'
}
printf '%-32s %-5s %12s %12s\n' benchmark side instr/op D1miss/op
for b in $benches; do
	for side in old new; do
		read -r i1 d1 < <(counts "$tmp/$side.test" "$b" $((n / 10)))
		read -r i2 d2 < <(counts "$tmp/$side.test" "$b" $((n + n / 10)))
		awk -v b="$b" -v s="$side" -v i="$((i2 - i1))" -v d="$((d2 - d1))" -v n="$n" \
			'BEGIN {printf "%-32s %-5s %12.1f %12.2f\n", b, s, i / n, d / n}'
	done
done
