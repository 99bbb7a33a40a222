#!/bin/bash
# Runs masscan, zmap, hydra, medusa and ncrack between two network
# namespaces joined by a veth pair (documentation addresses only, no route
# out), inbound (a foreign host attacks home) and outbound (a home host
# attacks abroad), and captures each run on the target side for the
# lab-{masscan,zmap,hydra,medusa,ncrack}-* detection cases and their benign
# look-alikes (lab-benign-*). Run as root:
#   lab-tools-capture.sh OUTDIR
# ONLY=REGEX runs only the captures whose name matches (e.g. ONLY='hydra.*').
# zmap gets CIDR targets: zmap 2.1.1 sometimes aborts on an allowlist of
# single addresses (constraint_lookup_index assertion).
# Every run is bounded by timeout(1) and the tools' own counts and rates;
# sshd is ended and the namespaces are torn down on exit, also on failure.
set -eu
A=bwt-attacker; B=bwt-target; OUT=${1:?usage: lab-tools-capture.sh OUTDIR (as root)}
T=$(mktemp -d /tmp/bwt-capture.XXXXXX)
cleanup() {
  if [ -s "$T/sshd.pid" ]; then kill "$(cat "$T/sshd.pid")" 2>/dev/null || true; rm -f "$T/sshd.pid"; fi
  # shellcheck disable=SC2046
  if [ -s "$T/bg.pids" ]; then kill $(cat "$T/bg.pids") 2>/dev/null || true; rm -f "$T/bg.pids"; fi
  ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true
}
trap 'cleanup; rm -rf "$T"' EXIT
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)

# Brute-force material: a throw-away host key, an sshd that allows two
# guesses per connection (so a tool reconnects, as against a hardened
# server), and wrong guesses only.
ssh-keygen -q -t ed25519 -N '' -f "$T/host_ed25519"
cat >"$T/sshd.conf" <<EOF
Port 22
ListenAddress 0.0.0.0
HostKey $T/host_ed25519
PidFile $T/sshd.pid
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication no
PermitRootLogin no
MaxAuthTries 2
MaxStartups 200:30:400
LoginGraceTime 10
UseDNS no
LogLevel ERROR
EOF
for i in $(seq 1 40); do echo "guess$i"; done >"$T/pw40"
printf 'guess1\nguess2\n' >"$T/pw2"
mkdir -p /run/sshd
cd "$T" # hydra writes its restore file in the working directory

# setup ATTACKER_ADDR TARGET_ADDRS...: fresh namespaces, the attacker's
# address on bwt0, the targets' addresses on bwt1, sshd on the targets.
setup() {
  cleanup
  ip netns add $A; ip netns add $B
  ip link add bwt0 netns $A type veth peer name bwt1 netns $B
  ip -n $A addr add "$1/24" dev bwt0; shift
  for t in "$@"; do ip -n $B addr add "$t/24" dev bwt1; done
  ip -n $A link set bwt0 up; ip -n $A link set lo up
  ip -n $B link set bwt1 up; ip -n $B link set lo up
  ip netns exec $A ethtool -K bwt0 tso off gso off gro off >/dev/null 2>&1 || true
  ip netns exec $B ethtool -K bwt1 tso off gso off gro off >/dev/null 2>&1 || true
  ip netns exec $B /usr/sbin/sshd -f "$T/sshd.conf" -E "$T/sshd.log"
  for _ in $(seq 50); do [ -s "$T/sshd.pid" ] && break; sleep 0.1; done
  sleep 0.5
}

# run NAME ATTACKER_ADDR CMD...: one capture of CMD in the attacker's
# namespace (bwt-attacker; NS=bwt-target runs it on the target side),
# bounded in time. ATTACKER_ADDR is a host or a tcpdump filter.
run() {
  local name=$1 filter=$2; shift 2
  if [ -n "${ONLY:-}" ] && ! [[ $name =~ ^($ONLY)$ ]]; then return; fi
  case $filter in *" "*) ;; *) filter="host $filter" ;; esac
  ip netns exec $B timeout 100 tcpdump -i bwt1 -w "$OUT/$name.pcap" -s 128 -U "$filter" >/dev/null 2>&1 &
  local tp=$!; sleep 1
  local c="$*"; echo "== $name: ${c:0:100}"
  ip netns exec "${NS:-$A}" timeout 80 "$@" 2>&1 | tail -3 || true
  sleep 1; kill $tp; wait $tp 2>/dev/null || true
}

gwmac() { ip netns exec $B cat /sys/class/net/bwt1/address; }
range() { seq -f "$1%g" "$2" "$3"; } # range PREFIX FROM TO: one address a line

# Inbound: 192.0.2.200 (FR in the lab DB) attacks home (DE): 192.0.2.10
# and the 30 home hosts 192.0.2.11-40.
setup 192.0.2.200 192.0.2.10 $(range 192.0.2. 11 40)
run masscan 192.0.2.200 masscan 192.0.2.10 -p1-100 --rate 500 --wait 1 \
  --adapter bwt0 --adapter-ip 192.0.2.200 --router-ip 192.0.2.10
run masscan-pU 192.0.2.200 masscan 192.0.2.11-192.0.2.40 -pU:161 --rate 500 --wait 1 \
  --adapter bwt0 --adapter-ip 192.0.2.200 --router-ip 192.0.2.10
run zmap 192.0.2.200 zmap -q -p 80 -r 500 -c 1 -i bwt0 -S 192.0.2.200 -G "$(gwmac)" \
  -b /dev/null -o /dev/null 192.0.2.0/27
run hydra 192.0.2.200 hydra -l root -P "$T/pw40" -t 24 -I ssh://192.0.2.10
run medusa 192.0.2.200 medusa -h 192.0.2.10 -u root -P "$T/pw40" -M ssh -t 4
run ncrack 192.0.2.200 ncrack -g at=2,cl=4 --user root -P "$T/pw40" ssh://192.0.2.10

# Outbound: home 192.0.2.10 (DE) attacks 192.0.2.200 and the FR hosts
# 192.0.2.131-160 (30, for sweeps) or 192.0.2.131-152 (22, for password
# spraying: more than the 20 distinct hosts of 8100404, fewer than the 25 of
# the sweep rule 8100203, so the case shows the brute-force rule alone).
setup 192.0.2.10 192.0.2.200 $(range 192.0.2. 131 160)
range 192.0.2. 131 152 >"$T/fr22"
run masscan-out 192.0.2.10 masscan 192.0.2.200 -p1-100 --rate 500 --wait 1 \
  --adapter bwt0 --adapter-ip 192.0.2.10 --router-ip 192.0.2.200
run masscan-out-pU 192.0.2.10 masscan 192.0.2.131-192.0.2.160 -pU:161 --rate 500 --wait 1 \
  --adapter bwt0 --adapter-ip 192.0.2.10 --router-ip 192.0.2.200
run zmap-out 192.0.2.10 zmap -q -p 23 -r 500 -c 1 -i bwt0 -S 192.0.2.10 -G "$(gwmac)" \
  -b /dev/null -o /dev/null 192.0.2.128/27
run zmap-out-icmp 192.0.2.10 zmap -q -M icmp_echoscan -r 500 -c 1 -i bwt0 -S 192.0.2.10 -G "$(gwmac)" \
  -b /dev/null -o /dev/null 192.0.2.128/27
run hydra-out 192.0.2.10 hydra -l root -P "$T/pw2" -t 1 -T 22 -I -M "$T/fr22" ssh
run medusa-out 192.0.2.10 medusa -H "$T/fr22" -u root -P "$T/pw2" -M ssh -T 22 -t 1
run ncrack-out 192.0.2.10 ncrack -g at=2,cl=1 --user root -P "$T/pw2" -p ssh:22 192.0.2.131-152

# Outbound brute force against ONE host abroad (192.0.2.200): each tool
# with its usual parallelism and 200 wrong passwords, two guesses per
# connection (about 100 connections). Then the benign look-alike: 30
# sequential SSH sessions that log in with a key and run a command, one
# every 2 s (a script or CI job reaching one server for a minute), against
# an sshd that accepts that key (sshd-ok.conf, restarted for this run only).
for i in $(seq 1 200); do echo "guess$i"; done >"$T/pw200"
run hydra-out-one 192.0.2.10 hydra -l root -P "$T/pw200" -t 16 -I ssh://192.0.2.200
run medusa-out-one 192.0.2.10 medusa -h 192.0.2.200 -u root -P "$T/pw200" -M ssh -t 4
run ncrack-out-one 192.0.2.10 ncrack -g cl=4 --user root -P "$T/pw200" ssh://192.0.2.200
if [ -z "${ONLY:-}" ] || [[ benign-ssh-sessions =~ ^($ONLY)$ ]]; then
  ssh-keygen -q -t ed25519 -N '' -f "$T/client_ed25519"
  cp "$T/client_ed25519.pub" "$T/authorized_keys"; chmod 600 "$T/authorized_keys"
  sed -e 's/^PubkeyAuthentication no/PubkeyAuthentication yes/' \
    -e 's/^PermitRootLogin no/PermitRootLogin prohibit-password/' "$T/sshd.conf" >"$T/sshd-ok.conf"
  printf 'AuthorizedKeysFile %s\nStrictModes no\n' "$T/authorized_keys" >>"$T/sshd-ok.conf"
  kill "$(cat "$T/sshd.pid")"; for _ in $(seq 50); do [ -s "$T/sshd.pid" ] || break; sleep 0.1; done; sleep 0.5
  ip netns exec $B /usr/sbin/sshd -f "$T/sshd-ok.conf" -E "$T/sshd.log"
  for _ in $(seq 50); do [ -s "$T/sshd.pid" ] && break; sleep 0.1; done; sleep 0.5
  run benign-ssh-sessions 192.0.2.10 bash -c 'ok=0; for _ in $(seq 30); do
    ssh -n -i '"$T"'/client_ed25519 -o BatchMode=yes -o StrictHostKeyChecking=no \
      -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR root@192.0.2.200 true && ok=$((ok+1)); sleep 2; done
    echo "$ok of 30 sessions ran"'
fi

# Reflection with few reflectors: 192.0.2.201-203 (FR) send 300 unsolicited
# 1200-byte UDP datagrams each (1.1 MB in all, 900 packets: under the
# 1000-packet bar, over the 1 MB one) to home 192.0.2.10 port 40000, from
# ARD's port 3283 (a known amplifier) or from 27015 (a game server's query
# port, on no list). hping3 sends from addresses the namespace owns.
setup 192.0.2.200 192.0.2.10
for r in 201 202 203; do ip -n $A addr add 192.0.2.$r/24 dev bwt0; done
reflect() { # reflect SRC_PORT: three hping3 runs in parallel
  local r
  for r in 201 202 203; do
    hping3 -q -2 -s "$1" -k -p 40000 -a 192.0.2.$r -d 1200 -c 300 -i u1000 192.0.2.10 >/dev/null 2>&1 &
  done
  wait
}
export -f reflect
run refl-few-ard "net 192.0.2.192/26" bash -c 'reflect 3283'
run refl-few-any "net 192.0.2.192/26" bash -c 'reflect 27015'

# Benign at the same scale, on the home side (NS=bwt-target):
# - a home UDP service (port 51820, a VPN's) whose 3 clients abroad, behind
#   NAT on ports below 32768, send 1.1 MB and get every datagram answered;
# - 3 resolvers abroad (dnsmasq on 192.0.2.201-203) answering 1200 TXT
#   queries of the home host with about 1 KB each (1.3 MB of solicited answers);
# - a 2 MB download over HTTP from one server abroad.
txt=$(printf 'a%.0s' $(seq 1 250))
ip netns exec $A dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --user=root --bind-interfaces \
  --listen-address=192.0.2.201 --listen-address=192.0.2.202 --listen-address=192.0.2.203 \
  --edns-packet-max=1400 --txt-record=big.refl.lab,"$txt","$txt","$txt","$txt" --pid-file="$T/dnsmasq.pid" &
dp=$!; echo $dp >>"$T/bg.pids"
head -c 2000000 /dev/urandom >"$T/big.bin"
ip netns exec $A timeout 120 python3 -m http.server 80 --bind 192.0.2.201 --directory "$T" >/dev/null 2>&1 &
hp=$!; echo $hp >>"$T/bg.pids"
ip netns exec $B timeout 120 python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.10", 51820))
s.settimeout(10)
for _ in range(900):
    try:
        d, a = s.recvfrom(2048)
    except socket.timeout:
        break
    s.sendto(d[:100], a)
' &
up=$!; echo $up >>"$T/bg.pids"
sleep 1
run benign-udp-service "net 192.0.2.192/26" python3 -c '
import socket, time
cs = []
for i in range(3):
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.bind(("192.0.2.20%d" % (i + 1), 20001 + i))
    c.settimeout(2)
    cs.append(c)
for n in range(300):
    for c in cs:
        c.sendto(b"x" * 1200, ("192.0.2.10", 51820))
        c.recvfrom(2048)
    time.sleep(0.002)
print("sent 900, answered 900")
'
for r in 201 202 203; do for _ in $(seq 400); do echo "big.refl.lab TXT"; done >"$T/q$r"; done
NS=$B run benign-dns-answers "net 192.0.2.192/26" bash -c \
  'for r in 201 202 203; do dig +tries=1 +time=2 +bufsize=1400 @192.0.2.$r -f '"$T"'/q$r >/dev/null & done; wait; echo done'
NS=$B run benign-download "net 192.0.2.192/26" curl -sS -o /dev/null -w '%{http_code} %{size_download}\n' http://192.0.2.201/big.bin
cleanup
ls -la "$OUT"
