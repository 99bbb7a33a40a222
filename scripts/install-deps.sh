#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine: the tools the
# privileged and integration tests drive, and the Go modules. Idempotent; as
# root it installs missing Debian packages, otherwise it only reports them.
set -euo pipefail

pkgs=(
	clang llvm libbpf-dev bpftool # make generate / check-generate (BPF C → bpf2go)
	iproute2                      # network namespaces for the privileged tests
	tcpdump tshark                # capture cross-checks
	nmap hping3 masscan hydra     # lab attack tools
	zmap medusa ncrack            # lab attack tools (testdata/cases/lab-tools-capture.sh, lab scenarios)
	openssh-server openssh-client # lab services
	dnsmasq-base bind9-dnsutils   # lab DNS servers and reflectors (dnsmasq), dig
	curl iputils-ping ethtool python3 # lab web client and server (http.server), ping, offloads
	rsyslog rsyslog-openssl redis-server kcat # SIEM sink integration tests (syslog TLS via ossl)
	fever                         # a real EVE consumer (DCSO fever) reads the alerts
	logrotate                     # borderwatch tail follows files logrotate rotates (sensor/alert/tail)
	netsniff-ng                   # live throughput (trafgen)
	chromium                      # the console's browser tests (console/*_browser_test.go, chromedp)
	softflowd nfdump              # make bench: flow exporters side by side (softflowd -r, nfpcapd)
	valgrind                      # scripts/bench-instr.sh: instructions per op on a loaded machine
	systemd python3-seccomp util-linux procps # unit checks: systemd-analyze; the sensor under the unit's sandbox (scripts/lab/unit-sandbox.sh)
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
	if [ "$(id -u)" -eq 0 ]; then
		echo "installing: ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	else
		echo "not root: these Debian packages are missing (privileged/integration tests will skip): ${missing[*]}" >&2
	fi
fi

# Services installed by apt may auto-start; the tests start their own instances.
for svc in rsyslog redis-server; do
	if command -v systemctl >/dev/null 2>&1; then systemctl stop "$svc" >/dev/null 2>&1 || true; fi
done

go mod download
