#!/usr/bin/env bash
# realmix.sh OUT [PACKETS] — writes the held-out real-tool mix of issue 16 §2:
# every real capture of ../shared/pcaps (third-party captures of real tools
# and attacks, MANIFEST.tsv) and the lab's nmap runs (testdata/cases/lab-*),
# one after the other, re-stamped to follow each other, round after round
# until PACKETS (default 900000) packets: about 60 000 packets a round, so
# 15 rounds. Generated, not committed (about 115 MB for 900 000 packets).
# OUT ending in .pcapng writes pcapng. Needs ../shared (skipped without).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/realmix.sh OUT [PACKETS]}
n=${2:-900000}
if [[ ! -d ../shared/pcaps ]]; then
	echo "realmix: ../shared/pcaps absent" >&2
	exit 3
fi
mkdir -p bin
CGO_ENABLED=0 ${GO:-go} build -o bin/bw-bench ./internal/devtools/bw-bench
# Sorted names: the same file on every machine with the same inputs.
mapfile -t caps < <(ls ../shared/pcaps/*.pcap ../shared/pcaps/*.pcapng testdata/cases/lab-*/capture.pcap | LC_ALL=C sort)
bin/bw-bench realmix -n "$n" -o "$out" "${caps[@]}"
