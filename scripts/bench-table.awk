#!/usr/bin/awk -f
# bench-table.awk FILE — the table of scripts/bench.sh: the median of every
# (benchmark, unit) of a Go-benchmark-format file, then derived figures.
function median(key,   n, i, j, t, a) {
	n = split(vals[key], a, " ")
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
	return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	for (i = 3; i < NF; i += 2) {
		key = name SUBSEP $(i+1)
		if (!(key in vals)) { order[++nk] = key; cnt[key] = 0 }
		vals[key] = vals[key] " " $i; cnt[key]++
	}
}
END {
	printf "%-52s %-16s %14s %3s\n", "benchmark", "unit", "median", "n"
	for (k = 1; k <= nk; k++) {
		split(order[k], p, SUBSEP)
		if (p[2] ~ /^(B\/op|MB\/s)$/) continue
		m[order[k]] = median(order[k])
		printf "%-52s %-16s %14.6g %3d\n", p[1], p[2], m[order[k]], cnt[order[k]]
	}
	print ""
	print "derived (medians)                                    value      target"
	for (w = 1; w <= 2; w++) {
		r = "BenchmarkReplayFile/workers=" w
		if ((r SUBSEP "cpu-ns/pkt") in m) {
			printf "replay %d worker(s): packets/s per core (1e9/cpu-ns) %12.0f   >= 5e6\n", w, 1e9 / m[r SUBSEP "cpu-ns/pkt"]
			printf "replay %d worker(s): packets/s wall clock            %12.0f\n", w, m[r SUBSEP "pkts/s"]
			printf "replay %d worker(s): allocations per packet          %12.4f   0\n", w, m[r SUBSEP "allocs/pkt"]
			printf "replay %d worker(s): alerts                          %12.0f\n", w, m[r SUBSEP "alerts"]
		}
	}
	nx = split("BenchmarkXDPCountedOnlyEmbedded/v4-internal BenchmarkXDPCountedOnlyEmbedded/v4-established " \
		"BenchmarkXDPCountedOnlyEmbedded/v6-internal BenchmarkXDPCountedOnlyEmbedded/v6-established " \
		"BenchmarkXDPGeo6MissEmbedded/v6-internal BenchmarkXDPGeo6MissEmbedded/v6-established " \
		"BenchmarkXDPBudgetIPv6Embedded BenchmarkXDPHandoff", xs, " ")
	# Kernel figures as multiples of the floor (bw_floor: return XDP_PASS)
	# run after every batch of the same benchmark (issue 16 §3): absolute
	# nanoseconds move 2x between machines and hours, the ratio far less.
	if (("BenchmarkXDPFloor" SUBSEP "ns/packet") in m)
		printf "XDP floor (return XDP_PASS, same harness)       ns/packet %7.1f\n", m["BenchmarkXDPFloor" SUBSEP "ns/packet"]
	# Geo6Miss: the IPv6 rows with every lookup of the kernel's IPv6 leaf
	# cache missing (a spoofed flood's sources), against the same target.
	for (c = 1; c <= nx; c++) {
		if ((xs[c] SUBSEP "ns/packet") in m) {
			t = xs[c] ~ /Handoff/ ? 5 : 2
			printf "XDP %-42s ns/packet %7.1f  x-floor %5.2f (floor %.1f ns)   target x-floor <= %d: %s\n", substr(xs[c], 13), m[xs[c] SUBSEP "ns/packet"],
				m[xs[c] SUBSEP "x-floor"], m[xs[c] SUBSEP "floor-ns/packet"], t, m[xs[c] SUBSEP "x-floor"] <= t ? "met" : "missed"
		}
	}
	for (k in m) {
		split(k, p, SUBSEP)
		if (p[1] ~ /^BenchmarkLive\// && p[2] == "kernel-pkts/s") printf "%s: %.0f packets/s counted in the kernel\n", substr(p[1], 15), m[k]
		if (p[1] ~ /^BenchmarkLive\// && p[2] == "read-pkts/s")
			printf "%s: %.0f packets/s to user space; ring-buffer full %.0f, capture drops %.0f, queue drops %.0f, alerts %.0f, alerts lost %.0f\n",
				substr(p[1], 15), m[k], m[p[1] SUBSEP "ringbuf-full"], m[p[1] SUBSEP "capture-drops"], m[p[1] SUBSEP "queue-drops"],
				m[p[1] SUBSEP "alerts"], m[p[1] SUBSEP "alerts-lost"]
	}
	for (c = 1; c <= 4; c++) {
		split("v4-hit v4-miss v6-hit v6-miss", cs, " ")
		ours = "BenchmarkLookup/" cs[c] SUBSEP "ns/op"
		if (ours in m) {
			line = sprintf("geo %-7s ns/lookup %7.1f", cs[c], m[ours])
			g = "BenchmarkGeoIP2/geoip2-" cs[c] SUBSEP "ns/op"; x = "BenchmarkGeoIP2/maxminddb-" cs[c] SUBSEP "ns/op"
			if (g in m) line = line sprintf("  geoip2 %.0f (x%.1f)", m[g], m[g] / m[ours])
			if (x in m) line = line sprintf("  maxminddb %.0f (x%.1f)", m[x], m[x] / m[ours])
			print line "   target <= 20 ns"
		}
	}
	for (k in m) {
		split(k, p, SUBSEP)
		if (p[1] ~ /^BenchmarkPeakRSS/ && p[2] == "peak-RSS-bytes") printf "%s: peak RSS %.0f MiB   <= 512 MiB\n", p[1], m[k] / 1048576
		if (p[1] ~ /^BenchmarkStartup/ && p[2] == "ns/op") printf "%s: %.2f s   <= 2 s\n", p[1], m[k] / 1e9
	}
	r = "BenchmarkRealMix/replay-workers=1" SUBSEP "cpu-ns/pkt"; sf = "BenchmarkRealMix/softflowd" SUBSEP "cpu-ns/pkt"
	cli = "BenchmarkRealMix/borderwatch-cli" SUBSEP "cpu-ns/pkt"
	if (r in m) {
		printf "real-tool mix: borderwatch replay packets/s per core %12.0f   >= 5e6\n", 1e9 / m[r]
		printf "real-tool mix: borderwatch alerts                    %12.0f\n", m["BenchmarkRealMix/replay-workers=1" SUBSEP "alerts"]
		if (cli in m) printf "real-tool mix: borderwatch CLI (start-up included)  %12.0f\n", 1e9 / m[cli]
		if (sf in m) {
			printf "real-tool mix: softflowd packets/s per core          %12.0f\n", 1e9 / m[sf]
			printf "real-tool mix: borderwatch / softflowd (per core)    %12.2f   >= 2\n", m[sf] / m[r]
		}
	}
	b = "BenchmarkTool/borderwatch-w1" SUBSEP "ns/op"
	if (b in m) for (k in m) {
		split(k, p, SUBSEP)
		if (p[1] ~ /^BenchmarkTool\// && p[2] == "ns/op") printf "%-30s %8.2f s  x%.2f of borderwatch-w1\n", substr(p[1], 15), m[k] / 1e9, m[k] / m[b]
	}
}
