package detect

import (
	"cmp"
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/geo"
	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/borderwatch/borderwatch/sensor/decode"
	"github.com/borderwatch/borderwatch/sensor/flow"
)

func TestCountryIndex(t *testing.T) {
	if numCountries < 200 || numCountries > 256 {
		t.Fatalf("%d dense country indexes", numCountries)
	}
	de, _ := geo.ParseCountry("DE")
	if i := countryIndex[de]; i == 0 || countryOfIndex[i] != de {
		t.Errorf("DE: index %d, back %v", i, countryOfIndex[i])
	}
	xx, _ := geo.ParseCountry("XX")
	if countryIndex[xx] != 0 {
		t.Errorf("XX, not a known code, has index %d", countryIndex[xx])
	}
}

// TestTopSourcesExact: a spoofed flood from every known country, the
// largest ones arriving last (as the flood did). The alert's top
// countries are the exact counts, as counted here; the space-saving
// counters (8 of them) reported three countries at 889 packets where the
// true counts were 69, 339 and 270.
func TestTopSourcesExact(t *testing.T) {
	var countries []geo.CountryID
	for c := geo.CountryID(1); c <= 26*26; c++ {
		if geo.KnownCountry(c) {
			countries = append(countries, c)
		}
	}
	var seq []geo.CountryID
	for i, c := range countries { // a background of 1 to 40 packets each
		for range 1 + i%40 {
			seq = append(seq, c)
		}
	}
	big := map[string]int{"US": 339, "BR": 270, "IN": 250, "VN": 120, "CN": 69}
	for code, n := range big {
		c, _ := geo.ParseCountry(code)
		for range n {
			seq = append(seq, c)
		}
	}
	exact := map[geo.CountryID]uint64{}
	for _, c := range seq {
		exact[c]++
	}
	var want []alert.CountryCount
	for c, n := range exact {
		want = append(want, alert.CountryCount{Country: c.String(), Packets: n})
	}
	slices.SortFunc(want, func(a, b alert.CountryCount) int {
		if d := cmp.Compare(b.Packets, a.Packets); d != 0 {
			return d
		}
		return cmp.Compare(a.Country, b.Country)
	})
	want = want[:5]

	r := &rules.Rule{ID: 3010, Kind: rules.KindFlood, Protos: rules.ProtoTCP,
		Threshold: rules.Threshold{Count: uint64(len(seq)), Window: 10 * time.Second, Track: rules.TrackDst},
		Suppress:  time.Minute}
	var got []*alert.Alert
	eng := New([]*rules.Rule{r}, Config{}, func(a *alert.Alert, _, _ *geo.Info) { got = append(got, a) })
	var dst geo.Info
	for i, c := range seq {
		p := tcpPkt(sec+int64(i)*int64(time.Microsecond), spoofedV6(uint32(i)), home, 1024, 80, synOnly)
		p.Dst = netip.MustParseAddr("2001:db8:de::10")
		src := geo.Info{Country: c}
		eng.Process(p, flow.Result{}, &src, &dst)
	}
	if len(got) != 1 {
		t.Fatalf("%d alerts, want 1", len(got))
	}
	if !reflect.DeepEqual(got[0].Stats.TopSources, want) {
		t.Errorf("top sources\n got %v\nwant %v", got[0].Stats.TopSources, want)
	}
}

// TestTopSourcesPoolFull: beyond exactKeys keys at once, a key counts with
// the space-saving counters, still exact for up to 8 countries.
func TestTopSourcesPoolFull(t *testing.T) {
	r := &rules.Rule{ID: 3011, Kind: rules.KindFlood,
		Threshold: rules.Threshold{Count: 3, Window: 10 * time.Second, Track: rules.TrackDst}, Suppress: time.Minute}
	var got []*alert.Alert
	eng := New([]*rules.Rule{r}, Config{}, func(a *alert.Alert, _, _ *geo.Info) { got = append(got, a) })
	cn, _ := geo.ParseCountry("CN")
	ru, _ := geo.ParseCountry("RU")
	var dst geo.Info
	for k := range exactKeys + 10 {
		for j, c := range []geo.CountryID{cn, ru, cn} {
			p := &decode.Packet{Timestamp: sec + int64(k*3+j), Src: spoofedV6(uint32(j)), Dst: spoofedV6(1<<24 + uint32(k)), Proto: decode.ProtoUDP, IPLen: 100}
			src := geo.Info{Country: c}
			eng.Process(p, flow.Result{}, &src, &dst)
		}
	}
	if len(got) != exactKeys+10 {
		t.Fatalf("%d alerts, want %d", len(got), exactKeys+10)
	}
	want := []alert.CountryCount{{Country: "CN", Packets: 2}, {Country: "RU", Packets: 1}}
	for i, a := range got {
		if !reflect.DeepEqual(a.Stats.TopSources, want) {
			t.Errorf("alert %d: top sources %v, want %v", i, a.Stats.TopSources, want)
		}
	}
	if n := len(eng.rules[0].pool.arrays); n != exactKeys {
		t.Errorf("%d exact arrays, want %d", n, exactKeys)
	}
}
