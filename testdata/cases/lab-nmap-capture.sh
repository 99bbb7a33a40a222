#!/bin/bash
# Runs nmap scan types between two network namespaces joined by a veth pair
# (documentation addresses only, no route out) and captures each on the
# target side, for the lab-nmap-* detection cases. Run as root:
#   lab-nmap-capture.sh OUTDIR
# Namespaces are torn down on exit, also on failure.
set -eu
A=bwk-scanner; B=bwk-target; OUT=${1:?usage: lab-nmap-capture.sh OUTDIR (as root)}
cleanup() { ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true; }
trap cleanup EXIT

# setup SCANNER_ADDR TARGET_ADDRS...: fresh namespaces, the scanner's address
# on bwk0, the target's addresses on bwk1.
setup() {
  cleanup
  ip netns add $A; ip netns add $B
  ip link add bwk0 netns $A type veth peer name bwk1 netns $B
  ip -n $A addr add "$1/24" dev bwk0; shift
  for t in "$@"; do ip -n $B addr add "$t/24" dev bwk1; done
  ip -n $A link set bwk0 up; ip -n $A link set lo up
  ip -n $B link set bwk1 up; ip -n $B link set lo up
}

# scan NAME SCANNER_ADDR TARGETS NMAP_ARGS...: one capture, bounded in time.
scan() {
  local name=$1 scanner=$2 targets=$3; shift 3
  ip netns exec $B timeout 40 tcpdump -i bwk1 -w "$OUT/$name.pcap" -s 128 -U "host $scanner" >/dev/null 2>&1 &
  local tp=$!; sleep 1
  ip netns exec $A timeout 30 nmap -n --max-retries 0 "$@" $targets >/dev/null 2>&1 || true
  sleep 1; kill $tp; wait $tp 2>/dev/null || true
}

# Inbound: 192.0.2.200 (FR in the lab DB) scans 192.0.2.10 (DE, home).
setup 192.0.2.200 192.0.2.10
scan nmap-sA 192.0.2.200 192.0.2.10 -Pn -sA -p 1-100
scan nmap-sW 192.0.2.200 192.0.2.10 -Pn -sW -p 1-100
scan nmap-sO 192.0.2.200 192.0.2.10 -Pn -sO -F
scan nmap-sU 192.0.2.200 192.0.2.10 -Pn -sU -p 1-100 --min-rate 500

# Inbound sweeps: 192.0.2.200 sweeps 30 home hosts (192.0.2.11-40).
setup 192.0.2.200 $(seq -f 192.0.2.%g 11 40)
scan nmap-PA 192.0.2.200 192.0.2.11-40 -sn --disable-arp-ping -PA80
scan nmap-PU 192.0.2.200 192.0.2.11-40 -sn --disable-arp-ping -PU161

# Outbound: 192.0.2.10 (home) scans 192.0.2.200 (FR) and sweeps 30 FR hosts.
setup 192.0.2.10 192.0.2.200 $(seq -f 192.0.2.%g 131 160)
scan nmap-out-sA 192.0.2.10 192.0.2.200 -Pn -sA -p 1-100
scan nmap-out-sO 192.0.2.10 192.0.2.200 -Pn -sO -F
scan nmap-out-sU 192.0.2.10 192.0.2.200 -Pn -sU -p 1-100 --min-rate 500
scan nmap-out-PE 192.0.2.10 192.0.2.131-160 -sn --disable-arp-ping -PE
scan nmap-out-PU 192.0.2.10 192.0.2.131-160 -sn --disable-arp-ping -PU161

# IPv6 protocol scan: 2001:db8:f::200 (FR) scans 2001:db8:de::10 (DE, home).
# nmap sends most protocols as a bare IPv6 header (payload length 0).
setup 192.0.2.200 192.0.2.10
ip -n $A addr add 2001:db8:f::200/64 dev bwk0 nodad
ip -n $B addr add 2001:db8:de::10/64 dev bwk1 nodad
ip -n $A -6 route add 2001:db8:de::/64 dev bwk0
ip -n $B -6 route add 2001:db8:f::/64 dev bwk1
sleep 1
scan nmap-sO-ipv6 2001:db8:f::200 2001:db8:de::10 -6 -Pn -sO -F
ls -la "$OUT"
