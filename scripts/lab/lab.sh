#!/usr/bin/env bash
# borderwatch end-to-end lab: a home gateway between "the internet" and a home
# LAN, in network namespaces, with real services and the sensor running on the
# gateway.
#
#   scripts/lab/lab.sh up       build the lab (tears down a stale one first)
#   scripts/lab/lab.sh down     tear it down (idempotent)
#   scripts/lab/lab.sh status   namespaces, processes, sensor state, counters
#   scripts/lab/lab.sh check    the readiness checks of up, on the running lab
#   scripts/lab/lab.sh wordlists  write the brute-force word lists into $BWL_STATE
#
# Topology (every name starts with bwl-; nothing is created in the root
# namespace, and nothing has a default route: routes cover lab prefixes only):
#
#   bwl-cn  198.51.100.10-19,.80  2001:db8:1::10,::80  attacker + server   CN
#   bwl-ru  203.0.113.10-19,.66   2001:db8:2::10,::66  attacker + C2 host  RU
#   bwl-fr  192.0.2.140-149        2001:db8:f::10       EU neighbour       FR
#   bwl-rcn 198.51.100.53-56  bwl-rru 203.0.113.53-56  bwl-rfr 192.0.2.153-156
#           DNS reflectors (dnsmasq serving a large TXT record)
#       │ (veth)                                  all on bridge br0 in bwl-wan
#   bwl-wan  br0: "the internet"
#       │ wan0: 198.51.100.1/24 203.0.113.1/24 192.0.2.129/25 2001:db8:{1,2,f}::1/64
#   bwl-gw   IP forwarding, borderwatch run --iface wan0,lan0 --egress (XDP+TC)
#       │ lan0: 192.0.2.1/25 2001:db8:de::1/64
#   bwl-lan  192.0.2.10-40/25, 2001:db8:de::10-1f  home (DE): sshd, web, DNS
#
# Addresses come from the documentation prefixes only; the lab GeoIP database
# (geo/geotest LabEntries) maps them to CN, RU, DE and FR.
#
# Environment:
#   BWL_STATE    state folder (default /tmp/bwl-lab): configs, keys, logs,
#                pid files, alerts.json
#   BWL_BIN      borderwatch binary (default: built into $BWL_STATE)
#   BWL_CAPTURE  xdp (default; the sensor falls back to AF_PACKET by itself
#                when XDP is unavailable and says so) or afpacket
#   BWL_SENSOR   0: do not start the sensor (default 1)
#   BWL_GEODB    lab GeoIP database to use (default: written by internal/devtools/lab-geodb)
#   BWL_TAXII    1: also run the TAXII 2.1 test server (internal/devtools/bw-taxii)
#                on $TAXII in bwl-gw and give the sensor a taxii output to it
#   BWL_TAXII_BIN  bw-taxii binary (default: built into $BWL_STATE)
#   BWL_SENSOR_CONFIG  a configuration file for the sensor (--config), e.g. to
#                compare kernel hand-off settings (capture.handoff.flood_pps: 0)
#   BWL_SSHD_LOGLEVEL  the lab sshds' LogLevel (default ERROR; VERBOSE logs
#                every connection and failed password, to tell a tool's
#                failure from the server's)
set -euo pipefail
# A command that stops the script under errexit names itself (a failure
# without die's message would otherwise say only "up failed").
set -o errtrace
trap 'printf "lab: error: line %s: exit %s: %s\n" "$LINENO" "$?" "$BASH_COMMAND" >&2' ERR

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LAB_DIR/../.." && pwd)
STATE=${BWL_STATE:-/tmp/bwl-lab}
CAPTURE=${BWL_CAPTURE:-xdp}
NAMESPACES=(bwl-gw bwl-lan bwl-cn bwl-ru bwl-fr bwl-rcn bwl-rru bwl-rfr bwl-wan)
LAB_USER=bwlab
LAB_PASS=bwl-Lab-pass-7
LAB_USER_COMMENT="borderwatch lab user (scripts/lab/lab.sh)"
METRICS=127.0.0.1:9467
# The TAXII test server (BWL_TAXII=1), on bwl-gw's loopback: the sensor's
# taxii output pushes to it, the test reads the collection back.
TAXII=127.0.0.1:9099
TAXII_COLLECTION=http://$TAXII/api1/collections/365fed99-08fa-fdcd-a1b3-fb247eb41d01/
# What up needs (the e2e test checks the attack tools besides these).
LAB_TOOLS=(ip bridge sysctl ethtool timeout ssh-keygen useradd userdel chpasswd getent
	dnsmasq /usr/sbin/sshd curl dig ping python3 openssl)

log() { printf 'lab: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

need_root() { [ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, XDP)"; }

nsx() { # nsx NS CMD...: run in a lab namespace
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

python_bin() {
	if [ -x /usr/bin/python3 ]; then echo /usr/bin/python3; else command -v python3; fi
}

# start NAME NS CMD...: start a long-running process in NS, remember its pid.
start() {
	local name=$1 ns=$2
	shift 2
	ip netns exec "$ns" "$@" >"$STATE/log/$name.log" 2>&1 </dev/null &
	echo $! >"$STATE/run/$name.pid"
}

# ---------------------------------------------------------------- readiness
#
# Nothing in the lab is assumed ready because some time has passed: every
# address, link, route and service is polled until it really answers, with a
# deadline, and a timeout names the namespace, address and service that was
# not ready (the readiness checks run before the sensor starts, so their
# packets are not in any scenario).

READY_TIMEOUT=${BWL_READY_TIMEOUT:-20} # seconds per condition
LIST_ADDR=192.0.2.149 # the list server in bwl-fr (HTTPS)

# wait_for WHAT CMD...: run CMD (quietly) until it succeeds, at most
# READY_TIMEOUT seconds by the clock (not by a count of tries: a loaded machine
# makes every try slower); on timeout, die naming WHAT.
wait_for() {
	local what=$1
	shift
	local deadline=$((SECONDS + READY_TIMEOUT)) tries=0
	while :; do
		tries=$((tries + 1))
		if "$@" >/dev/null 2>&1; then
			[ $tries -gt 1 ] && log "ready after $tries tries: $what"
			return 0
		fi
		[ $SECONDS -lt $deadline ] || break
		sleep 0.1
	done
	die "not ready after ${READY_TIMEOUT}s ($tries tries): $what (logs in $STATE/log)"
}

link_up() { # link_up NS DEV: carrier and operstate up
	ip -n "$1" -o link show dev "$2" | grep -q 'LOWER_UP.* state UP '
}

port_forwarding() { # port_forwarding PORT: a bridge port of br0 that forwards
	ip -n bwl-wan -o link show dev "$1" | grep -q 'LOWER_UP.* state UP ' &&
		bridge -n bwl-wan link show dev "$1" | grep -q 'state forwarding'
}

no_tentative() { # no_tentative NS: no IPv6 address waits for DAD
	[ -z "$(ip -n "$1" -6 addr show tentative)" ]
}

tcp_banner() { # tcp_banner NS ADDR PORT PREFIX: the service's first line starts with PREFIX
	nsx "$1" timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" && IFS= read -r -t 2 line <&3 && [[ $line == "$2"* ]]' "$2" "$3" "$4"
}

http_ok() { # http_ok NS ADDR: HTTP 200 for the index page
	local host=$2
	case $host in *:*) host="[$host]" ;; esac
	nsx "$1" curl -sf -o /dev/null --max-time 3 "http://$host/index.html"
}

list_served() { # list_served: the list server gives the gateway the lab list
	nsx bwl-gw curl -sf --max-time 3 --cacert "$STATE/etc/lists-ca.pem" "https://$LIST_ADDR/blocklist.txt" | grep -qx '203\.0\.113\.66'
}

dns_answers() { # dns_answers NS SERVER NAME TYPE PATTERN
	nsx "$1" dig +short +tries=1 +time=1 "@$2" "$3" "$4" | grep -q "$5"
}

pings() { # pings NS [-6] ADDR
	nsx "$1" ping -n -c1 -W1 "${@:2}"
}

# ready_network: every link carries, every bridge port forwards, no IPv6
# address is tentative or failed DAD, and every WAN host reaches home over
# both families through the gateway (which also settles ARP on the way).
ready_network() {
	local ns dev
	for dev in "bwl-gw wan0" "bwl-gw lan0" "bwl-lan eth0" "bwl-cn eth0" "bwl-ru eth0" "bwl-fr eth0" \
		"bwl-rcn eth0" "bwl-rru eth0" "bwl-rfr eth0" "bwl-wan br0"; do
		# shellcheck disable=SC2086
		set -- $dev
		wait_for "link $2 in $1 up (carrier)" link_up "$1" "$2"
	done
	for dev in gw cn ru fr rcn rru rfr; do
		wait_for "bridge port $dev of br0 in bwl-wan forwarding" port_forwarding "$dev"
	done
	for ns in "${NAMESPACES[@]}"; do
		[ "$ns" = bwl-wan ] && continue
		if [ -n "$(ip -n "$ns" -6 addr show dadfailed)" ]; then
			die "duplicate address detection failed in $ns: $(ip -n "$ns" -6 -br addr show dadfailed | tr '\n' ' ')"
		fi
		wait_for "IPv6 addresses in $ns out of duplicate address detection (tentative: $(ip -n "$ns" -6 -br addr show tentative | tr '\n' ' '))" no_tentative "$ns"
	done
	local host v4 v6
	for host in "bwl-cn 198.51.100.10 2001:db8:1::10" "bwl-ru 203.0.113.10 2001:db8:2::10" "bwl-fr 192.0.2.140 2001:db8:f::10" \
		"bwl-rcn 198.51.100.53 2001:db8:1::53" "bwl-rru 203.0.113.53 2001:db8:2::53" "bwl-rfr 192.0.2.153 2001:db8:f::53"; do
		# shellcheck disable=SC2086
		set -- $host
		ns=$1 v4=$2 v6=$3
		wait_for "route: $ns ($v4) reaches home 192.0.2.10 over IPv4 through the gateway" pings "$ns" -I "$v4" 192.0.2.10
		wait_for "route: $ns ($v6) reaches home 2001:db8:de::10 over IPv6 through the gateway" pings "$ns" -6 -I "$v6" 2001:db8:de::10
	done
	# The WAN hosts reach each other directly on the bridge.
	for v4 in 198.51.100.53 203.0.113.53 192.0.2.153; do
		wait_for "route: bwl-ru reaches the reflector $v4 on the bridge" pings bwl-ru "$v4"
	done
}

# ready_services: every service of services() answers a real request, on
# every address and family the scenarios use.
ready_services() {
	local a r txt
	for a in 192.0.2.10 2001:db8:de::10; do
		wait_for "sshd in bwl-lan on [$a]:22 (SSH banner)" tcp_banner bwl-lan "$a" 22 SSH-2.0-
		wait_for "web server in bwl-lan on http://[$a]/" http_ok bwl-lan "$a"
	done
	wait_for "sshd in bwl-fr on 192.0.2.140:22 (SSH banner)" tcp_banner bwl-fr 192.0.2.140 22 SSH-2.0-
	wait_for "sshd in bwl-cn on 198.51.100.80:22 (SSH banner)" tcp_banner bwl-cn 198.51.100.80 22 SSH-2.0-
	for a in 192.0.2.140 2001:db8:f::10; do
		wait_for "web server in bwl-fr on http://[$a]/" http_ok bwl-fr "$a"
	done
	wait_for "web server in bwl-cn on http://198.51.100.80/" http_ok bwl-cn 198.51.100.80
	wait_for "list server in bwl-fr on https://$LIST_ADDR/blocklist.txt (from bwl-gw, lab CA)" list_served
	for a in 203.0.113.66 2001:db8:2::66; do
		wait_for "C2 web server in bwl-ru on http://[$a]/" http_ok bwl-ru "$a"
	done
	wait_for "dnsmasq in bwl-lan on 192.0.2.10 (A www.home.lab)" dns_answers bwl-lan 192.0.2.10 www.home.lab A '^192\.0\.2\.10$'
	wait_for "dnsmasq in bwl-lan on 2001:db8:de::10 (AAAA www.home.lab)" dns_answers bwl-lan 2001:db8:de::10 www.home.lab AAAA '^2001:db8:de::10$'
	# Reflectors: each address of each, from the RU attacker over the
	# bridge (the path of the spoofed queries); the IPv6 ones from home
	# through the gateway (the path of the benign queries).
	for r in "bwl-rcn 198.51.100.53 198.51.100.54 198.51.100.55 198.51.100.56" \
		"bwl-rru 203.0.113.53 203.0.113.54 203.0.113.55 203.0.113.56" \
		"bwl-rfr 192.0.2.153 192.0.2.154 192.0.2.155 192.0.2.156"; do
		# shellcheck disable=SC2086
		set -- $r
		local ns=$1
		shift
		for a in "$@"; do
			wait_for "dnsmasq reflector in $ns on $a (A www.refl.lab, asked from bwl-ru)" dns_answers bwl-ru "$a" www.refl.lab A '^192\.0\.2\.140$'
		done
	done
	for r in "bwl-rcn 2001:db8:1::53" "bwl-rru 2001:db8:2::53" "bwl-rfr 2001:db8:f::53"; do
		# shellcheck disable=SC2086
		set -- $r
		wait_for "dnsmasq reflector in $1 on $2 (A www.refl.lab, asked from bwl-lan)" dns_answers bwl-lan "$2" www.refl.lab A '^192\.0\.2\.140$'
	done
	# The large answer the reflection scenario relies on (~1 KB, EDNS0).
	txt=$(nsx bwl-ru dig +tries=1 +time=2 +bufsize=1400 @203.0.113.53 big.refl.lab TXT 2>/dev/null | grep -o 'MSG SIZE  rcvd: [0-9]*' || true)
	[ "${txt##* }" -gt 900 ] 2>/dev/null || die "dnsmasq reflector in bwl-rru on 203.0.113.53: TXT big.refl.lab is not ~1 KB (${txt:-no answer})"
}

# ---------------------------------------------------------------- teardown

down() {
	local ns pid f
	# Processes we started, by their recorded pid.
	if [ -d "$STATE/run" ]; then
		for f in "$STATE"/run/*.pid; do
			[ -e "$f" ] || continue
			pid=$(cat "$f" 2>/dev/null || true)
			if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
				kill -TERM "$pid" 2>/dev/null || true
			fi
			rm -f "$f"
		done
	fi
	# Anything still running inside the lab namespaces (daemons that forked,
	# tools a failed test left behind) is ours too: end it by pid.
	for ns in "${NAMESPACES[@]}"; do
		ip netns list 2>/dev/null | grep -qw "^$ns" || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null || true; done
	done
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		local left=0
		for ns in "${NAMESPACES[@]}"; do
			ip netns list 2>/dev/null | grep -qw "^$ns" || continue
			[ -n "$(ip netns pids "$ns" 2>/dev/null)" ] && left=1
		done
		[ $left -eq 0 ] && break
		sleep 0.3
	done
	for ns in "${NAMESPACES[@]}"; do
		ip netns list 2>/dev/null | grep -qw "^$ns" || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || true
	done
	# The lab user, if the lab created it (its comment says so).
	if getent passwd "$LAB_USER" | cut -d: -f5 | grep -qx "$LAB_USER_COMMENT"; then
		userdel "$LAB_USER" 2>/dev/null || true
	fi
}

# ---------------------------------------------------------------- topology

# wan_host NS PORT V4ADDRS V4GW V6ADDR V6GW: a host on the WAN bridge.
wan_host() {
	local ns=$1 port=$2 v4=$3 gw4=$4 v6=$5 gw6=$6 a first=1
	ip -n bwl-wan link add "$port" type veth peer name eth0 netns "$ns"
	ip -n bwl-wan link set "$port" master br0 up
	for a in $v4; do
		# The first address carries the subnet (primary); the others are /32s.
		if [ $first -eq 1 ]; then
			ip -n "$ns" addr add "$a" dev eth0
			first=0
		else
			ip -n "$ns" addr add "${a%/*}/32" dev eth0
		fi
	done
	# IPv6: the first address is the one the host's own connections use;
	# the others (servers, the listed host) are deprecated for source
	# selection (preferred_lft 0) and used only when a tool binds them.
	first=1
	for a in $v6; do
		if [ $first -eq 1 ]; then
			ip -n "$ns" addr add "$a" dev eth0 nodad
			first=0
		else
			ip -n "$ns" addr add "$a" dev eth0 nodad preferred_lft 0
		fi
	done
	ip -n "$ns" link set eth0 up
	# Home is behind the gateway; the other foreign prefixes are on the
	# bridge ("the internet"): a spoofed query reaches a reflector directly.
	ip -n "$ns" route add 192.0.2.0/25 via "$gw4"
	ip -n "$ns" -6 route add 2001:db8:de::/48 via "$gw6"
	local p
	for p in 198.51.100.0/24 203.0.113.0/24 192.0.2.128/25; do
		ip -n "$ns" route replace "$p" dev eth0
	done
	for p in 2001:db8:1::/48 2001:db8:2::/48 2001:db8:f::/48; do
		ip -n "$ns" -6 route replace "$p" dev eth0
	done
	# Static IPv6 neighbours between the host and the gateway: on the real
	# internet the gateway talks neighbour discovery with its upstream router
	# only, never with the far hosts; without these entries the lab's NS/NA
	# between the gateway and (say) the listed host would be traffic the real
	# topology never has.
	local gwmac mac
	gwmac=$(ip -n bwl-gw -br link show wan0 | awk '{print $3}')
	mac=$(ip -n "$ns" -br link show eth0 | awk '{print $3}')
	ip -n "$ns" -6 neigh replace "$gw6" lladdr "$gwmac" dev eth0 nud permanent
	for a in $v6; do
		ip -n bwl-gw -6 neigh replace "${a%/*}" lladdr "$mac" dev wan0 nud permanent
	done
}

topology() {
	local ns
	for ns in "${NAMESPACES[@]}"; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
		nsx "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
		# No duplicate address detection in the lab, before any link exists
		# (links inherit "default"): the global addresses are added nodad, and
		# this covers the link-local ones the kernel adds at link up, which
		# neighbour discovery and the gateway's forwarding need. A tentative
		# address is unusable for about a second and more on a loaded host.
		[ "$ns" = bwl-wan ] || nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	done
	# The internet: one bridge, no addresses, IPv6 off for its own stack.
	nsx bwl-wan sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n bwl-wan link add br0 type bridge mcast_snooping 0
	ip -n bwl-wan link set br0 up

	# Gateway.
	ip -n bwl-wan link add gw type veth peer name wan0 netns bwl-gw
	ip -n bwl-wan link set gw master br0 up
	ip -n bwl-gw link add lan0 type veth peer name eth0 netns bwl-lan
	nsx bwl-gw sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	local a
	for a in 198.51.100.1/24 203.0.113.1/24 192.0.2.129/25; do ip -n bwl-gw addr add "$a" dev wan0; done
	for a in 2001:db8:1::1/64 2001:db8:2::1/64 2001:db8:f::1/64; do ip -n bwl-gw addr add "$a" dev wan0 nodad; done
	ip -n bwl-gw addr add 192.0.2.1/25 dev lan0
	ip -n bwl-gw addr add 2001:db8:de::1/64 dev lan0 nodad
	ip -n bwl-gw link set wan0 up
	ip -n bwl-gw link set lan0 up

	# Home LAN: .10 runs the services, .11-.40 are further home hosts (scan
	# victims, sweep targets) on the same segment.
	ip -n bwl-lan addr add 192.0.2.10/25 dev eth0
	local i
	for i in $(seq 11 40); do ip -n bwl-lan addr add "192.0.2.$i/32" dev eth0; done
	for i in 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f; do
		ip -n bwl-lan addr add "2001:db8:de::$i/64" dev eth0 nodad
	done
	ip -n bwl-lan link set eth0 up
	for a in 198.51.100.0/24 203.0.113.0/24 192.0.2.128/25; do ip -n bwl-lan route add "$a" via 192.0.2.1; done
	ip -n bwl-lan -6 route add 2001:db8::/32 via 2001:db8:de::1
	# Closed UDP ports answer every probe at once (the UDP scan scenario).
	nsx bwl-lan sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0

	local cn4="198.51.100.10/24" ru4="203.0.113.10/24" fr4="192.0.2.140/25"
	for i in $(seq 11 19); do
		cn4="$cn4 198.51.100.$i"
		ru4="$ru4 203.0.113.$i"
		fr4="$fr4 192.0.2.$((130 + i))"
	done
	wan_host bwl-cn cn "$cn4 198.51.100.80" 198.51.100.1 "2001:db8:1::10/64 2001:db8:1::80/64" 2001:db8:1::1
	wan_host bwl-ru ru "$ru4 203.0.113.66 203.0.113.67" 203.0.113.1 "2001:db8:2::10/64 2001:db8:2::66/64" 2001:db8:2::1
	wan_host bwl-fr fr "$fr4" 192.0.2.129 "2001:db8:f::10/64" 2001:db8:f::1
	wan_host bwl-rcn rcn "198.51.100.53/24 198.51.100.54 198.51.100.55 198.51.100.56" 198.51.100.1 "2001:db8:1::53/64" 2001:db8:1::1
	wan_host bwl-rru rru "203.0.113.53/24 203.0.113.54 203.0.113.55 203.0.113.56" 203.0.113.1 "2001:db8:2::53/64" 2001:db8:2::1
	wan_host bwl-rfr rfr "192.0.2.153/25 192.0.2.154 192.0.2.155 192.0.2.156" 192.0.2.129 "2001:db8:f::53/64" 2001:db8:f::1
	# Offloads off on the gateway's links so that the kernel stage and the
	# tools see the same packets (no TSO/GRO super-packets).
	local dev
	for dev in "bwl-gw wan0" "bwl-gw lan0" "bwl-lan eth0" "bwl-cn eth0" "bwl-ru eth0" "bwl-fr eth0"; do
		# shellcheck disable=SC2086
		set -- $dev
		nsx "$1" ethtool -K "$2" tso off gso off gro off >/dev/null 2>&1 ||
			die "ethtool -K $2 tso off gso off gro off failed in $1"
		if nsx "$1" ethtool -k "$2" | grep -Eq '^(tcp-segmentation|generic-segmentation|generic-receive)-offload: on'; then
			die "offloads still on for $2 in $1: $(nsx "$1" ethtool -k "$2" | grep -E '^(tcp-segmentation|generic-(segmentation|receive))-offload' | tr '\n' ' ')"
		fi
	done
}

# ---------------------------------------------------------------- services

# wordlists writes the brute-force tools' word lists into $STATE (no root
# needed: TestLabWordlists runs it).
wordlists() {
	local i
	mkdir -p "$STATE"
	# The brute-force word list (medusa, ncrack): 24 wrong guesses, then
	# the password.
	{
		for i in $(seq 1 24); do echo "guess$i"; done
		echo "$LAB_PASS"
	} >"$STATE/passwords.txt"
	# Hydra's: the same 25, then 48 more wrong guesses. Once every pair
	# has been handed out ("attack finished ... waiting for children"),
	# hydra 9.4's parent can count one worker as gone twice and exit while
	# another still tests its pair: "0 valid password found, 1 final
	# worker threads did not complete", no connection failed (1 in 25-30
	# hydra runs under the lab's spread flood; docs/performance.md). With
	# 48 pairs after the password, it is answered before the list runs
	# out and -f stops hydra there; the 24 workers' connections (the
	# brute force the rules count) are the same.
	{
		cat "$STATE/passwords.txt"
		for i in $(seq 25 72); do echo "guess$i"; done
	} >"$STATE/passwords-hydra.txt"
}

write_files() {
	mkdir -p "$STATE"/{run,log,ssh,www,etc}
	chmod 755 "$STATE" "$STATE/ssh"
	rm -f "$STATE/alerts.json"
	# Web content: a page, a few small files, one large download.
	printf '<html><body>borderwatch lab</body></html>\n' >"$STATE/www/index.html"
	local i
	for i in 1 2 3 4 5; do head -c $((i * 20000)) /dev/zero | tr '\0' 'x' >"$STATE/www/file$i.txt"; done
	[ -s "$STATE/www/big.bin" ] || head -c 40000000 /dev/urandom >"$STATE/www/big.bin"
	[ -s "$STATE/upload.bin" ] || head -c 24000000 /dev/urandom >"$STATE/upload.bin"

	# SSH: a lab host key, a client key for the lab user.
	[ -s "$STATE/ssh/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$STATE/ssh/host_ed25519"
	[ -s "$STATE/ssh/client_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$STATE/ssh/client_ed25519"
	cp "$STATE/ssh/client_ed25519.pub" "$STATE/ssh/authorized_keys"
	chmod 644 "$STATE/ssh/authorized_keys"
	if ! id "$LAB_USER" >/dev/null 2>&1; then
		useradd -M -d /tmp -s /bin/sh -c "$LAB_USER_COMMENT" "$LAB_USER"
	elif ! getent passwd "$LAB_USER" | cut -d: -f5 | grep -qx "$LAB_USER_COMMENT"; then
		die "a user $LAB_USER exists that the lab did not create; not touching it"
	fi
	echo "$LAB_USER:$LAB_PASS" | chpasswd
	wordlists
	echo "$LAB_PASS" >"$STATE/password"
	mkdir -p /run/sshd

	# The list server (a partner CERT in bwl-fr): the lab's reputation list
	# over HTTPS with a lab CA, and the sensor's configuration, whose list
	# source "blocklist" replaces the default pack's empty list (rules
	# 8100601/8100602). The sensor starts with it from its cache, filled by
	# `borderwatch lists update` before the start (sensor()).
	mkdir -p "$STATE/lists"
	cp "$LAB_DIR/rules/lists/blocklist.txt" "$STATE/lists/blocklist.txt"
	rm -rf "$STATE/lists-cache"
	[ -s "$STATE/etc/lists-ca.pem" ] || openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
		-subj "/CN=lists.fr.lab" -addext "subjectAltName=IP:$LIST_ADDR" \
		-keyout "$STATE/etc/lists-key.pem" -out "$STATE/etc/lists-ca.pem" 2>/dev/null ||
		die "openssl could not make the list server's certificate"
	cat >"$STATE/etc/borderwatch.yaml" <<EOF
lists:
  state_dir: $STATE/lists-cache
  sources:
    - name: blocklist
      url: https://$LIST_ADDR/blocklist.txt
      format: plain
      refresh: 1h
      ca_file: $STATE/etc/lists-ca.pem
EOF

	# A spoofed DNS query (TXT big.refl.lab, EDNS0 1400) for hping3 --file.
	printf '\x13\x37\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01\x03big\x04refl\x03lab\x00\x00\x10\x00\x01\x00\x00\x29\x05\x78\x00\x00\x00\x00\x00\x00' >"$STATE/query.bin"
}

sshd_conf() { # sshd_conf NAME
	cat >"$STATE/etc/sshd-$1.conf" <<EOF
Port 22
ListenAddress 0.0.0.0
ListenAddress ::
HostKey $STATE/ssh/host_ed25519
PidFile $STATE/run/sshd-$1.pid
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile $STATE/ssh/authorized_keys
AllowUsers $LAB_USER
PermitRootLogin no
StrictModes no
MaxStartups 200:30:400
MaxAuthTries 6
LoginGraceTime 20
UseDNS no
PrintMotd no
LogLevel ${BWL_SSHD_LOGLEVEL:-ERROR}
EOF
}

services() {
	local py txt i
	py=$(python_bin)
	# Home LAN: OpenSSH, a web server, a DNS server.
	sshd_conf lan
	nsx bwl-lan /usr/sbin/sshd -f "$STATE/etc/sshd-lan.conf" -E "$STATE/log/sshd-lan.log"
	start web-lan bwl-lan "$py" -m http.server 80 --bind :: --directory "$STATE/www"
	start dns-lan bwl-lan dnsmasq -k --conf-file=/dev/null --pid-file= --no-resolv --no-hosts --bind-interfaces \
		--listen-address=192.0.2.10 --listen-address=2001:db8:de::10 --user=root \
		--host-record=www.home.lab,192.0.2.10,2001:db8:de::10 --host-record=nas.home.lab,192.0.2.11 \
		--txt-record=home.lab,"borderwatch lab home"
	# FR (EU neighbour): a web server with the large download, an upload sink.
	start web-fr bwl-fr "$py" -m http.server 80 --bind :: --directory "$STATE/www"
	sshd_conf fr
	nsx bwl-fr /usr/sbin/sshd -f "$STATE/etc/sshd-fr.conf" -E "$STATE/log/sshd-fr.log"
	# CN server (198.51.100.80): outbound scan target, upload sink, web.
	sshd_conf cn
	nsx bwl-cn /usr/sbin/sshd -f "$STATE/etc/sshd-cn.conf" -E "$STATE/log/sshd-cn.log"
	start web-cn bwl-cn "$py" -m http.server 80 --bind :: --directory "$STATE/www"
	# FR: the partner CERT's list server (HTTPS, the lab CA).
	start lists-fr bwl-fr "$py" -c '
import functools, http.server, ssl, sys
folder, addr, cert, key = sys.argv[1:5]
srv = http.server.ThreadingHTTPServer((addr, 443), functools.partial(http.server.SimpleHTTPRequestHandler, directory=folder))
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()' "$STATE/lists" "$LIST_ADDR" "$STATE/etc/lists-ca.pem" "$STATE/etc/lists-key.pem"
	# RU: the command-and-control web server on the listed address.
	start web-ru bwl-ru "$py" -m http.server 80 --bind :: --directory "$STATE/www"
	# Reflectors: dnsmasq answering TXT big.refl.lab with ~1 KB.
	txt=$(printf 'a%.0s' $(seq 1 250))
	for i in rcn rru rfr; do
		start "dns-$i" "bwl-$i" dnsmasq -k --conf-file=/dev/null --pid-file= --no-resolv --no-hosts --user=root \
			--edns-packet-max=1400 --host-record=www.refl.lab,192.0.2.140 \
			--txt-record=big.refl.lab,"$txt","$txt","$txt","$txt"
	done
}

# ---------------------------------------------------------------- sensor

sensor() {
	local bin=${BWL_BIN:-}
	if [ -z "$bin" ]; then
		bin=$STATE/borderwatch
		log "building borderwatch → $bin"
		(cd "$REPO" && CGO_ENABLED=0 go build -o "$bin" ./cmd/borderwatch)
	fi
	if [ -n "${BWL_GEODB:-}" ]; then
		cp "$BWL_GEODB" "$STATE/lab-geo.mmdb"
	else
		(cd "$REPO" && go run ./internal/devtools/lab-geodb "$STATE/lab-geo.mmdb")
	fi
	# The list is fetched over HTTPS from bwl-fr into the cache; the sensor
	# starts with it (and would keep it were the server down).
	local lists
	lists=$(nsx bwl-gw timeout 60 "$bin" -c "$STATE/etc/borderwatch.yaml" --log-level warn lists update 2>&1) ||
		die "borderwatch lists update in bwl-gw failed: $lists"
	log "lists update: $(tail -n +2 <<<"$lists" | tr -s ' ')"
	local outputs=()
	if [ "${BWL_TAXII:-0}" = 1 ]; then
		taxii_server
		outputs=(--output "taxii+${TAXII_COLLECTION}?user=$LAB_USER&password_file=$STATE/taxii.pw&linger=500ms&tlp=green&identity=bwl-gw")
	fi
	start borderwatch bwl-gw "$bin" -c "${BWL_SENSOR_CONFIG:-$STATE/etc/borderwatch.yaml}" --home DE --geoip "$STATE/lab-geo.mmdb" --rules "$LAB_DIR/rules" \
		run --iface wan0,lan0 --egress --capture "$CAPTURE" --alerts "$STATE/alerts.json" --metrics-listen "$METRICS" \
		"${outputs[@]}"
	local pid deadline=$((SECONDS + SENSOR_TIMEOUT))
	pid=$(cat "$STATE/run/borderwatch.pid")
	until grep -q '"sensor running"' "$STATE/log/borderwatch.log" 2>/dev/null; do
		if ! kill -0 "$pid" 2>/dev/null; then
			cat "$STATE/log/borderwatch.log" >&2 || true
			die "the sensor in bwl-gw exited before it was running (log above)"
		fi
		if [ $SECONDS -ge $deadline ]; then
			cat "$STATE/log/borderwatch.log" >&2 || true
			die "the sensor in bwl-gw did not log \"sensor running\" within ${SENSOR_TIMEOUT}s (log above)"
		fi
		sleep 0.1
	done
	local mode
	mode=$(capture_mode)
	if [ "$mode" = xdp ]; then
		local dev
		for dev in wan0 lan0; do
			wait_for "XDP program attached to $dev in bwl-gw" xdp_attached "$dev"
		done
		# TC egress: TCX links carry no interface an older bpftool shows per
		# namespace; the sensor fails its start when an egress attach fails,
		# and says it attached.
		grep '"message":"XDP attached"' "$STATE/log/borderwatch.log" | grep -c '"egress":true' >/dev/null ||
			die "the sensor in bwl-gw did not log \"XDP attached\" with egress true"
	fi
	wait_for "sensor metrics endpoint http://$METRICS/metrics in bwl-gw" metrics_up "$mode"
	if grep -q 'falling back to AF_PACKET' "$STATE/log/borderwatch.log"; then
		log "sensor running with AF_PACKET (XDP unavailable: see $STATE/log/borderwatch.log)"
	else
		log "sensor running (capture $mode)"
	fi
}

SENSOR_TIMEOUT=${BWL_SENSOR_TIMEOUT:-60} # seconds from start to "sensor running"

# capture_mode: the capture mode the sensor logged ("xdp", "afpacket"), or
# nothing. One sed that stops at its first match: a "grep | head" pipeline
# fails under pipefail when head exits before grep has written everything.
capture_mode() {
	sed -n '/"capture":"/{s/.*"capture":"\([a-z]*\)".*/\1/p;q;}' "$STATE/log/borderwatch.log" 2>/dev/null || true
}

# taxii_server: the TAXII 2.1 test server on bwl-gw's loopback, with the lab
# user and a password only root can read.
taxii_server() {
	local bin=${BWL_TAXII_BIN:-}
	if [ -z "$bin" ]; then
		bin=$STATE/bw-taxii
		log "building bw-taxii → $bin"
		(cd "$REPO" && CGO_ENABLED=0 go build -o "$bin" ./internal/devtools/bw-taxii)
	fi
	(umask 077 && head -c 18 /dev/urandom | base64 >"$STATE/taxii.pw")
	start bw-taxii bwl-gw "$bin" serve -listen "$TAXII" -user "$LAB_USER" -password-file "$STATE/taxii.pw"
	wait_for "TAXII test server on $TAXII in bwl-gw" taxii_up
}

taxii_up() { # the credentials go through stdin, not the command line
	printf 'user = "%s:%s"\n' "$LAB_USER" "$(cat "$STATE/taxii.pw")" |
		nsx bwl-gw curl -sf --max-time 3 -K - -H 'Accept: application/taxii+json;version=2.1' "$TAXII_COLLECTION" |
		grep -q '"can_write": *true'
}

xdp_attached() { # xdp_attached DEV: an XDP program on DEV in bwl-gw
	ip -n bwl-gw -d link show dev "$1" | grep -q 'prog/xdp id [0-9]'
}

metrics_up() { # metrics_up MODE: the endpoint serves the sensor's metrics
	local out
	out=$(nsx bwl-gw curl -sf --max-time 3 "http://$METRICS/metrics") || return 1
	grep -q '^borderwatch_' <<<"$out" || return 1
	# With XDP, the kernel stage's counters are readable through it.
	[ "$1" != xdp ] || grep -q '^borderwatch_kernel_events_total' <<<"$out"
}

# ---------------------------------------------------------------- commands

up() {
	need_root
	local t
	for t in "${LAB_TOOLS[@]}"; do command -v "$t" >/dev/null || die "missing $t (scripts/install-deps.sh installs it)"; done
	down
	trap 'rc=$?; if [ $rc -ne 0 ]; then log "up failed; tearing down"; down; fi' EXIT
	write_files
	topology
	services
	# Everything answers before the sensor starts (so that neighbour
	# discovery and ARP are done and no readiness probe is in a scenario).
	local t0=$SECONDS
	ready_network
	local t1=$SECONDS
	ready_services
	log "ready: links, addresses, routes in $((t1 - t0)) s; services in $((SECONDS - t1)) s"
	if [ "${BWL_SENSOR:-1}" != 0 ]; then sensor; fi
	trap - EXIT
	log "lab up (state in $STATE)"
}

# check: the readiness checks of up, against a running lab (exit 1 naming
# the first thing that does not answer).
check() {
	need_root
	ready_network
	ready_services
	if [ -s "$STATE/run/borderwatch.pid" ] && kill -0 "$(cat "$STATE/run/borderwatch.pid")" 2>/dev/null; then
		wait_for "sensor metrics endpoint http://$METRICS/metrics in bwl-gw" metrics_up "$(capture_mode)"
	fi
	log "lab ready"
}

status() {
	local ns
	for ns in "${NAMESPACES[@]}"; do
		if ip netns list 2>/dev/null | grep -qw "^$ns"; then
			printf '%-8s up   pids: %s\n' "$ns" "$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')"
		else
			printf '%-8s down\n' "$ns"
		fi
	done
	if ip netns list 2>/dev/null | grep -qw "^bwl-gw"; then
		nsx bwl-gw ip -br addr
		if nsx bwl-gw curl -s --max-time 3 "http://$METRICS/metrics" >"$STATE/metrics.txt" 2>/dev/null; then
			echo "kernel per-country counters (packets):"
			grep '^borderwatch_kernel_packets_total' "$STATE/metrics.txt" || echo "  (none: AF_PACKET capture has no kernel stage)"
			grep -E '^borderwatch_(alerts_total|kernel_events_total)' "$STATE/metrics.txt" || true
		else
			echo "sensor metrics unreachable"
		fi
		[ -f "$STATE/alerts.json" ] && echo "alerts: $(wc -l <"$STATE/alerts.json") in $STATE/alerts.json"
	fi
}

case "${1:-}" in
up) up ;;
down)
	need_root
	down
	log "lab down"
	;;
status) status ;;
check) check ;;
wordlists) wordlists ;;
*)
	echo "usage: $0 up|down|status|check|wordlists" >&2
	exit 2
	;;
esac
