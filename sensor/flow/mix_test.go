package flow

import (
	"syscall"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/internal/synth"
	"github.com/borderwatch/borderwatch/sensor/capture"
	"github.com/borderwatch/borderwatch/sensor/decode"
)

// mixPackets decodes n frames of synth's benchmark mix (seed 2, as the
// pipeline's stage benchmarks use).
func mixPackets(tb testing.TB, n int) []decode.Packet {
	tb.Helper()
	src := synth.NewBenchSource(synth.BenchSpec{Seed: 2, Packets: n})
	dec := decode.NewDecoder()
	var (
		f    capture.Frame
		p    decode.Packet
		pkts []decode.Packet
	)
	for src.Next(&f) == nil {
		if dec.Decode(&f, &p) == decode.OK {
			pkts = append(pkts, p)
		}
	}
	if len(pkts) == 0 {
		tb.Fatal("the mix decoded to nothing")
	}
	return pkts
}

// BenchmarkUpdateMix runs the benchmark mix through a table, ns per packet.
// The 2^15 packets are replayed in laps, shifted in time by the span they
// cover so that capture time keeps advancing. "default" is a 65536-flow
// table the mix does not fill (almost all updates find their flow after the
// first lap); "full" is a 4096-flow table, where the spoofed flood and the
// background keep evicting.
func BenchmarkUpdateMix(b *testing.B) {
	pkts := mixPackets(b, 1<<15)
	span := pkts[len(pkts)-1].Timestamp - pkts[0].Timestamp + 1000
	for _, c := range []struct {
		name     string
		capacity int
	}{{"default", 1 << 16}, {"full", 1 << 12}} {
		b.Run(c.name, func(b *testing.B) {
			t := New(Config{Capacity: c.capacity})
			b.ReportAllocs()
			c0 := cpuTime()
			i, lap := 0, int64(0)
			for b.Loop() {
				p := pkts[i]
				p.Timestamp += lap
				t.Update(&p)
				if i++; i == len(pkts) {
					i, lap = 0, lap+span
				}
			}
			b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// TestMixDigest pins what the table does with the benchmark mix: every
// Result (IsNew, ToServer, the entry's id, state, initiator, counters) and
// the final Stats, folded into one hash, for a table that never fills and
// for a small one with short timeouts, where eviction, expiry by Update and
// by Expire, and port reuse all happen. The digests were taken from the
// implementation before the table's memory layout was reworked: any change
// in behaviour, however small, changes them.
func TestMixDigest(t *testing.T) {
	pkts := mixPackets(t, 1<<17)
	ms := int64(1e6)
	for _, c := range []struct {
		name string
		cfg  Config
		want uint64
	}{
		{"default", Config{}, 0x865b6755600ade0a},
		{"small", Config{Capacity: 1 << 10, TCPNew: 3e6, TCPEstablished: 20e6, TCPClosed: 2e6,
			UDPNew: 2e6, UDPEstablished: 10e6, ICMPNew: 1e6, ICMPEstablished: 5e6, OtherNew: 1e6, OtherEstablished: 2e6}, 0x156824c6c8eb9cf3},
		{"short", Config{Capacity: 1 << 15, TCPNew: 3e6, TCPEstablished: 20e6, TCPClosed: 2e6,
			UDPNew: 2e6, UDPEstablished: 10e6, ICMPNew: 1e6, ICMPEstablished: 5e6, OtherNew: 1e6, OtherEstablished: 2e6}, 0x2fc4246794bc2c5f},
	} {
		t.Run(c.name, func(t *testing.T) {
			tb := New(c.cfg)
			h := uint64(0)
			add := func(v uint64) { h = Mix(h ^ v) }
			b2u := func(b bool) uint64 {
				if b {
					return 1
				}
				return 0
			}
			next := pkts[0].Timestamp
			expired := 0
			for i := range pkts {
				p := &pkts[i]
				if p.Timestamp >= next {
					expired += tb.Expire(p.Timestamp)
					next = p.Timestamp + ms
				}
				r := tb.Update(p)
				e := r.Entry
				add(b2u(r.IsNew) | b2u(r.ToServer)<<1 | b2u(e.InitiatorIsA)<<2 | b2u(e.InitiatorSYN)<<3 | uint64(e.State)<<4)
				add(e.ID())
				add(uint64(e.FirstSeen))
				add(uint64(e.LastSeen))
				for d := range 2 {
					add(e.Packets[d])
					add(e.Bytes[d])
					add(e.Payload[d])
					add(uint64(e.TCPFlags[d]))
				}
			}
			s := tb.Stats()
			add(uint64(s.Flows))
			add(s.Created)
			add(s.Expired)
			add(s.Evicted)
			add(s.Reused)
			add(uint64(expired))
			t.Logf("stats %+v, removed by Expire %d, digest %#x", s, expired, h)
			if h != c.want {
				t.Errorf("digest %#x, want %#x", h, c.want)
			}
		})
	}
}

// cpuTime is the CPU time (user and system) of the process so far. The
// benchmarks report it per packet besides ns/op: on a shared machine it
// does not count the time other processes had the CPU.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
