package detect

import (
	"runtime"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/rules"
	"github.com/borderwatch/borderwatch/sensor/flow"
)

// TestStateStartsEmpty: building an engine takes no per-rule tables; a
// thousand rules once took 1.85 GB before a packet was seen.
func TestStateStartsEmpty(t *testing.T) {
	var rs []*rules.Rule
	for i := range 20 {
		f, s := floodRule(), scanRule()
		f.ID, s.ID = uint32(10000+i), uint32(20000+i)
		rs = append(rs, f, s)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	eng := New(rs, Config{}, nil)
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(eng)
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("New allocated %d bytes for %d rules, want < 1 MiB", n, len(rs))
	}
	// The worst case is still what the caps allow: 16384 keys, 65536
	// distinct values (and the set's filter, a byte per slot), HyperLogLog, top countries and an exact-count index
	// per key, and exactKeys exact arrays, for a flood.
	st := RuleState(rs[:2], Config{})
	if st[0].ID != 10000 || st[0].Keys != 16384*128+32768*8 || st[0].Distinct != 2*131072*16+131072 || st[0].Sketch != 16384*(256+64+4)+exactKeys*1024 {
		t.Errorf("flood state %+v", st[0])
	}
	if st[1].Sketch != 0 || st[1].Total != int64(st[1].Keys+st[1].Distinct) {
		t.Errorf("scan state %+v", st[1])
	}
	if got, want := TotalState(rs, Config{}, 2), 2*20*(st[0].Total+st[1].Total); got != want {
		t.Errorf("TotalState %d, want %d", got, want)
	}
}

// TestStateGrowsToCaps: a rule's tables grow with the keys and values seen
// up to exactly its limits (what RuleState counts), and a full rule
// allocates nothing more while keys churn.
func TestStateGrowsToCaps(t *testing.T) {
	lim := Limits{MaxKeys: 500, MaxDistinct: 3000, MaxDistinctPerKey: 8}
	r := floodRule()
	eng := New([]*rules.Rule{r}, Config{Limits: lim}, nil)
	rs := eng.rules[0]
	tab := lab(t)
	p := tcpPkt(0, cnHost, home, 40000, 80, synOnly)
	src, dst := tab.Lookup(p.Src), tab.Lookup(p.Dst)
	i := uint32(0)
	send := func(n int) {
		for range n {
			i++
			p.Timestamp += int64(time.Microsecond)
			p.Src = spoofedV6(i)
			p.Dst = spoofedV6(1<<24 + i%400) // 400 victims, up to 8 exact sources each
			if i%4 == 0 {
				p.Dst = spoofedV6(2<<24 + i) // and new keys churning the table
			}
			eng.Process(p, flow.Result{}, &src, &dst)
		}
	}
	send(10)
	if len(rs.t.b) != minBuckets || len(rs.hll) != minBuckets*hllRegs || len(rs.top) != minBuckets {
		t.Fatalf("after 10 keys: %d buckets, %d registers, %d top", len(rs.t.b), len(rs.hll), len(rs.top))
	}
	send(20000)
	st := eng.Stats().Rules[0]
	if st.Keys != lim.MaxKeys || st.KeysEvicted == 0 || st.DistinctFull == 0 {
		t.Fatalf("not full: %+v", st)
	}
	if len(rs.t.b) != lim.MaxKeys || len(rs.t.slots) != 1024 || len(rs.set.slots) != 8192 || len(rs.set.spare) != 8192 ||
		len(rs.hll) != lim.MaxKeys*hllRegs || len(rs.top) != lim.MaxKeys {
		t.Errorf("full: %d buckets, %d slots, %d+%d pair slots, %d registers, %d top",
			len(rs.t.b), len(rs.t.slots), len(rs.set.slots), len(rs.set.spare), len(rs.hll), len(rs.top))
	}
	ws := RuleState([]*rules.Rule{r}, Config{Limits: lim})[0]
	held := len(rs.t.b)*128 + len(rs.t.slots)*8 + (len(rs.set.slots)+len(rs.set.spare))*16 + len(rs.set.seen)*8 + len(rs.hll) + len(rs.top)*64 +
		len(rs.exact)*4 + cap(rs.pool.arrays)*1024
	if int64(held) != ws.Total {
		t.Errorf("holds %d bytes, RuleState says %d", held, ws.Total)
	}
	if n := testing.AllocsPerRun(1, func() { send(20000) }); n != 0 {
		t.Errorf("a full rule allocated %v times over 20000 packets of new keys", n)
	}
}
