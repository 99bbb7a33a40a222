//go:build linux

package live

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/rs/zerolog"

	"github.com/borderwatch/borderwatch/bpf"
	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/geo/geotest"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/metrics"
	"github.com/borderwatch/borderwatch/sensor/pipeline"
	"github.com/borderwatch/borderwatch/sensor/reload"
)

// table builds a geo table of entries, home DE.
func table(t *testing.T, entries []geotest.Entry) *geo.Table {
	t.Helper()
	b, err := geotest.Build(entries)
	if err != nil {
		t.Fatal(err)
	}
	db, err := geo.OpenBytes("test", b)
	if err != nil {
		t.Fatal(err)
	}
	z, err := geo.NewZones(geo.Config{Home: []string{"DE"}})
	if err != nil {
		t.Fatal(err)
	}
	tb, err := geo.Build(db, nil, z)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// dropRules is a rule set of n drop rules.
func dropRules(t *testing.T, n int) *rules.Set {
	t.Helper()
	var b strings.Builder
	b.WriteString("rules:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {id: %d, name: drop %d, kind: policy, from: RU, action: drop}\n", 9300000+i, i)
	}
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := rules.Load(rules.Options{Paths: []string{path}, NoDefaults: true, Geo: geo.Config{Home: []string{"DE"}}})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// TestReloadFailureKeepsKernelAndUserSpace: a reload whose kernel rules
// cannot be loaded (more drop rules than rule slots), with a new geo table,
// changes neither the kernel's geo table nor the pipeline's rules and
// table; a good reload then changes both.
func TestReloadFailureKeepsKernelAndUserSpace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON) to load the kernel stage")
	}
	src := netip.MustParsePrefix("198.51.100.0/24")
	oldTable := table(t, []geotest.Entry{{Prefix: src, Country: "US"}})
	newTable := table(t, []geotest.Entry{{Prefix: src, Country: "FR"}})
	set := dropRules(t, 1)

	objs, err := bpf.Load(bpf.DefaultOptions())
	if err != nil {
		t.Fatalf("loading the kernel stage: %v", err)
	}
	x := &Source{objs: objs, name: "xdp:test", th: newThrottle(zerolog.Nop(), 0)}
	c := &Capture{Mode: "xdp", Sources: []capture.Source{x}, kernel: x, enforce: true}
	t.Cleanup(func() { c.Close() })
	if _, err := objs.LoadGeo(bpf.GeoRanges(oldTable)); err != nil {
		t.Fatal(err)
	}
	kr, err := CompileRules(set, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.loadRules(kr); err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.New(pipeline.Config{Enforce: true}, geo.NewHolder(oldTable), set, pipeline.SinkFunc(func(*alert.Alert) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}

	// kernelCountry runs a packet from 198.51.100.7 through the XDP
	// program and returns the country the kernel counted it under.
	pkt := udpPacket(t, "198.51.100.7", "192.0.2.10")
	kernelCountry := func() string {
		t.Helper()
		before := countryPackets(t, x)
		if _, err := objs.RunXDP(pkt); err != nil {
			t.Fatal(err)
		}
		var got []string
		for cc, n := range countryPackets(t, x) {
			if n > before[cc] {
				got = append(got, cc)
			}
		}
		return strings.Join(got, ",")
	}
	userCountry := func() string {
		return p.Geo().Load().Lookup(netip.MustParseAddr("198.51.100.7")).Country.String()
	}
	if k, u := kernelCountry(), userCountry(); k != "US" || u != "US" {
		t.Fatalf("before reload: kernel %q, user space %q, want US", k, u)
	}

	next, nextTable := dropRules(t, bpf.RuleSlots+1), newTable
	reloads := &metrics.Reloads{}
	rl := &reload.Reloader{
		Build: func() (*rules.Set, *geo.Table, error) { return next, nextTable, nil },
		Targets: []reload.Target{reload.Pipeline(p), {Name: "kernel", Prepare: func(s *rules.Set, tb *geo.Table) (reload.Change, error) {
			return c.Prepare(s, tb)
		}}},
		Reloads: reloads, Log: zerolog.Nop(),
	}
	err = rl.Reload()
	if want := fmt.Sprintf("kernel: loading the rules into the kernel: %d drop rules: the kernel has %d rule slots", bpf.RuleSlots+1, bpf.RuleSlots); err == nil || err.Error() != want {
		t.Fatalf("reload error %v, want %s", err, want)
	}
	if k, u := kernelCountry(), userCountry(); k != "US" || u != "US" || p.Rules() != set {
		t.Errorf("after a failed reload: kernel %q, user space %q, rules replaced %v; want US, US, false", k, u, p.Rules() != set)
	}

	next = dropRules(t, 2)
	if err := rl.Reload(); err != nil {
		t.Fatal(err)
	}
	if k, u := kernelCountry(), userCountry(); k != "FR" || u != "FR" || p.Rules() != next {
		t.Errorf("after a good reload: kernel %q, user space %q, rules replaced %v; want FR, FR, true", k, u, p.Rules() == next)
	}
	if ok, failed := reloads.Counts(); ok != 1 || failed != 1 {
		t.Errorf("reloads ok %d, failed %d", ok, failed)
	}
}

// countryPackets is the kernel's packet count per country code.
func countryPackets(t *testing.T, x *Source) map[string]uint64 {
	t.Helper()
	k, err := x.Kernel()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, c := range k.Countries {
		out[c.Country.String()] += c.Packets
	}
	return out
}

func udpPacket(t *testing.T, src, dst string) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: []byte{2, 0, 0, 0, 0, 1}, DstMAC: []byte{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: netip.MustParseAddr(src).AsSlice(), DstIP: netip.MustParseAddr(dst).AsSlice()}
	udp := &layers.UDP{SrcPort: 40000, DstPort: 53}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, udp, gopacket.Payload("x")); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
