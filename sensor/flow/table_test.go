package flow

import (
	"bytes"
	"net/netip"
	"testing"
	"time"
	"unsafe"

	"github.com/borderwatch/borderwatch/sensor/decode"
)

const sec = int64(time.Second)

var (
	client = netip.MustParseAddr("192.0.2.10")
	server = netip.MustParseAddr("198.51.100.5")
)

func tcp(ts int64, src, dst netip.Addr, sp, dp uint16, flags uint8) *decode.Packet {
	return &decode.Packet{Timestamp: ts, Src: src, Dst: dst, SrcPort: sp, DstPort: dp,
		Proto: decode.ProtoTCP, TCPFlags: flags, IPLen: 60, WireLen: 74}
}

func udp(ts int64, src, dst netip.Addr, sp, dp uint16, n uint32) *decode.Packet {
	return &decode.Packet{Timestamp: ts, Src: src, Dst: dst, SrcPort: sp, DstPort: dp,
		Proto: decode.ProtoUDP, IPLen: n}
}

// withPayload gives p n bytes of transport payload.
func withPayload(p *decode.Packet, n uint32) *decode.Packet {
	p.PayloadLen = n
	p.IPLen += n
	return p
}

func TestTCPHandshakeAndClose(t *testing.T) {
	tb := New(Config{Capacity: 16})
	const syn, ack, fin, psh = decode.FlagSYN, decode.FlagACK, decode.FlagFIN, decode.FlagPSH
	steps := []struct {
		p        *decode.Packet
		isNew    bool
		toServer bool
		state    State
	}{
		{tcp(1*sec, client, server, 40000, 443, syn), true, true, StateNew},
		{tcp(1*sec+1, server, client, 443, 40000, syn|ack), false, false, StateEstablished},
		{tcp(1*sec+2, client, server, 40000, 443, ack), false, true, StateEstablished},
		{withPayload(tcp(1*sec+3, client, server, 40000, 443, psh|ack), 517), false, true, StateEstablished},
		{withPayload(tcp(1*sec+4, server, client, 443, 40000, psh|ack), 1400), false, false, StateEstablished},
		{withPayload(tcp(1*sec+5, server, client, 443, 40000, psh|ack), 300), false, false, StateEstablished},
		{tcp(2*sec, client, server, 40000, 443, fin|ack), false, true, StateEstablished},
		{tcp(2*sec+1, server, client, 443, 40000, fin|ack), false, false, StateClosed},
	}
	var first *Entry
	for i, s := range steps {
		r := tb.Update(s.p)
		if r.IsNew != s.isNew || r.ToServer != s.toServer || r.Entry.State != s.state {
			t.Fatalf("step %d: IsNew=%v ToServer=%v State=%v, want %v %v %v", i, r.IsNew, r.ToServer, r.Entry.State, s.isNew, s.toServer, s.state)
		}
		if first == nil {
			first = r.Entry
		} else if r.Entry != first {
			t.Fatalf("step %d: a different entry for the same flow", i)
		}
	}
	e := first
	if e.Packets != [2]uint64{4, 4} || e.Bytes != [2]uint64{240 + 517, 240 + 1700} {
		t.Errorf("packets %v bytes %v", e.Packets, e.Bytes)
	}
	if e.Payload != [2]uint64{517, 1700} {
		t.Errorf("payload %v, want [517 1700]", e.Payload)
	}
	if e.TCPFlags[0] != syn|ack|fin|psh || e.TCPFlags[1] != syn|ack|fin|psh {
		t.Errorf("flags %#x %#x", e.TCPFlags[0], e.TCPFlags[1])
	}
	if !e.InitiatorSYN {
		t.Error("InitiatorSYN not set")
	}
	if e.FirstSeen != 1*sec || e.LastSeen != 2*sec+1 {
		t.Errorf("first %d last %d", e.FirstSeen, e.LastSeen)
	}
	if a, p := e.Initiator(); a != client || p != 40000 {
		t.Errorf("initiator %v:%d", a, p)
	}
	if a, p := e.Responder(); a != server || p != 443 {
		t.Errorf("responder %v:%d", a, p)
	}
	if tb.Len() != 1 {
		t.Errorf("Len = %d", tb.Len())
	}
}

func TestSynAckFirstMeansDestinationInitiated(t *testing.T) {
	tb := New(Config{Capacity: 4})
	r := tb.Update(tcp(sec, server, client, 443, 40000, decode.FlagSYN|decode.FlagACK))
	if !r.IsNew || r.ToServer {
		t.Fatalf("IsNew=%v ToServer=%v, want true false", r.IsNew, r.ToServer)
	}
	if a, _ := r.Entry.Initiator(); a != client {
		t.Errorf("initiator %v, want %v", a, client)
	}
	if r.Entry.InitiatorSYN {
		t.Error("InitiatorSYN set without a SYN from the initiator")
	}
	r = tb.Update(tcp(sec+1, client, server, 40000, 443, decode.FlagACK))
	if r.IsNew || !r.ToServer || r.Entry.State != StateEstablished {
		t.Errorf("second packet: IsNew=%v ToServer=%v State=%v", r.IsNew, r.ToServer, r.Entry.State)
	}
}

func TestRSTCloses(t *testing.T) {
	tb := New(Config{Capacity: 4})
	tb.Update(tcp(sec, client, server, 1, 2, decode.FlagSYN))
	r := tb.Update(tcp(sec, server, client, 2, 1, decode.FlagRST|decode.FlagACK))
	if r.Entry.State != StateClosed {
		t.Errorf("state %v, want closed", r.Entry.State)
	}
}

func TestSYNOnClosedFlowStartsNewFlow(t *testing.T) {
	tb := New(Config{Capacity: 4})
	tb.Update(tcp(sec, client, server, 5000, 22, decode.FlagSYN))
	tb.Update(tcp(sec, server, client, 22, 5000, decode.FlagRST|decode.FlagACK))
	r := tb.Update(tcp(2*sec, client, server, 5000, 22, decode.FlagSYN))
	if !r.IsNew || !r.ToServer || r.Entry.State != StateNew || r.Entry.Packets != [2]uint64{1, 0} {
		t.Errorf("IsNew=%v ToServer=%v State=%v Packets=%v", r.IsNew, r.ToServer, r.Entry.State, r.Entry.Packets)
	}
	if s := tb.Stats(); s.Reused != 1 || s.Created != 2 || s.Flows != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestUDPAndICMPDirections(t *testing.T) {
	tb := New(Config{Capacity: 8})
	// DNS query then answer: the client initiated.
	q := tb.Update(udp(sec, client, server, 5353, 53, 60))
	a := tb.Update(udp(sec+1, server, client, 53, 5353, 400))
	if !q.IsNew || !q.ToServer || a.IsNew || a.ToServer || a.Entry != q.Entry {
		t.Fatalf("dns: q=%+v a=%+v", q, a)
	}
	if a.Entry.State != StateEstablished || a.Entry.Bytes != [2]uint64{60, 400} {
		t.Errorf("dns state %v bytes %v", a.Entry.State, a.Entry.Bytes)
	}
	// Unsolicited answer: the reflector is the initiator.
	other := netip.MustParseAddr("203.0.113.9")
	u := tb.Update(udp(sec, other, client, 53, 4444, 1400))
	if !u.IsNew || !u.ToServer {
		t.Errorf("unsolicited answer: IsNew=%v ToServer=%v", u.IsNew, u.ToServer)
	}
	// ICMP echo request and reply share the identifier.
	echo := &decode.Packet{Timestamp: sec, Src: client, Dst: server, Proto: decode.ProtoICMP, ICMPType: 8, SrcPort: 77, IPLen: 84}
	reply := &decode.Packet{Timestamp: sec, Src: server, Dst: client, Proto: decode.ProtoICMP, ICMPType: 0, SrcPort: 77, IPLen: 84}
	e1 := tb.Update(echo)
	e2 := tb.Update(reply)
	if e1.Entry != e2.Entry || e2.ToServer || e2.Entry.State != StateEstablished {
		t.Errorf("icmp echo/reply not one flow: %+v %+v", e1, e2)
	}
	if tb.Len() != 3 {
		t.Errorf("Len = %d, want 3", tb.Len())
	}
}

func TestFlowIDDeterministicAndSymmetric(t *testing.T) {
	t1, t2 := New(Config{Capacity: 8}), New(Config{Capacity: 1024})
	a := t1.Update(tcp(sec, client, server, 40000, 443, decode.FlagSYN)).Entry.ID()
	b := t2.Update(tcp(5*sec, server, client, 443, 40000, decode.FlagSYN|decode.FlagACK)).Entry.ID()
	if a != b {
		t.Errorf("ids differ: %d %d", a, b)
	}
	if a>>53 != 0 || a == 0 {
		t.Errorf("id %d not a non-zero 53-bit value", a)
	}
	c := t1.Update(tcp(sec, client, server, 40001, 443, decode.FlagSYN)).Entry.ID()
	if c == a {
		t.Error("different flows share an id")
	}
	// Pinned so that every build and worker agree.
	k, _ := KeyOf(tcp(0, client, server, 40000, 443, 0))
	if k.ID() != a {
		t.Errorf("Key.ID %d != entry id %d", k.ID(), a)
	}
	// Pinned: every build, worker and process must agree on flow ids.
	if a != 3177755469746664 {
		t.Errorf("flow id %d changed: the hash is part of the output format", a)
	}
}

func TestIdleTimeoutsByCaptureTime(t *testing.T) {
	tb := New(Config{Capacity: 16, UDPNew: 30 * time.Second, TCPEstablished: 600 * time.Second})
	tb.Update(udp(0, client, server, 1000, 53, 60))
	tb.Update(tcp(0, client, server, 40000, 22, decode.FlagSYN))
	tb.Update(tcp(1, server, client, 22, 40000, decode.FlagSYN|decode.FlagACK))
	if n := tb.Expire(30 * sec); n != 0 {
		t.Fatalf("expired %d at exactly the timeout", n)
	}
	if n := tb.Expire(31 * sec); n != 1 {
		t.Fatalf("expired %d at 31 s, want the UDP flow", n)
	}
	if tb.Len() != 1 || tb.Lookup(udp(0, client, server, 1000, 53, 0)) != nil {
		t.Fatal("UDP flow still present")
	}
	if tb.Lookup(tcp(0, client, server, 40000, 22, 0)) == nil {
		t.Fatal("established TCP flow gone early")
	}
	// A key seen again after its timeout, without Expire, starts a new flow.
	r := tb.Update(tcp(700*sec, server, client, 22, 40000, decode.FlagACK))
	if !r.IsNew || !r.ToServer {
		t.Errorf("after timeout: IsNew=%v ToServer=%v, want a new flow initiated by the sender", r.IsNew, r.ToServer)
	}
	s := tb.Stats()
	if s.Expired != 2 || s.Created != 3 || s.Flows != 1 || s.Evicted != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestEvictionWhenFull(t *testing.T) {
	const capacity = 64
	tb := New(Config{Capacity: capacity})
	for i := range 1000 {
		src := netip.AddrFrom4([4]byte{198, 51, 100, byte(i)})
		tb.Update(tcp(int64(i), src, server, uint16(i), 80, decode.FlagSYN))
		if tb.Len() > capacity {
			t.Fatalf("Len %d > capacity", tb.Len())
		}
	}
	s := tb.Stats()
	if s.Flows != capacity || s.Evicted != 1000-capacity || s.Created != 1000 {
		t.Errorf("stats %+v", s)
	}
	// The most recent flows survive; the oldest were evicted.
	last := netip.AddrFrom4([4]byte{198, 51, 100, byte(999 % 256)})
	if tb.Lookup(tcp(0, last, server, 999, 80, 0)) == nil {
		t.Error("most recent flow evicted")
	}
	oldest := netip.AddrFrom4([4]byte{198, 51, 100, 0})
	if tb.Lookup(tcp(0, oldest, server, 0, 80, 0)) != nil {
		t.Error("oldest flow still present")
	}
	// Every surviving flow can still be found (probe chains intact after removals).
	found := 0
	for i := 1000 - capacity; i < 1000; i++ {
		src := netip.AddrFrom4([4]byte{198, 51, 100, byte(i)})
		if tb.Lookup(tcp(0, src, server, uint16(i), 80, 0)) != nil {
			found++
		}
	}
	if found != capacity {
		t.Errorf("found %d of the %d newest flows", found, capacity)
	}
}

func TestLRUKeepsActiveFlow(t *testing.T) {
	tb := New(Config{Capacity: 2})
	a := tcp(1, client, server, 1, 80, decode.FlagSYN)
	b := tcp(2, client, server, 2, 80, decode.FlagSYN)
	tb.Update(a)
	tb.Update(b)
	a.Timestamp = 3
	tb.Update(a) // a is now the most recent
	tb.Update(tcp(4, client, server, 3, 80, decode.FlagSYN))
	if tb.Lookup(a) == nil || tb.Lookup(b) != nil {
		t.Error("evicted the active flow instead of the idle one")
	}
}

func TestNonFirstFragmentKey(t *testing.T) {
	p := &decode.Packet{Src: client, Dst: server, Proto: decode.ProtoUDP, SrcPort: 53, DstPort: 999, Fragment: true}
	k, _ := KeyOf(p)
	if k.APort != 0 || k.BPort != 0 {
		t.Errorf("non-first fragment keyed with ports %d %d", k.APort, k.BPort)
	}
	p.FirstFragment = true
	k, _ = KeyOf(p)
	if k.APort == 0 {
		t.Error("first fragment lost its ports")
	}
}

func BenchmarkUpdate(b *testing.B) {
	tb := New(Config{Capacity: 1 << 14})
	pkts := make([]decode.Packet, 4096)
	for i := range pkts {
		pkts[i] = *tcp(int64(i), netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}), server, uint16(1024+i), 443, decode.FlagACK)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := &pkts[i&4095]
		p.Timestamp += 1
		tb.Update(p)
		i++
	}
}

func BenchmarkUpdateEvicting(b *testing.B) {
	tb := New(Config{Capacity: 1024})
	p := tcp(0, client, server, 0, 80, decode.FlagSYN)
	b.ReportAllocs()
	i := uint32(0)
	for b.Loop() {
		i++
		p.Src = netip.AddrFrom4([4]byte{198, 51, byte(i >> 8), byte(i)})
		p.SrcPort = uint16(i >> 16)
		p.Timestamp++
		tb.Update(p)
	}
}

// checkIndex checks the table's invariants: every listed entry is found
// through the index under its own key, its link holds its LastSeen, class
// and id, and the lists hold Len entries.
func checkIndex(t *testing.T, tb *Table) {
	t.Helper()
	n := 0
	for c := range tb.head {
		for i := tb.head[c]; i != none; i = tb.links[i].next {
			n++
			e, l := &tb.entries[i], &tb.links[i]
			if l.seen != e.LastSeen || l.class != e.class || int(l.class) != c || l.id != uint32(e.Key.index()) {
				t.Fatalf("entry %d: link seen %d class %d id %#x, entry %d %d %#x (list %d)", i, l.seen, l.class, l.id, e.LastSeen, e.class, uint32(e.Key.index()), c)
			}
			if idx, _ := tb.find(&e.Key, e.Key.index()); idx != i {
				t.Fatalf("entry %d not found through the index (got %d)", i, idx)
			}
		}
	}
	if n != tb.Len() {
		t.Fatalf("lists hold %d entries, Len %d", n, tb.Len())
	}
}

// TestExpiryKeepsIndex expires flows of every class out of a nearly full
// index, in the order the lists give, and checks after each step that the
// survivors are found and the expired flows are gone: expiry finds an
// entry's slot from its link alone.
func TestExpiryKeepsIndex(t *testing.T) {
	tb := New(Config{Capacity: 512})
	type fl struct {
		p       *decode.Packet
		last    int64
		timeout int64
	}
	var flows []fl
	for i := range 500 {
		src := netip.AddrFrom4([4]byte{198, 51, 100, byte(i)})
		ts := int64(i) * sec / 10
		var p *decode.Packet
		timeout := 60 * sec // TCP new
		switch i % 3 {
		case 0:
			p = tcp(ts, src, server, uint16(1000+i), 80, decode.FlagSYN)
		case 1:
			p = udp(ts, src, server, uint16(1000+i), 53, 40) // UDP new: 30 s
			timeout = 30 * sec
		default:
			p = udp(ts, src, server, uint16(1000+i), 123, 40)
			tb.Update(p)
			p = udp(ts, server, src, 123, uint16(1000+i), 40) // answered: established, 300 s
			timeout = 300 * sec
		}
		tb.Update(p)
		flows = append(flows, fl{p, ts, timeout})
	}
	checkIndex(t, tb)
	for now := int64(0); now <= 400*sec; now += 7 * sec {
		tb.Expire(now)
		checkIndex(t, tb)
		live := 0
		for _, f := range flows {
			alive := now-f.last <= f.timeout
			if got := tb.Lookup(f.p) != nil; got != alive {
				t.Fatalf("at %ds: flow of %v present %v, want %v", now/sec, f.p.Src, got, alive)
			}
			if alive {
				live++
			}
		}
		if tb.Len() != live {
			t.Fatalf("at %ds: Len %d, want %d", now/sec, tb.Len(), live)
		}
	}
	if s := tb.Stats(); s.Expired != 500 || s.Evicted != 0 {
		t.Errorf("stats %+v, want 500 expired", s)
	}
}

// BenchmarkUpdateExpiring is a spoofed flood: every packet a new flow, one
// a millisecond, expired each second as the pipeline's workers do (60 000
// flows live at TCP new's 60 s).
func BenchmarkUpdateExpiring(b *testing.B) {
	tb := New(Config{})
	p := tcp(0, client, server, 0, 80, decode.FlagSYN)
	b.ReportAllocs()
	i := uint32(0)
	for b.Loop() {
		i++
		p.Src = netip.AddrFrom4([4]byte{198, byte(i >> 16), byte(i >> 8), byte(i)})
		p.SrcPort = uint16(i >> 24)
		p.Timestamp += int64(time.Millisecond)
		if i%1000 == 0 {
			tb.Expire(p.Timestamp)
		}
		tb.Update(p)
	}
}

// keyOfAs16 is keyOf as it was written with netip.Addr.As16, the reference
// for TestKeyOfWords.
func keyOfAs16(p *decode.Packet) (Key, bool) {
	sp, dp := p.SrcPort, p.DstPort
	if p.Proto == decode.ProtoICMP || p.Proto == decode.ProtoICMPv6 {
		dp = sp
	}
	if p.Fragment && !p.FirstFragment {
		sp, dp = 0, 0
	}
	sb, db := p.Src.As16(), p.Dst.As16()
	s4 := p.Src.Is4() || p.Src.Is4In6()
	d4 := p.Dst.Is4() || p.Dst.Is4In6()
	var c int
	switch {
	case !p.Src.IsValid() || !p.Dst.IsValid():
		c = p.Src.Unmap().Compare(p.Dst.Unmap())
	case s4 != d4:
		c = 1
		if s4 {
			c = -1
		}
	default:
		c = bytes.Compare(sb[:], db[:])
		if c == 0 {
			c = p.Src.Unmap().Compare(p.Dst.Unmap())
		}
	}
	k := Key{Proto: p.Proto, V4: s4 && d4}
	srcIsA := c < 0 || (c == 0 && sp <= dp)
	if srcIsA {
		k.A, k.B, k.APort, k.BPort = sb, db, sp, dp
	} else {
		k.A, k.B, k.APort, k.BPort = db, sb, dp, sp
	}
	return k, srcIsA
}

// TestKeyOfWords: keyOf, which reads the addresses as words, gives the key,
// side and flow id of the As16 reference for IPv4, IPv6, IPv4-mapped IPv6,
// zoned, invalid and equal addresses, both ways round.
func TestKeyOfWords(t *testing.T) {
	addrs := []netip.Addr{{},
		netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.200"), netip.MustParseAddr("203.0.113.9"),
		netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("255.255.255.255"),
		netip.MustParseAddr("::ffff:192.0.2.1"), netip.MustParseAddr("::ffff:198.51.100.7"),
		netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::1%eth0"), netip.MustParseAddr("2001:db8:ffff::2"),
		netip.MustParseAddr("::"), netip.MustParseAddr("::1"), netip.MustParseAddr("fe80::1%2"),
		netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
	}
	n := 0
	for _, s := range addrs {
		for _, d := range addrs {
			for _, proto := range []uint8{decode.ProtoTCP, decode.ProtoUDP, decode.ProtoICMP} {
				for _, ports := range [][2]uint16{{40000, 443}, {443, 40000}, {53, 53}, {0, 0}} {
					p := &decode.Packet{Src: s, Dst: d, Proto: proto, SrcPort: ports[0], DstPort: ports[1]}
					got, gotA := KeyOf(p)
					want, wantA := keyOfAs16(p)
					if got != want || gotA != wantA || got.ID() != want.ID() {
						t.Fatalf("%v:%d -> %v:%d proto %d: key %+v srcIsA %v, want %+v %v", s, ports[0], d, ports[1], proto, got, gotA, want, wantA)
					}
					n++
				}
			}
		}
	}
	t.Logf("%d packets", n)
}

// TestInsertResetsEntry checks that insert leaves nothing of a reused
// entry's last flow (every byte of every entry is set first; the new entry
// must equal a fresh one with its key), and the entry's size that the
// table's layout assumes (docs/performance.md, fastflow2).
func TestInsertResetsEntry(t *testing.T) {
	if s := unsafe.Sizeof(Entry{}); s != 128 {
		t.Fatalf("Entry is %d bytes, want 128 (two cache lines)", s)
	}
	tb := New(Config{Capacity: 4})
	raw := unsafe.Slice((*byte)(unsafe.Pointer(&tb.entries[0])), len(tb.entries)*int(unsafe.Sizeof(Entry{})))
	for i := range raw {
		raw[i] = 0xa5
	}
	k, _ := KeyOf(tcp(0, client, server, 40000, 443, decode.FlagSYN))
	idx := tb.insert(&k, k.index(), tb.mask+1)
	if got, want := tb.entries[idx], (Entry{Key: k}); got != want {
		t.Fatalf("inserted entry = %+v, want %+v", got, want)
	}
}
