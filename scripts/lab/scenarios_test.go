//go:build linux

package lab

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Addresses of the lab (lab.sh). Every scenario uses its own attacker
// address and/or victim so that the rules' track keys (pair, source,
// destination) are fresh: a rule that fired stays quiet for its suppress
// period (up to 1 h) on the same key.
const (
	home     = "192.0.2.10" // bwl-lan: sshd, web, DNS
	home6    = "2001:db8:de::10"
	frHost   = "192.0.2.140" // bwl-fr: web, sshd
	cnServer = "198.51.100.80"
	c2       = "203.0.113.66" // listed (rules/lists/blocklist.txt, fetched from the lab's list server)
	c2v6     = "2001:db8:2::66"
)

var (
	eu       = []string{"EU"}
	homeJur  = []string{"home", "EU"}
	nmapBase = []string{"nmap", "-v", "-n", "-Pn", "-T4", "--max-retries", "1"}
)

func nmap(args ...string) []string { return append(append([]string{}, nmapBase...), args...) }

// inbound is an expected inbound alert to a home host.
func inbound(kind string, sid int, src, dst, proto, srcCC string, srcJur ...string) want {
	return want{kind: kind, sid: sid, src: src, dst: dst, proto: proto, srcCC: srcCC, dstCC: "DE",
		dir: "inbound", srcJur: srcJur, dstJur: homeJur}
}

// outbound is an expected outbound alert from a home host.
func outbound(kind string, sid int, src, dst, proto, dstCC string) want {
	return want{kind: kind, sid: sid, src: src, dst: dst, proto: proto, srcCC: "DE", dstCC: dstCC,
		dir: "outbound", srcJur: homeJur}
}

// nmapSent: nmap's "Raw packets sent", plus (with rst) one RST per open
// port, which the scanner's own kernel sends in answer to the SYN-ACKs of a
// half-open scan.
func nmapSent(cc string, rst bool) *recon {
	extra := ""
	if rst {
		extra = " (nmap's raw packets + 1 kernel RST per open port)"
	}
	return &recon{dir: "inbound", extra: extra, sent: func(outs []string, _, _ map[string]uint64) map[string]int64 {
		n := sumRe(reNmapRaw, outs)
		if rst {
			n += countRe(reNmapOpen, outs)
		}
		return map[string]int64{cc: n}
	}}
}

func hpingSent(cc string) *recon {
	return &recon{dir: "inbound", sent: func(outs []string, _, _ map[string]uint64) map[string]int64 {
		return map[string]int64{cc: sumRe(reHping, outs)}
	}}
}

// ssh options for the lab's key-based logins.
func sshArgs(state string, extra ...string) []string {
	a := []string{"ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "LogLevel=ERROR", "-i", filepath.Join(state, "ssh", "client_ed25519")}
	return append(a, extra...)
}

// hpingFlood is n parallel hping3 runs, one per spoofed source.
func hpingFlood(ns string, srcs []string, count int, mode []string, dst string) []cmd {
	var cs []cmd
	for _, s := range srcs {
		args := append([]string{"hping3", "-q", "-c", fmt.Sprint(count), "-i", "u1000", "-a", s}, mode...)
		cs = append(cs, cmd{ns: ns, limit: 20 * time.Second, args: append(args, dst), okExit: []int{1}, mustOut: `packets transmitted`})
	}
	return cs
}

func seqAddrs(prefix string, from, to int) []string {
	var a []string
	for i := from; i <= to; i++ {
		a = append(a, fmt.Sprintf("%s%d", prefix, i))
	}
	return a
}

// reflectors: 4 addresses in each of three reflector namespaces (CN, RU, FR).
var reflectors = map[string][]string{
	"CN": seqAddrs("198.51.100.", 53, 56),
	"RU": seqAddrs("203.0.113.", 53, 56),
	"FR": seqAddrs("192.0.2.", 153, 156),
}

// gwMAC is a shell word for the MAC address of the gateway's interface
// (wan0 for the WAN hosts, lan0 for home): zmap sends to it (-G), as the
// lab has no default route for zmap to find its gateway by.
func gwMAC(iface string) string {
	return `"$(ip -n bwl-gw -br link show ` + iface + ` | awk '{print $3}')"`
}

// zmapArgs runs zmap at 300 probes/s from src on eth0 through the
// gateway's iface: the documentation prefixes are on zmap's default block
// list, so it gets an empty one (-b /dev/null). The target is a CIDR:
// zmap 2.1.1 sometimes aborts on a list of single addresses
// (constraint_lookup_index assertion).
func zmapArgs(src, iface, extra, cidr string) []string {
	return []string{"sh", "-c", "exec zmap -q -r 300 -c 1 -i eth0 -S " + src + " -G " + gwMAC(iface) +
		" -b /dev/null -o /dev/null " + extra + " " + cidr}
}

// fromHomeAddr runs args in bwl-lan with src as the source address of its
// connections abroad (the routes' src hint), and puts the routes back
// after, also when timeout(1) ends it: hydra, medusa and ncrack have no
// option to bind a source address, and each outbound brute-force scenario
// needs a home source of its own (the rule tracks the source).
func fromHomeAddr(src string, args ...string) []string {
	const nets = "198.51.100.0/24 203.0.113.0/24 192.0.2.128/25"
	script := `restore() { for p in ` + nets + `; do ip route replace $p via 192.0.2.1; done; }
trap restore EXIT; trap 'exit 143' TERM INT
for p in ` + nets + `; do ip route replace $p via 192.0.2.1 src ` + src + `; done
"$@"`
	return append([]string{"sh", "-c", script, "sh"}, args...)
}

// sprayTargets: the 21 SSH servers abroad (sshd listens on every address
// of bwl-cn and bwl-fr): more than the 20 distinct hosts of the outbound
// brute-force rule 8100404, fewer than the 25 of the sweep rule 8100203.
var sprayTargets = append(append(seqAddrs("198.51.100.", 10, 19), "198.51.100.80"), seqAddrs("192.0.2.", 140, 149)...)

func scenarios(state string) []scenario {
	var (
		query    = filepath.Join(state, "query.bin")
		pwList   = filepath.Join(state, "passwords.txt")
		hydraPw  = filepath.Join(state, "passwords-hydra.txt") // the password 25th of 73 (lab.sh)
		upload   = filepath.Join(state, "upload.bin")
		spray    = filepath.Join(state, "spray-targets.txt")
		medusaPw = filepath.Join(state, "passwords-95.txt")
	)
	writeSpray := cmd{ns: "bwl-lan", limit: 5 * time.Second,
		args: []string{"sh", "-c", "printf '%s\\n' \"$@\" >" + spray, "sh"}}
	writeSpray.args = append(writeSpray.args, sprayTargets...)
	sprayWant := func(src string) want {
		w := outbound("bruteforce", 8100404, src, "198.51.100.0/24 192.0.2.128/25", "TCP", "CN|FR")
		w.dstPort = 22
		return w
	}
	// DNS reflection: the RU attacker spoofs the victim (192.0.2.22) and
	// sends 300 TXT queries to each of the 12 reflector addresses; the
	// ~1 KB answers converge on the victim through the gateway.
	var reflect []cmd
	for _, cc := range []string{"CN", "RU", "FR"} {
		for _, r := range reflectors[cc] {
			reflect = append(reflect, cmd{ns: "bwl-ru", limit: 20 * time.Second, okExit: []int{1}, mustOut: `packets transmitted`,
				args: []string{"hping3", "-q", "-2", "-p", "53", "-s", "40000", "-k", "-a", "192.0.2.22", "-E", query, "-d", "41",
					"-c", "300", "-i", "u2000", r}})
		}
	}
	curl := func(ns, url string) cmd {
		return cmd{ns: ns, limit: 20 * time.Second, args: []string{"curl", "-sSf", "-o", "/dev/null", "-w", "%{http_code} %{size_download}\n", url}, mustOut: `^200 `}
	}
	dig := func(ns, server, name, typ, must string) cmd {
		return cmd{ns: ns, limit: 10 * time.Second, args: []string{"dig", "+short", "+tries=1", "+time=3", "@" + server, name, typ}, mustOut: must}
	}
	ping := func(ns string, args ...string) cmd {
		return cmd{ns: ns, limit: 10 * time.Second, args: append([]string{"ping", "-c", "3", "-i", "0.2", "-W", "2"}, args...), mustOut: ` 0% packet loss`}
	}

	return []scenario{
		// ------------------------------------------------------------ attacks
		{
			name:  "nmap-syn-scan-cn",
			steps: [][]cmd{{{ns: "bwl-cn", limit: 30 * time.Second, args: nmap("-sS", "-p", "1-100", "-S", "198.51.100.11", "-e", "eth0", "192.0.2.11"), mustOut: `Raw packets sent`}}},
			want:  []want{inbound("scan", 8100101, "198.51.100.11", "192.0.2.11", "TCP", "CN", "BRICS")},
			recon: nmapSent("CN", true),
		},
		{
			name:  "nmap-syn-scan-cn-ipv6",
			steps: [][]cmd{{{ns: "bwl-cn", limit: 30 * time.Second, args: nmap("-6", "-sS", "-p", "1-100", "-S", "2001:db8:1::10", "-e", "eth0", "2001:db8:de::11"), mustOut: `Raw packets sent`}}},
			want:  []want{inbound("scan", 8100101, "2001:db8:1::10", "2001:db8:de::11", "TCP", "CN", "BRICS")},
			recon: nmapSent("CN", true),
		},
		{
			// A connect scan goes through the scanner's kernel: its IP
			// output counter is what it sent.
			name:   "nmap-connect-scan-ru",
			steps:  [][]cmd{{{ns: "bwl-ru", limit: 30 * time.Second, args: nmap("-sT", "-p", "1-100", "192.0.2.12"), mustOut: `Nmap done`}}},
			want:   []want{inbound("scan", 8100101, "203.0.113.10", "192.0.2.12", "TCP", "RU", "BRICS", "CIS")},
			nstats: []string{"bwl-ru:IpOutRequests"},
			recon: &recon{dir: "inbound", extra: " (the scanner's IpOutRequests)", sent: func(_ []string, b, a map[string]uint64) map[string]int64 {
				return map[string]int64{"RU": int64(a["bwl-ru:IpOutRequests"] - b["bwl-ru:IpOutRequests"])}
			}},
		},
		{
			name:  "nmap-fin-scan-fr",
			steps: [][]cmd{{{ns: "bwl-fr", limit: 30 * time.Second, args: nmap("-sF", "-p", "1-100", "-S", "192.0.2.141", "-e", "eth0", "192.0.2.13"), mustOut: `Raw packets sent`}}},
			want:  []want{inbound("scan", 8100101, "192.0.2.141", "192.0.2.13", "TCP", "FR", eu...)},
			recon: nmapSent("FR", false),
		},
		{
			name:  "nmap-null-scan-ru-ipv6",
			steps: [][]cmd{{{ns: "bwl-ru", limit: 30 * time.Second, args: nmap("-6", "-sN", "-p", "1-100", "-S", "2001:db8:2::10", "-e", "eth0", "2001:db8:de::13"), mustOut: `Raw packets sent`}}},
			want:  []want{inbound("scan", 8100101, "2001:db8:2::10", "2001:db8:de::13", "TCP", "RU")},
			recon: nmapSent("RU", false),
		},
		{
			name:  "nmap-xmas-scan-cn",
			steps: [][]cmd{{{ns: "bwl-cn", limit: 30 * time.Second, args: nmap("-sX", "-p", "1-100", "-S", "198.51.100.12", "-e", "eth0", "192.0.2.14"), mustOut: `Raw packets sent`}}},
			want:  []want{inbound("scan", 8100101, "198.51.100.12", "192.0.2.14", "TCP", "CN")},
			recon: nmapSent("CN", false),
		},
		{
			name:  "nmap-udp-scan-ru",
			steps: [][]cmd{{{ns: "bwl-ru", limit: 40 * time.Second, args: nmap("-sU", "-p", "1-60", "--host-timeout", "30s", "-S", "203.0.113.11", "-e", "eth0", "192.0.2.15"), mustOut: `Raw packets sent`}}},
			want:  []want{inbound("scan", 8100102, "203.0.113.11", "192.0.2.15", "UDP", "RU")},
			recon: nmapSent("RU", false),
		},
		{
			// masscan: 200 SYNs at 400 packets/s from an address of its
			// own (the scanner's kernel stays out), and masscan resets
			// every probe that was answered (all are: RST or SYN-ACK), so
			// 400 packets; tcpdump on the gateway's bridge port agrees.
			name: "masscan-cn",
			steps: [][]cmd{{{ns: "bwl-cn", limit: 30 * time.Second, args: []string{"masscan", "192.0.2.16", "-p1-200", "--rate", "400",
				"--adapter", "eth0", "--adapter-ip", "198.51.100.20", "--router-ip", "198.51.100.1", "--wait", "1"}, mustOut: `Discovered open port 22/tcp`}}},
			want: []want{inbound("scan", 8100101, "198.51.100.20", "192.0.2.16", "TCP", "CN")},
			recon: &recon{dir: "inbound", extra: " (masscan: 200 SYNs + 200 RSTs)", sent: func(_ []string, _, _ map[string]uint64) map[string]int64 {
				return map[string]int64{"CN": 400}
			}},
		},
		{
			name:  "nmap-ping-sweep-fr",
			steps: [][]cmd{{{ns: "bwl-fr", limit: 40 * time.Second, args: []string{"nmap", "-v", "-n", "-sn", "-PE", "-T4", "--max-retries", "1", "-S", "192.0.2.142", "-e", "eth0", "192.0.2.0/27"}, mustOut: `Raw packets sent`}}},
			want:  []want{inbound("sweep", 8100202, "192.0.2.142", "192.0.2.0/27", "ICMP", "FR", eu...)},
			recon: nmapSent("FR", false),
		},
		{
			// Five hping3 runs, each from its own spoofed RU address.
			name:  "hping3-syn-flood-spoofed-ru",
			steps: [][]cmd{hpingFlood("bwl-ru", seqAddrs("203.0.113.", 100, 104), 1000, []string{"-S", "-p", "80"}, "192.0.2.20")},
			want:  []want{inbound("flood", 1090302, strings.Join(seqAddrs("203.0.113.", 100, 104), " "), "192.0.2.20", "TCP", "RU")},
			recon: hpingSent("RU"),
		},
		{
			name:  "hping3-udp-flood-spoofed-ru",
			steps: [][]cmd{hpingFlood("bwl-ru", seqAddrs("203.0.113.", 110, 119), 300, []string{"-2", "-p", "123", "-d", "64"}, "192.0.2.21")},
			want:  []want{inbound("flood", 1090301, "203.0.113.96/27", "192.0.2.21", "UDP", "RU")},
			recon: hpingSent("RU"),
		},
		{
			// 24 parallel tasks: hydra (libssh) tries several passwords per
			// connection, and the 24 workers' connections cross the
			// default rule's 20 connections before the 25th guess, the
			// password, is found.
			name: "hydra-ssh-bruteforce-cn",
			steps: [][]cmd{{{ns: "bwl-cn", limit: 60 * time.Second, args: []string{"hydra", "-l", "bwlab", "-P", hydraPw, "-t", strconv.Itoa(hydraTasks), "-f", "-I", "ssh://" + home},
				mustOut: `1 valid password found`}}},
			want: []want{func() want {
				w := inbound("bruteforce", 8100401, "198.51.100.10", home, "TCP", "CN")
				w.dstPort = 22
				return w
			}()},
		},
		{
			// masscan's twin of the inbound scan, outbound: a UDP sweep of
			// SNMP over 30 CN addresses (issue 14: a home host running
			// masscan -pU abroad raised nothing).
			name: "masscan-udp-sweep-de-to-cn",
			steps: [][]cmd{{{ns: "bwl-lan", limit: 30 * time.Second, args: []string{"masscan", "198.51.100.100-198.51.100.129", "-pU:161",
				"--rate", "300", "--adapter", "eth0", "--adapter-ip", "192.0.2.33", "--router-ip", "192.0.2.1", "--wait", "1"}, mustOut: `Scanning 30 hosts`}}},
			want: []want{outbound("sweep", 8100206, "192.0.2.33", "198.51.100.96/27 198.51.100.128/31", "UDP", "CN")},
		},
		{
			// zmap SYN sweep of port 80 over 32 home addresses that no
			// host holds (the live ones would answer with RSTs, which
			// the lab volume rule counts for the upload scenario's
			// source 192.0.2.31).
			name:  "zmap-sweep-ru",
			steps: [][]cmd{{{ns: "bwl-ru", limit: 30 * time.Second, args: zmapArgs("203.0.113.12", "wan0", "-p 80", "192.0.2.64/27"), mustOut: `completed`}}},
			want:  []want{inbound("sweep", 8100201, "203.0.113.12", "192.0.2.64/27", "TCP", "RU", "BRICS", "CIS")},
		},
		{
			// zmap from home: a Telnet sweep over 32 RU addresses (none of
			// them a host), as a bot spreading.
			name:  "zmap-sweep-de-to-ru",
			steps: [][]cmd{{{ns: "bwl-lan", limit: 30 * time.Second, args: zmapArgs("192.0.2.34", "lan0", "-p 23", "203.0.113.128/27"), mustOut: `completed`}}},
			want:  []want{outbound("sweep", 8100203, "192.0.2.34", "203.0.113.128/27", "TCP", "RU")},
		},
		{
			// medusa makes about 3 guesses per connection against the
			// lab's sshd (6 tries allowed): 25 guesses are 9 connections,
			// below the rule's 20, so it gets 70 more wrong ones first.
			name: "medusa-ssh-bruteforce-ru",
			steps: [][]cmd{
				{{ns: "bwl-ru", limit: 5 * time.Second, args: []string{"sh", "-c", `seq -f 'm%g' 70 >"$1"; cat "$2" >>"$1"`, "sh", medusaPw, pwList}}},
				{{ns: "bwl-ru", limit: 60 * time.Second, args: []string{"medusa", "-h", home, "-u", "bwlab", "-P", medusaPw, "-M", "ssh", "-t", "4", "-f"},
					mustOut: `ACCOUNT FOUND: \[ssh\]`}},
			},
			want: []want{func() want {
				w := inbound("bruteforce", 8100401, "203.0.113.10", home, "TCP", "RU", "BRICS", "CIS")
				w.dstPort = 22
				return w
			}()},
		},
		{
			// ncrack, one guess per connection (at=1).
			name: "ncrack-ssh-bruteforce-fr",
			steps: [][]cmd{{{ns: "bwl-fr", limit: 60 * time.Second, args: []string{"ncrack", "-g", "cl=4,at=1", "--user", "bwlab", "-P", pwList, "ssh://" + home},
				mustOut: `Discovered credentials`}}},
			want: []want{func() want {
				w := inbound("bruteforce", 8100401, "192.0.2.140", home, "TCP", "FR", eu...)
				w.dstPort = 22
				return w
			}()},
		},
		{
			// Password spraying abroad from home, one wrong guess per
			// server: hydra, medusa and ncrack, each from a home address
			// of its own.
			name: "hydra-ssh-spray-de",
			steps: [][]cmd{{writeSpray}, {{ns: "bwl-lan", limit: 60 * time.Second,
				args:    fromHomeAddr("192.0.2.35", "hydra", "-l", "bwlab", "-p", "wrong", "-t", "1", "-T", "21", "-I", "-M", spray, "ssh"),
				mustOut: `21 of 21 targets completed, 0 valid password`}}},
			want: []want{sprayWant("192.0.2.35")},
		},
		{
			name: "medusa-ssh-spray-de",
			steps: [][]cmd{{writeSpray}, {{ns: "bwl-lan", limit: 60 * time.Second,
				args:    fromHomeAddr("192.0.2.36", "medusa", "-H", spray, "-u", "bwlab", "-p", "wrong", "-M", "ssh", "-T", "21", "-t", "1"),
				mustOut: `ACCOUNT CHECK: \[ssh\]`}}},
			want: []want{sprayWant("192.0.2.36")},
		},
		{
			name: "ncrack-ssh-spray-de",
			steps: [][]cmd{{{ns: "bwl-lan", limit: 60 * time.Second,
				args:    fromHomeAddr("192.0.2.37", append([]string{"ncrack", "-g", "cl=1,at=1", "--user", "bwlab", "--pass", "wrong", "-p", "ssh:22"}, sprayTargets...)...),
				mustOut: `Ncrack done: 21 services`}}},
			want: []want{sprayWant("192.0.2.37")},
		},
		{
			name:  "dns-reflection-on-home",
			steps: [][]cmd{reflect},
			want: []want{{kind: "amplification", sid: 8100501, src: strings.Join(slices.Concat(reflectors["CN"], reflectors["RU"], reflectors["FR"]), " "),
				dst: "192.0.2.22", proto: "UDP", srcCC: "CN|RU|FR", dstCC: "DE", dir: "inbound", dstJur: homeJur}},
			nstats: []string{"bwl-rcn:UdpOutDatagrams", "bwl-rru:UdpOutDatagrams", "bwl-rfr:UdpOutDatagrams"},
			recon: &recon{dir: "inbound", extra: " (the reflectors' UdpOutDatagrams: DNS answers)", sent: func(_ []string, b, a map[string]uint64) map[string]int64 {
				d := func(k string) int64 { return int64(a[k] - b[k]) }
				return map[string]int64{"CN": d("bwl-rcn:UdpOutDatagrams"), "RU": d("bwl-rru:UdpOutDatagrams"), "FR": d("bwl-rfr:UdpOutDatagrams")}
			}},
		},
		{
			// A home host calls its command-and-control server on a listed
			// address: the request is outbound to a listed address, the
			// answer inbound from one.
			name:  "listed-c2-beacon",
			steps: [][]cmd{{curl("bwl-lan", "http://"+c2+"/index.html")}},
			want: []want{
				outbound("reputation", 8100602, home, c2, "TCP", "RU"),
				inbound("reputation", 8100601, c2, home, "TCP", "RU"),
			},
		},
		{
			name:  "listed-ipv6-ping",
			steps: [][]cmd{{ping("bwl-ru", "-6", "-I", c2v6, home6)}},
			want: []want{
				inbound("reputation", 8100601, c2v6, home6, "IPv6-ICMP", "RU"),
				outbound("reputation", 8100602, home6, c2v6, "IPv6-ICMP", "RU"),
			},
		},
		{
			name:  "outbound-scan-de-to-cn",
			steps: [][]cmd{{{ns: "bwl-lan", limit: 30 * time.Second, args: nmap("-sS", "-p", "1-100", "-S", "192.0.2.30", "-e", "eth0", cnServer), mustOut: `Raw packets sent`}}},
			want:  []want{outbound("scan", 8100103, "192.0.2.30", cnServer, "TCP", "CN")},
			recon: func() *recon { r := nmapSent("CN", true); r.dir = "outbound"; return r }(),
		},
		{
			// 24 MB over SSH to CN (outside the EU) crosses the lab volume
			// rule's 4 MB.
			name: "bulk-upload-de-to-cn",
			steps: [][]cmd{{{ns: "bwl-lan", limit: 60 * time.Second, stdin: upload,
				args: sshArgs(state, "-b", "192.0.2.31", "bwlab@"+cnServer, "cat >/dev/null && echo uploaded"), mustOut: `uploaded`}}},
			want: []want{outbound("volume", 1090801, "192.0.2.31", cnServer, "TCP", "CN")},
		},

		// ------------------------------------------------------------ benign
		{
			name: "benign-web",
			steps: [][]cmd{{
				curl("bwl-lan", "http://"+frHost+"/index.html"), curl("bwl-lan", "http://"+frHost+"/file3.txt"),
				curl("bwl-lan", "http://[2001:db8:f::10]/file1.txt"), curl("bwl-fr", "http://"+home+"/index.html"),
				curl("bwl-cn", "http://"+home+"/file2.txt"), curl("bwl-ru", "http://["+home6+"]/index.html"),
			}},
		},
		{
			name: "benign-dns",
			steps: [][]cmd{{
				dig("bwl-lan", "198.51.100.53", "www.refl.lab", "A", `192\.0\.2\.140`),
				dig("bwl-lan", "2001:db8:2::53", "www.refl.lab", "A", `192\.0\.2\.140`),
				dig("bwl-fr", home, "www.home.lab", "AAAA", `2001:db8:de::10`),
				dig("bwl-cn", home6, "www.home.lab", "A", `192\.0\.2\.10`),
				dig("bwl-ru", home, "home.lab", "TXT", `borderwatch lab home`),
			}},
		},
		{
			name: "benign-ssh-login",
			steps: [][]cmd{{
				{ns: "bwl-fr", limit: 20 * time.Second, args: sshArgs(state, "bwlab@"+home, "echo logged-in"), mustOut: `logged-in`},
				{ns: "bwl-lan", limit: 20 * time.Second, args: sshArgs(state, "bwlab@"+cnServer, "echo logged-in"), mustOut: `logged-in`},
			}},
		},
		{
			name: "benign-ping",
			steps: [][]cmd{{
				ping("bwl-cn", home), ping("bwl-lan", frHost), ping("bwl-ru", "-6", home6), ping("bwl-lan", "-6", "2001:db8:1::80"),
			}},
		},
		{
			name:  "benign-large-download",
			steps: [][]cmd{{curl("bwl-lan", "http://"+cnServer+"/big.bin"), curl("bwl-lan", "http://["+"2001:db8:f::10"+"]/big.bin")}},
		},
		{
			// The same 24 MB to FR: inside the EU, like home, so the lab
			// volume rule (to "!EU") stays silent.
			name: "benign-upload-within-eu",
			steps: [][]cmd{{{ns: "bwl-lan", limit: 60 * time.Second, stdin: upload,
				args: sshArgs(state, "-b", "192.0.2.32", "bwlab@"+frHost, "cat >/dev/null && echo uploaded"), mustOut: `uploaded`}}},
		},
	}
}
