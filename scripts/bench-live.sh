#!/usr/bin/env bash
# bench-live.sh — live throughput of `borderwatch run` in a network namespace
# pair (root only; skips otherwise).
#
# Namespace bwl-atk (198.51.100.1, 203.0.113.1 spoofed) sends with trafgen
# (netsniff-ng), as fast as this machine goes, for DURATION seconds, a spoofed
# TCP SYN flood from 198.51.100.0/24 to 192.0.2.10 over a veth pair into
# namespace bwl-sen, where borderwatch runs on the veth (AF_PACKET; XDP when
# CAPTURE=xdp). Home is 192.0.2.0/24, documentation prefixes are not home
# (--special-not-home). No route leaves the namespaces; both are deleted on
# exit, also on failure. Prints frames sent, frames seen by the sensor,
# capture and queue drops and alerts, from the sensor's Prometheus endpoint,
# also as Go benchmark lines appended to bench-results/live-DATE.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CAPTURE=${CAPTURE:-afpacket}
WORKERS=${WORKERS:-2}
if [[ $(id -u) != 0 ]]; then
	echo "bench-live: skipped: needs root (network namespaces, AF_PACKET)" >&2
	exit 0
fi
command -v trafgen >/dev/null || { echo "bench-live: skipped: trafgen (netsniff-ng) not installed" >&2; exit 0; }
A=bwl-atk S=bwl-sen
tmp=$(mktemp -d)
pid=
cleanup() {
	[[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns del $A 2>/dev/null || true
	ip netns del $S 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
CGO_ENABLED=0 go build -o bin/borderwatch ./cmd/borderwatch
ip netns add $A
ip netns add $S
ip link add bwl0 netns $A type veth peer name bwl1 netns $S
ip -n $A addr add 198.51.100.1/24 dev bwl0
ip -n $S addr add 192.0.2.10/24 dev bwl1
ip -n $A link set bwl0 up
ip -n $S link set bwl1 up
ip -n $A link set lo up
ip -n $S link set lo up
smac=$(ip netns exec $A cat /sys/class/net/bwl0/address)
dmac=$(ip netns exec $S cat /sys/class/net/bwl1/address)
port=19467
ip netns exec $S bin/borderwatch run --home 192.0.2.0/24 --special-not-home --iface bwl1 --capture "$CAPTURE" \
	--workers "$WORKERS" --metrics-listen 127.0.0.1:$port --alerts "$tmp/alerts.json" 2>"$tmp/sensor.log" &
pid=$!
for _ in $(seq 50); do
	ip netns exec $S curl -sf http://127.0.0.1:$port/metrics >/dev/null 2>&1 && break
	sleep 0.2
done
# A SYN from a random source in 198.51.100.0/24 and a random port to 192.0.2.10:80,
# trafgen's C-like syntax gives exact control over random source bytes:
cat >"$tmp/syn.cfg" <<CFG
{
  0x${dmac//:/, 0x},
  0x${smac//:/, 0x},
  0x08, 0x00,
  0x45, 0x00, 0x00, 0x28, drnd(2), 0x40, 0x00, 0x40, 0x06, csumip(14, 33),
  198, 51, 100, drnd(1),
  192, 0, 2, 10,
  drnd(2), 0x00, 0x50, drnd(4), 0x00, 0x00, 0x00, 0x00,
  0x50, 0x02, 0xfa, 0xf0, 0x00, 0x00, 0x00, 0x00,
}
CFG
metric() { ip netns exec $S curl -sf http://127.0.0.1:$port/metrics | awk -v m="$1" '$1 ~ "^"m"({|$)" {s += $2} END {printf "%.0f", s}'; }
before=$(metric borderwatch_capture_frames_total)
ip netns exec $A timeout $((DURATION + 2)) trafgen --dev bwl0 --conf "$tmp/syn.cfg" --cpp -q -t 0 \
	-n 0 2>"$tmp/trafgen.log" &
tg=$!
sleep "$DURATION"
kill -INT $tg 2>/dev/null || true
wait $tg 2>/dev/null || true
sleep 1
sent=$(ip -n $A -s link show bwl0 | awk '/TX:/ {getline; print $2}')
seen=$(( $(metric borderwatch_capture_frames_total) - before ))
drops=$(metric borderwatch_capture_drops_total)
qdrops=$(metric borderwatch_queue_drops_total)
alerts=$(metric borderwatch_alerts_total)
sinkdrop=$(metric borderwatch_sink_dropped_total)
kill -INT "$pid"; wait "$pid" 2>/dev/null || true; pid=
lines=$(wc -l <"$tmp/alerts.json")
mkdir -p bench-results
out=bench-results/live-$(date -u +%Y%m%d-%H%M%S).txt
{
	echo "BenchmarkLive/$CAPTURE/workers=$WORKERS 1 $((DURATION * 1000000000)) ns/op $((sent / DURATION)) sent-pkts/s $((seen / DURATION)) seen-pkts/s $drops capture-drops $qdrops queue-drops $alerts alerts $sinkdrop alerts-lost $lines alert-lines"
} | tee "$out"
printf 'sent %s frames in %ss (%s/s); sensor saw %s (%s/s); capture drops %s, queue drops %s; alerts %s (lines %s), alerts lost %s\n' \
	"$sent" "$DURATION" $((sent / DURATION)) "$seen" $((seen / DURATION)) "$drops" "$qdrops" "$alerts" "$lines" "$sinkdrop"
