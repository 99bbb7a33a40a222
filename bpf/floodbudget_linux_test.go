//go:build linux

package bpf

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/google/gopacket/layers"
)

// trackedHosts returns the destinations of dsts that get an ingress flood
// slot when each in turn takes a free one of its two candidate rows (the
// kernel's two-choice placement, floodRows) and keeps it: the others are
// untracked (BW_G_FLOOD_COLLISION).
func trackedHosts(dsts []netip.Addr) map[netip.Addr]bool {
	held := map[uint32]bool{}
	out := map[netip.Addr]bool{}
	for _, d := range dsts {
		r1, r2 := floodRows(d)
		switch {
		case !held[r1]:
			held[r1] = true
		case !held[r2]:
			held[r2] = true
		default:
			continue
		}
		out[d] = true
	}
	return out
}

// TestFloodSampleBudget: a SYN flood over 1, 50 and 5000 home hosts, one
// window on one CPU, each host past FloodPPS (1) at its second packet and
// then due a sample by its own ceiling at its first packet of each round
// (rounds 60 ms apart, FloodSamples 20: a sample every 50 ms at most; a
// round's second packet is within that gap and kept). Each flooded host's
// first sample of its window goes up; its others take a fair share of
// FloodSamplesPPS, one per hosts/FloodSamplesPPS seconds (1 host of 100/s:
// 10 ms, so every round; 1 host of 2/s: 500 ms; 50 hosts of 100/s: 500 ms;
// 1024 tracked hosts: 10 s; longer than the rounds take), so the samples
// of all hosts stay within the total whatever their number while every
// host's count reaches user space; the samples refused are counted, and
// the records and slots account for every packet. Before (no total,
// FloodSamplesPPS 0) the samples grow with the hosts: FloodSamples a
// second each.
func TestFloodSampleBudget(t *testing.T) {
	const (
		rounds   = 4 // after the first, where each host is flooded
		perRound = 2 // packets per host and round
		samples  = 20
		budget   = 100
		sent     = 2 + rounds*perRound // packets per host
	)
	for _, tc := range []struct {
		hosts  int
		budget uint32
		later  bool // the later rounds' due samples go up (their fair share)
	}{{1, budget, true}, {1, 2, false}, {50, budget, false}, {5000, budget, false}, {50, 0, true}} {
		t.Run(fmt.Sprintf("hosts-%d-total-%d", tc.hosts, tc.budget), func(t *testing.T) {
			var dsts []netip.Addr
			var pkts [][]byte
			for i := range tc.hosts {
				d := netip.MustParseAddr(fmt.Sprintf("2001:db8:1::%x:%x", 1+i>>16, i&0xffff))
				dsts = append(dsts, d)
				pkts = append(pkts, pkt(t, eth(layers.EthernetTypeIPv6),
					ip6(fmt.Sprintf("2001:db8:2::%x", 1+i%300), d.String(), layers.IPProtocolTCP), tcp(uint16(1024+i%60000), 80, "S")))
			}
			tracked := trackedHosts(dsts)
			nt := len(tracked)
			// Round 0: a normal record and the first sample of each
			// tracked host. Each later round: one sample due per tracked
			// host, taken while the total has room.
			wantSamples := nt
			if tc.later {
				wantSamples = nt * (1 + rounds)
			}
			wantOver := nt*(1+rounds) - wantSamples
			// the rounds must end within the shortest fair share above
			bound := uint64(900_000_000)
			if !tc.later {
				bound = min(bound, uint64(time.Second)*uint64(nt)/uint64(tc.budget)-30_000_000)
			}
			inWindow(t, 3, func(t *testing.T) bool {
				o := loadLab(t, func(o *Options) {
					o.FloodPPS, o.FloodSamples, o.FloodSamplesPPS, o.FloodTotalPPS = 1, samples, tc.budget, 0
					o.SnapLen, o.RingBytes = 64, 32<<20 // the untracked hosts' records stay below a quarter
				})
				run := func(p []byte) {
					t.Helper()
					if _, err := o.objs.BwXdp.Run(&ebpf.RunOptions{Data: p}); err != nil {
						t.Fatal(err)
					}
				}
				start := monotonic()
				for _, p := range pkts {
					run(p)
					run(p)
				}
				for range rounds {
					time.Sleep(60 * time.Millisecond) // a gap and more (coarse clock: 4 ms ticks)
					for _, p := range pkts {
						for range perRound {
							run(p)
						}
					}
				}
				if monotonic()-start >= bound {
					return false
				}
				recs := drain(t, o)
				g, err := o.Counters()
				if err != nil {
					t.Fatal(err)
				}
				fl, err := o.Floods()
				if err != nil {
					t.Fatal(err)
				}
				slots := map[netip.Addr]FloodSlot{}
				for _, s := range fl {
					slots[s.Dst] = s
				}
				var gotSamples, untrackedRecs int
				for _, d := range dsts {
					ft := tally(recs, d)
					gotSamples += ft.samples
					if !tracked[d] {
						untrackedRecs += ft.normal
						if ft.samples != 0 {
							t.Errorf("untracked host %v: %d samples", d, ft.samples)
						}
						continue
					}
					s, ok := slots[d]
					// every flooded host: its normal record, at least one
					// sample, and its packets all counted: handed off,
					// carried by a sample, or pending for the next
					if !ok || ft.normal != 1 || ft.samples < 1 || s.Packets != sent ||
						uint64(ft.normal+ft.carried)+s.Pending != sent {
						t.Errorf("host %v: %+v, slot %+v; want 1 normal record, a sample or more, %d packets accounted for",
							d, ft, s, sent)
					}
				}
				if gotSamples != wantSamples || g.FloodSampled != uint64(wantSamples) || g.FloodSampleBudget != uint64(wantOver) {
					t.Errorf("%d hosts (%d tracked), total %d: %d samples (%d counted), %d over the total; want %d, %d",
						tc.hosts, nt, tc.budget, gotSamples, g.FloodSampled, g.FloodSampleBudget, wantSamples, wantOver)
				}
				wantKept := uint64(nt*(sent-1) - wantSamples)
				wantUntracked := (tc.hosts - nt) * sent
				if g.FloodSuppressed != wantKept || untrackedRecs != wantUntracked || g.FloodCollisions != uint64(wantUntracked) || g.RingbufFull != 0 {
					t.Errorf("kept %d, untracked %d (records %d), ring full %d; want %d, %d, 0",
						g.FloodSuppressed, g.FloodCollisions, untrackedRecs, g.RingbufFull, wantKept, wantUntracked)
				}
				t.Logf("%d hosts, %d tracked: %d samples, %d over the total, %d kept, %d untracked",
					tc.hosts, nt, gotSamples, g.FloodSampleBudget, g.FloodSuppressed, g.FloodCollisions)
				return true
			})
		})
	}
}
