#!/usr/bin/env bash
# Runs `borderwatch run` with XDP under the sandbox of deploy/borderwatch.service,
# as far as it can be reproduced without systemd as PID 1, and checks that the
# kernel stage still attaches, counts, alerts, reloads and detaches:
#
#   user        an unprivileged uid/gid (65534), no supplementary groups
#               (DynamicUser=yes)
#   caps        exactly the unit's AmbientCapabilities / CapabilityBoundingSet,
#               no_new_privs (NoNewPrivileges=yes)
#   syscalls    the unit's SystemCallFilter= lines, expanded with the installed
#               systemd's groups and loaded with libseccomp; others fail with
#               SystemCallErrorNumber (seccomp-exec.py)
#   /proc       a fresh proc mount with hidepid=invisible,subset=pid
#               (ProtectProc=invisible, ProcSubset=pid)
#   /sys        read-only (ProtectKernelTunables=yes)
#   memlock     the unit's LimitMEMLOCK
#
# Not reproduced: ProtectSystem/ReadWritePaths, PrivateTmp/Devices/IPC,
# RestrictAddressFamilies, MemoryDenyWriteExecute, RestrictNamespaces and the
# other namespace/LSM-based directives (systemd-analyze verify checks their
# syntax; TestUnitHardening their presence).
#
# Traffic stays between two namespaces it creates (bwu-sbx: the sensor on
# sbx0, 192.0.2.1/25, home DE; bwu-peer: 198.51.100.10, CN), bounded in count;
# both are deleted on exit. Run as root: scripts/lab/unit-sandbox.sh
# Environment: BWL_BIN (binary; default: built), BWU_STATE (default
# /tmp/bwu-sandbox).
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LAB_DIR/../.." && pwd)
UNIT=${BWU_UNIT:-$REPO/deploy/borderwatch.service}
STATE=${BWU_STATE:-/tmp/bwu-sandbox}
NS=bwu-sbx
PEER=bwu-peer
UID_=65534
PID=

log() { printf 'unit-sandbox: %s\n' "$*" >&2; }
die() {
	log "FAIL: $*"
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root (namespaces, XDP)"
for t in ip setpriv unshare prlimit pgrep /usr/bin/python3 systemd-analyze nmap curl ping; do
	command -v "$t" >/dev/null || die "missing $t"
done
/usr/bin/python3 -c 'import seccomp' 2>/dev/null || die "missing python3-seccomp (apt-get install python3-seccomp)"

cleanup() {
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -KILL "$PID" 2>/dev/null || true; fi
	ip netns del "$NS" 2>/dev/null || true
	ip netns del "$PEER" 2>/dev/null || true
}
trap cleanup EXIT
cleanup

# unit_value KEY: the value(s) of a [Service] directive.
unit_value() { sed -n "s/^$1=//p" "$UNIT"; }

caps=$(unit_value AmbientCapabilities)
[ "$caps" = "$(unit_value CapabilityBoundingSet)" ] || die "the unit's ambient and bounding capability sets differ"
capset=$(for c in $caps; do c=${c#CAP_}; printf ',+%s' "${c,,}"; done)
memlock=$(unit_value LimitMEMLOCK)
[ "$memlock" = infinity ] && memlock=unlimited
limit=(prlimit --memlock="$memlock:$memlock" --)
if ! "${limit[@]}" true 2>/dev/null; then
	log "LimitMEMLOCK=$memlock not reproduced: raising it needs CAP_SYS_RESOURCE, which this root lacks (BPF memory is memcg-accounted since Linux 5.11)"
	limit=()
fi

rm -rf "$STATE"
mkdir -p "$STATE/out" "$STATE/rules"
chmod 755 "$STATE"
cp -r "$LAB_DIR/rules/." "$STATE/rules/"
chown "$UID_:$UID_" "$STATE/out"
bin=${BWL_BIN:-}
if [ -z "$bin" ]; then
	(cd "$REPO" && CGO_ENABLED=0 go build -o "$STATE/borderwatch" ./cmd/borderwatch)
else
	cp "$bin" "$STATE/borderwatch"
fi
(cd "$REPO" && go run ./internal/devtools/lab-geodb "$STATE/lab-geo.mmdb")
chmod -R a+rX "$STATE/rules" "$STATE/lab-geo.mmdb" "$STATE/borderwatch"

# Two namespaces, one link.
ip netns add "$NS"
ip netns add "$PEER"
for n in "$NS" "$PEER"; do
	ip -n "$n" link set lo up
	ip netns exec "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip -n "$NS" link add sbx0 type veth peer name eth0 netns "$PEER"
ip -n "$NS" addr add 192.0.2.1/25 dev sbx0
ip -n "$PEER" addr add 198.51.100.10/24 dev eth0
ip -n "$NS" link set sbx0 up
ip -n "$PEER" link set eth0 up
ip -n "$NS" route add 198.51.100.0/24 dev sbx0
ip -n "$PEER" route add 192.0.2.0/25 dev eth0
deadline=$((SECONDS + 20))
until ip netns exec "$PEER" ping -n -c1 -W1 192.0.2.1 >/dev/null 2>&1; do
	[ $SECONDS -lt $deadline ] || die "bwu-peer cannot reach 192.0.2.1 (sbx0 in bwu-sbx)"
	sleep 0.1
done

# The sensor, sandboxed. ip netns exec gives it the namespace's /sys; the
# private mount namespace gets the restricted /proc and a read-only /sys.
log "starting the sensor: uid $UID_, caps $caps, no_new_privs, seccomp from $UNIT, /proc subset=pid hidepid=invisible, /sys read-only"
# BWU_STRACE=FILE: record every failed system call of the sandboxed tree
# (strace -Z) to see what the filter or the mounts refused.
trace=()
[ -z "${BWU_STRACE:-}" ] || trace=(strace -f -qq -Z -o "$BWU_STRACE")
"${trace[@]}" ip netns exec "$NS" unshare -m --propagation private sh -c '
	mount -t proc -o hidepid=invisible,subset=pid proc /proc &&
	mount -o remount,bind,ro /sys &&
	exec "$@"' sh \
	"${limit[@]}" \
	setpriv --reuid=$UID_ --regid=$UID_ --clear-groups --inh-caps=-all"$capset" --ambient-caps=-all"$capset" \
	--bounding-set=-all"$capset" --no-new-privs -- \
	"$LAB_DIR/seccomp-exec.py" "$UNIT" -- \
	"$STATE/borderwatch" --home DE --geoip "$STATE/lab-geo.mmdb" --rules "$STATE/rules" \
	run --iface sbx0 --egress --capture xdp --alerts "$STATE/out/alerts.json" --metrics-listen 127.0.0.1:9467 \
	>"$STATE/sensor.log" 2>&1 &
PID=$!

deadline=$((SECONDS + 60))
until grep -q '"sensor running"' "$STATE/sensor.log"; do
	kill -0 "$PID" 2>/dev/null || {
		cat "$STATE/sensor.log" >&2
		die "the sensor exited before it was running"
	}
	[ $SECONDS -lt $deadline ] || die "the sensor did not log \"sensor running\" within 60 s"
	sleep 0.1
done
grep -q '"capture":"xdp"' "$STATE/sensor.log" || {
	cat "$STATE/sensor.log" >&2
	die "the sensor did not capture with XDP under the sandbox"
}
grep -q 'falling back to AF_PACKET' "$STATE/sensor.log" && die "the sensor fell back to AF_PACKET under the sandbox"
ip -n "$NS" -d link show dev sbx0 | grep -q 'prog/xdp id [0-9]' || die "no XDP program on sbx0"
log "XDP attached: $(grep -o '"interfaces":[^}]*"XDP attached"' "$STATE/sensor.log" | head -1)"
log "$(grep '^seccomp-exec:' "$STATE/sensor.log")"
# The exec chain keeps one pid; under BWU_STRACE, strace is the parent.
spid=$(pgrep -o -f "^$STATE/borderwatch ")
[ -n "$spid" ] || die "cannot find the sensor's pid"
log "sensor process: $(grep -E '^(Uid|CapEff|NoNewPrivs|Seccomp):' "/proc/$spid/status" | tr -s '\t\n' '  ')"

# Traffic: a bounded SYN scan from CN (an alert) and pings (kernel counters).
ip netns exec "$PEER" timeout 30 nmap -n -Pn -T4 -sS -p 1-100 --max-retries 1 -S 198.51.100.10 -e eth0 192.0.2.1 >/dev/null
ip netns exec "$PEER" ping -n -c 20 -i 0.05 -W1 192.0.2.1 >/dev/null
deadline=$((SECONDS + 10))
until grep -q '"signature_id":8100101' "$STATE/out/alerts.json" 2>/dev/null; do
	[ $SECONDS -lt $deadline ] || die "no scan alert (8100101) in $STATE/out/alerts.json within 10 s"
	sleep 0.1
done
log "alert written: $(grep -o '"signature":"[^"]*"' "$STATE/out/alerts.json" | head -1)"
metrics=$(ip netns exec "$NS" curl -sf --max-time 5 http://127.0.0.1:9467/metrics) || die "metrics endpoint unreachable"
cn=$(grep '^borderwatch_kernel_packets_total{country="CN",direction="inbound",hook="ingress"}' <<<"$metrics" | awk '{print $2}')
[ -n "$cn" ] && [ "${cn%.*}" -ge 120 ] || die "kernel counter CN inbound ingress is '${cn:-absent}', want >= 120 (100 SYNs + 20 pings)"
log "kernel stage counts: CN inbound ingress $cn packets"

# SIGHUP: the reload reads rules, lists and GeoIP again inside the sandbox.
kill -HUP "$spid"
deadline=$((SECONDS + 20))
until grep -q '"message":"reloaded"' "$STATE/sensor.log"; do
	grep -q 'reload failed' "$STATE/sensor.log" && die "reload failed under the sandbox: $(grep 'reload failed' "$STATE/sensor.log")"
	[ $SECONDS -lt $deadline ] || die "no reload within 20 s of SIGHUP"
	sleep 0.1
done
log "SIGHUP reload done"

# SIGTERM: detaches and exits 0.
kill -TERM "$spid"
rc=0
timeout 30 tail --pid="$spid" -f /dev/null || die "the sensor did not exit within 30 s of SIGTERM"
wait "$PID" || rc=$?
PID=
[ $rc -eq 0 ] || die "the sensor exited $rc after SIGTERM: $(tail -3 "$STATE/sensor.log")"
ip -n "$NS" -d link show dev sbx0 | grep -q 'prog/xdp' && die "XDP still attached to sbx0 after exit"
if grep -q '"level":"error"' "$STATE/sensor.log"; then
	grep '"level":"error"' "$STATE/sensor.log" >&2
	die "the sensor logged errors under the sandbox"
fi
log "PASS: XDP attached, counted, alerted, reloaded and detached under the unit's sandbox"
