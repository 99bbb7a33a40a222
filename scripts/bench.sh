#!/usr/bin/env bash
# bench.sh — borderwatch's performance table (issue 8).
#
# Runs, on this machine:
#   - replay end to end of the benchmark mix: written once to a pcap file in a
#     temporary directory (REPLAY_PACKETS, default 10 M packets, about 7.5 GB:
#     it must fit in the page cache), then read through the capture file
#     source as "borderwatch replay" reads it: packets/s, CPU ns per packet
#     (its inverse is packets/s per core) and allocations per packet, 1 and 2
#     workers (BenchmarkReplayFile);
#   - per-stage ns/packet over the same mix (decode, flow, geo, detect, alert encode);
#   - XDP ns/packet through prog.Run, counted only and handed off, with a
#     synthetic table and with the full embedded database (root only), each
#     also as a multiple of the floor (a return XDP_PASS program run in
#     between, under the same harness: x-floor);
#   - live: a trafgen SYN flood through a network namespace pair into
#     "borderwatch run" on the XDP path and on AF_PACKET (scripts/bench-live.sh;
#     root and trafgen only): packets/s counted, handed off, read, ring-buffer,
#     capture and queue drops, alerts and alerts lost;
#   - geo ns/lookup against geoip2-golang and maxminddb-golang;
#   - peak RSS replaying a SYN flood with 10 M distinct spoofed sources;
#   - start-up time with the full embedded database;
#   - the same capture through tshark, softflowd and nfpcapd, side by side;
#   - the held-out real-tool mix (scripts/realmix.sh, REAL_PACKETS, default
#     900000) through borderwatch and softflowd: CPU time per packet of each
#     in the same run (issue 16 §2: borderwatch >= 2x softflowd, >= 5 Mpps).
# and prints one table. Every raw figure goes to bench-results/bench-DATE.txt
# in Go benchmark format (benchstat bench-results/a.txt bench-results/b.txt).
#
# The alert counts of the replay rows and of borderwatch's side-by-side rows
# are compared with the mix's expected counts (EXPECT_ALERTS below; sizes
# without one must agree across workers and repetitions): a changed count is
# a correctness regression a speed-up must not hide, and bench.sh then exits 1
# after printing the table.
#
# Environment: REPLAY_PACKETS (replay file size, default 10000000), COUNT
# (repetitions, default 3), CMP_PACKETS (capture for the tool comparison, default 1000000),
# SPOOFED (default 10000000), LIVE_SECONDS (default 10), QUICK=1 (small
# sizes, for a try-out).
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
COUNT=${COUNT:-3}
REPLAY_PACKETS=${REPLAY_PACKETS:-${PACKETS:-10000000}}
CMP_PACKETS=${CMP_PACKETS:-1000000}
SPOOFED=${SPOOFED:-10000000}
STAGE_N=${STAGE_N:-2000000}
if [[ ${QUICK:-0} == 1 ]]; then
	REPLAY_PACKETS=300000 CMP_PACKETS=100000 SPOOFED=300000 STAGE_N=200000 COUNT=2 LIVE_SECONDS=3
fi
TO=${TO:-900} # seconds: bound of any one step
LIVE_SECONDS=${LIVE_SECONDS:-10}

mkdir -p bench-results bin
out=bench-results/bench-$(date -u +%Y%m%d-%H%M%S).txt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
note() { printf '# %s\n' "$*" | tee -a "$out" >&2; }
res() { printf '%s\n' "$*" >>"$out"; }

{
	echo "goos: $(go env GOOS)"
	echo "goarch: $(go env GOARCH)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
	echo "# cores: $(nproc)  load: $(cut -d' ' -f1-3 /proc/loadavg)  commit: $(git describe --always --dirty 2>/dev/null || echo none)"
} >"$out"

CGO_ENABLED=0 $GO build -o bin/bw-bench ./internal/devtools/bw-bench
CGO_ENABLED=0 $GO build -o bin/borderwatch ./cmd/borderwatch

# Alerts the benchmark mix (seed 1, the default rules, the embedded
# database, home DE) raises, by its packet count: 28 on 100 000 and 300 000
# packets, 29 on 1 M, 30 on 2 M and 4 M, 31 on 10 M (docs/performance.md).
declare -A EXPECT_ALERTS=([100000]=28 [300000]=28 [1000000]=29 [2000000]=30 [4000000]=30 [10000000]=31)
declare -A seen_alerts=()
alert_regressions=0
check_alerts() { # label packets alerts
	local want=${EXPECT_ALERTS[$2]:-${seen_alerts[$2]:-}}
	if [[ -z $3 ]]; then
		note "ALERT COUNT MISSING: $1 on $2 packets"
		alert_regressions=$((alert_regressions + 1))
	elif [[ -z $want ]]; then
		seen_alerts[$2]=$3
		note "$1: $3 alerts on $2 packets (no expected count for this size: later rows must agree)"
	elif [[ $3 != "$want" ]]; then
		note "ALERT COUNT REGRESSION: $1: $3 alerts on $2 packets, want $want"
		alert_regressions=$((alert_regressions + 1))
	fi
}
alerts_of() { awk '{ for (i = 2; i <= NF; i++) if ($i == "alerts") print $(i-1) }'; } # of a bw-bench line

gobench() { # pkg regexp benchtime count [extra]
	timeout "$TO" $GO test -run '^$' -bench "$2" -benchmem -benchtime="$3" -count="$4" "$1" 2>&1 |
		grep -E '^(Benchmark|pkg:)' | tee -a "$out" >&2 || note "$1 $2: failed or timed out"
}

note "replay: $REPLAY_PACKETS packets of the mix from a pcap file, workers 1 and 2 alternated"
replay_file="$tmp/replay.pcap"
bin/bw-bench write -n "$REPLAY_PACKETS" -o "$replay_file"
res "# replay file: $REPLAY_PACKETS packets, $(stat -c %s "$replay_file") bytes"
cat "$replay_file" >/dev/null # into the page cache: time the pipeline, not the disk
for _ in $(seq "$COUNT"); do
	for w in 1 2; do
		if line=$(timeout "$TO" bin/bw-bench replay -file "$replay_file" -workers "$w"); then
			printf '%s\n' "$line" | tee -a "$out" >&2
			check_alerts "replay workers=$w" "$REPLAY_PACKETS" "$(printf '%s\n' "$line" | alerts_of)"
		else
			note "replay workers=$w failed"
		fi
	done
done
rm -f "$replay_file"

note "stages: $STAGE_N packets of the mix per run"
gobench ./sensor/pipeline 'Stage' "${STAGE_N}x" 5
gobench ./internal/synth 'BenchSource' "${STAGE_N}x" 3
gobench ./geo '^Benchmark(Lookup|GeoIP2)$' 2000000x 5

if [[ $(id -u) == 0 ]]; then
	# Every XDP benchmark runs the floor program (return XDP_PASS) after
	# each batch and reports x-floor: its time as a multiple of the floor's
	# in the same run. 200000 runs: prog.Run with a repeat count yields the
	# CPU between runs (the kernel's figure leaves that out), so on a busy
	# machine a benchmark takes minutes.
	gobench ./bpf '^BenchmarkXDP' 200000x "$COUNT"
else
	note "XDP: skipped, prog.Run needs root (CAP_BPF and CAP_NET_ADMIN)"
fi

if [[ $(id -u) == 0 ]] && command -v trafgen >/dev/null; then
	for c in xdp afpacket; do
		note "live: trafgen SYN flood through a namespace pair for ${LIVE_SECONDS}s, capture $c"
		OUT="$out" CAPTURE=$c DURATION="$LIVE_SECONDS" timeout "$TO" scripts/bench-live.sh >&2 || note "live $c failed"
	done
else
	note "live: skipped, needs root and trafgen (netsniff-ng)"
fi

note "memory: SYN flood with $SPOOFED distinct spoofed sources, 2 workers"
n=$((SPOOFED + SPOOFED / 10))
/usr/bin/time -v -o "$tmp/time" timeout "$TO" bin/bw-bench replay -n "$n" -flood 0.92 -spoofed "$SPOOFED" -workers 2 |
	tee -a "$out" >&2 || note "memory run failed"
rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /,"",$2); print $2*1024}' "$tmp/time")
res "BenchmarkPeakRSS/spoofed=$SPOOFED 1 $rss peak-RSS-bytes"

note "start-up with the full embedded database"
bin/bw-bench write -n 1 -o "$tmp/one.pcap"
for _ in $(seq 5); do
	s=$(date +%s%N)
	bin/borderwatch replay --home DE -q "$tmp/one.pcap" >/dev/null
	res "BenchmarkStartupCLI 1 $(($(date +%s%N) - s)) ns/op"
done
# A fresh process each time: the first load in a process is the cold one.
for _ in $(seq 3); do bin/bw-bench startup -count 1 | tee -a "$out" >&2; done

note "side by side: $CMP_PACKETS packets written to a pcap"
cap="$tmp/mix.pcap"
bin/bw-bench write -n "$CMP_PACKETS" -o "$cap"
res "# capture: $CMP_PACKETS packets, $(stat -c %s "$cap") bytes"
tool() { # name command...
	local name=$1
	shift
	local s e
	s=$(date +%s%N)
	if timeout "$TO" "$@" >"$tmp/$name.out" 2>&1; then
		e=$(($(date +%s%N) - s))
		res "BenchmarkTool/$name 1 $e ns/op $(awk -v n="$CMP_PACKETS" -v e="$e" 'BEGIN{printf "%.0f", n/(e/1e9)}') pkts/s"
	else
		note "$name: failed or timed out ($(tail -1 "$tmp/$name.out"))"
	fi
}
for _ in $(seq "$COUNT"); do
	for w in 1 2; do
		tool borderwatch-w$w bin/borderwatch replay --home DE -q --workers $w "$cap"
		check_alerts "borderwatch replay --workers $w" "$CMP_PACKETS" "$(grep -c '"event_type":"alert"' "$tmp/borderwatch-w$w.out" || true)"
	done
	if command -v tshark >/dev/null; then tool tshark tshark -n -r "$cap" -q -z conv,ip; else note "tshark: not installed"; fi
	if command -v softflowd >/dev/null; then
		# -n to a local port nobody listens on: the export is dropped by the kernel.
		tool softflowd softflowd -r "$cap" -n 127.0.0.1:39995
	else note "softflowd: not installed (apt-get install softflowd)"; fi
	if command -v nfpcapd >/dev/null; then
		mkdir -p "$tmp/nf" && rm -rf "$tmp/nf"/*
		tool nfpcapd nfpcapd -r "$cap" -w "$tmp/nf"
	else note "nfpcapd: not installed (apt-get install nfdump)"; fi
done

# Issue 16 §2: the held-out real-tool mix (scripts/realmix.sh: real captures
# of ../shared/pcaps and the lab's nmap runs) through borderwatch and
# softflowd, interleaved, CPU time per packet of each: borderwatch's timed
# replay (bw-bench, 1 worker, after loading the rules and tables) and its
# whole CLI process, softflowd's whole process (its start-up is a few ms).
REAL_PACKETS=${REAL_PACKETS:-900000}
[[ ${QUICK:-0} == 1 ]] && REAL_PACKETS=200000
real="$tmp/real.pcap"
if scripts/realmix.sh "$real" "$REAL_PACKETS" >/dev/null 2>&1; then
	note "real-tool mix: $REAL_PACKETS packets, borderwatch and softflowd side by side, CPU per packet"
	res "# real-tool mix: $REAL_PACKETS packets, $(stat -c %s "$real") bytes"
	cat "$real" >/dev/null
	cpu() { # name command...: CPU time (user+sys) of the command per packet
		local name=$1
		shift
		if /usr/bin/time -f '%U %S' -o "$tmp/cpu" timeout "$TO" "$@" >/dev/null 2>&1; then
			res "BenchmarkRealMix/$name 1 $(awk -v n="$REAL_PACKETS" '{printf "%.1f", ($1+$2)*1e9/n}' "$tmp/cpu") cpu-ns/pkt"
		else
			note "real mix: $name failed or timed out"
		fi
	}
	for _ in $(seq "$COUNT"); do
		timeout "$TO" bin/bw-bench replay -file "$real" -workers 1 | sed 's|^BenchmarkReplayFile/|BenchmarkRealMix/replay-|' | tee -a "$out" >&2 ||
			note "real mix: bw-bench replay failed"
		cpu borderwatch-cli bin/borderwatch replay --home DE -q --workers 1 "$real"
		if command -v softflowd >/dev/null; then
			cpu softflowd softflowd -r "$real" -n 127.0.0.1:39995
		else note "softflowd: not installed (apt-get install softflowd)"; fi
	done
else
	note "real-tool mix: skipped (scripts/realmix.sh needs ../shared/pcaps)"
fi

scripts/bench-table.awk "$out"
echo "raw results: $out" >&2
if ((alert_regressions > 0)); then
	echo "bench.sh: $alert_regressions alert count(s) differ from the expected ones (see the ALERT COUNT lines above): a correctness regression" >&2
	exit 1
fi
