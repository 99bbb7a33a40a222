#!/bin/bash
# Runs nmap scan types between two network namespaces joined by a veth pair
# (documentation addresses only, no route out) and captures each on the
# target side. Namespaces are torn down on exit, also on failure.
set -eu
A=bwk-scanner; B=bwk-target; OUT=${1:?usage: lab-nmap-capture.sh OUTDIR (as root)}
cleanup() { ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true; }
trap cleanup EXIT
cleanup
ip netns add $A; ip netns add $B
ip link add bwk0 netns $A type veth peer name bwk1 netns $B
ip -n $A addr add 192.0.2.200/24 dev bwk0; ip -n $A link set bwk0 up; ip -n $A link set lo up
ip -n $B addr add 192.0.2.10/24 dev bwk1; ip -n $B link set bwk1 up; ip -n $B link set lo up
# a few open services on the target
ip netns exec $B timeout 60 python3 -m http.server 80 --bind 192.0.2.10 >/dev/null 2>&1 &
scan() { # name, nmap args...
  local name=$1; shift
  ip netns exec $B timeout 40 tcpdump -i bwk1 -w $OUT/$name.pcap -s 128 -U 'host 192.0.2.200' >/dev/null 2>&1 &
  local tp=$!; sleep 1
  ip netns exec $A timeout 30 nmap -n -Pn --max-retries 0 "$@" 192.0.2.10 >/dev/null 2>&1 || true
  sleep 1; kill $tp; wait $tp 2>/dev/null || true
}
scan nmap-sA -sA -p 1-100
scan nmap-sW -sW -p 1-100
scan nmap-sO -sO -F
scan nmap-sU -sU -p 1-100 --min-rate 500
ls -la $OUT
