#!/usr/bin/env bash
# bench-live.sh — live throughput of `borderwatch run` in a network namespace
# pair (root only; skips otherwise).
#
# Namespace bwl-atk sends with trafgen (netsniff-ng, one process), as fast as
# this machine goes, for DURATION seconds, a spoofed TCP SYN flood from
# 198.51.100.0/24 to 192.0.2.10 over a veth pair into namespace bwl-sen, where
# borderwatch runs on the veth: CAPTURE=xdp (default; the XDP program counts
# every frame and hands the ones worth decoding to user space through the
# ring buffer) or CAPTURE=afpacket. The frames carry another host's MAC, as
# transit traffic on a gateway does, so the sensor namespace's own stack
# drops them instead of answering every SYN with a RST. Home is
# 192.0.2.0/24, documentation prefixes are not home (--special-not-home). No
# route leaves the namespaces; both are deleted on exit, also on failure.
#
# Prints, from the veth counters and the sensor's Prometheus endpoint: frames
# sent; frames counted by the kernel stage (XDP) and hand-offs, ring-buffer
# full and budget drops; records or frames user space read, capture and
# queue drops; alerts, alert lines written and alerts lost by the sink. Also
# as a Go benchmark line appended to $OUT (default bench-results/live-DATE.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CAPTURE=${CAPTURE:-xdp}
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
dmac=02:00:5e:00:53:01 # not bwl1's: transit traffic (a documentation MAC, RFC 7042)
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
scrape() { ip netns exec $S curl -sf http://127.0.0.1:$port/metrics >"$tmp/metrics.$1"; }
# metric FILE NAME [LABEL-FILTER]: the sum of a metric's series.
metric() { awk -v m="$2" -v f="${3:-}" 'index($1, m) == 1 && (substr($1, length(m) + 1, 1) ~ /^[{]?$/) && index($1, f) {s += $2} END {printf "%.0f", s}' "$tmp/metrics.$1"; }
delta() { echo $(($(metric after "$@") - $(metric before "$@"))); }
scrape before
ip netns exec $A timeout $((DURATION + 2)) trafgen --dev bwl0 --conf "$tmp/syn.cfg" --cpp -q -t 0 \
	--cpus 1 -n 0 2>"$tmp/trafgen.log" &
tg=$!
sleep "$DURATION"
kill -INT $tg 2>/dev/null || true
wait $tg 2>/dev/null || true
sleep 1
sent=$(ip -n $A -s link show bwl0 | awk '/TX:/ {getline; print $2}')
scrape after
kernel=$(delta borderwatch_kernel_seen_packets_total)
handoff=$(delta borderwatch_kernel_events_total 'event="handoff"')
ringfull=$(delta borderwatch_kernel_events_total 'event="ringbuf_full"')
budget=$(delta borderwatch_kernel_events_total 'event="budget_drop"')
seen=$(delta borderwatch_capture_frames_total)
drops=$(delta borderwatch_capture_drops_total)
qdrops=$(delta borderwatch_queue_drops_total)
alerts=$(delta borderwatch_alerts_total)
sinkdrop=$(delta borderwatch_sink_dropped_total)
kill -INT "$pid"
wait "$pid" 2>/dev/null || true
pid=
lines=$(wc -l <"$tmp/alerts.json")
mkdir -p bench-results
out=${OUT:-bench-results/live-$(date -u +%Y%m%d-%H%M%S).txt}
echo "BenchmarkLive/$CAPTURE/workers=$WORKERS 1 $((DURATION * 1000000000)) ns/op $((sent / DURATION)) sent-pkts/s" \
	"$((kernel / DURATION)) kernel-pkts/s $((handoff / DURATION)) handoffs/s $ringfull ringbuf-full $budget budget-drops" \
	"$((seen / DURATION)) read-pkts/s $drops capture-drops $qdrops queue-drops $alerts alerts $sinkdrop alerts-lost $lines alert-lines" |
	tee -a "$out"
printf 'sent %s frames in %ss (%s/s)\n' "$sent" "$DURATION" $((sent / DURATION))
if [[ $CAPTURE == xdp ]]; then
	printf 'kernel stage: counted %s (%s/s), handed off %s, ring buffer full %s, over budget %s\n' \
		"$kernel" $((kernel / DURATION)) "$handoff" "$ringfull" "$budget"
fi
printf 'user space: read %s (%s/s), capture drops %s, queue drops %s; alerts %s (lines %s), alerts lost %s\n' \
	"$seen" $((seen / DURATION)) "$drops" "$qdrops" "$alerts" "$lines" "$sinkdrop"
grep -h '"event_type":"alert"' "$tmp/alerts.json" | head -3 | cut -c1-300
