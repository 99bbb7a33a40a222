#!/usr/bin/env bash
# check-bpf-generate.sh: fail when the committed bpf2go output in bpf/ is
# stale. It regenerates into a temporary copy of bpf/ and compares; the
# working tree is not touched. Needs clang and llvm-strip (CI installs them).
#
# The output is reproducible: bpf2go maps the source directory out of the
# debug info (-fdebug-prefix-map, -fdebug-compilation-dir .), leaves the
# clang version out (-fno-ident) and strips DWARF (BTF stays). Different
# clang major versions may still emit different code: the version used is
# printed so a mismatch is easy to see.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

command -v clang >/dev/null || { echo "check-bpf-generate: clang not found" >&2; exit 2; }
echo "check-bpf-generate: $(clang --version | head -n1)"

# A copy of the module with bpf/ replaced: the go tool needs go.mod, and
# bpf2go writes next to the sources.
mkdir -p "$tmp/mod"
cp "$root/go.mod" "$root/go.sum" "$tmp/mod/"
cp -r "$root/bpf" "$tmp/mod/bpf"
rm -f "$tmp/mod/bpf/"*_bpfel.go "$tmp/mod/bpf/"*_bpfel.o

(cd "$tmp/mod/bpf" && go generate ./...)

status=0
for f in "$root"/bpf/*_bpfel.go "$root"/bpf/*_bpfel.o; do
	name=$(basename "$f")
	if ! cmp -s "$f" "$tmp/mod/bpf/$name"; then
		echo "check-bpf-generate: bpf/$name is stale; run make generate" >&2
		status=1
	fi
done
for f in "$tmp"/mod/bpf/*_bpfel.go "$tmp"/mod/bpf/*_bpfel.o; do
	name=$(basename "$f")
	if [ ! -e "$root/bpf/$name" ]; then
		echo "check-bpf-generate: bpf/$name is missing; run make generate" >&2
		status=1
	fi
done
[ "$status" -eq 0 ] && echo "check-bpf-generate: bpf2go output is up to date"
exit "$status"
