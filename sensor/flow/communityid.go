package flow

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"net/netip"
)

// IANA protocol numbers that carry ports in the Community ID computation.
const (
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58
	protoSCTP   = 132
)

// icmpCounterType maps an ICMPv4 type to the type of its answer (echo ↔ echo
// reply, timestamp, information, router solicitation/advertisement, address
// mask), following the Community ID spec, which follows Zeek.
func icmpCounterType(t uint8) (uint8, bool) {
	switch t {
	case 8:
		return 0, true
	case 0:
		return 8, true
	case 13:
		return 14, true
	case 14:
		return 13, true
	case 15:
		return 16, true
	case 16:
		return 15, true
	case 10:
		return 9, true
	case 9:
		return 10, true
	case 17:
		return 18, true
	case 18:
		return 17, true
	}
	return 0, false
}

// icmp6CounterType is icmpCounterType for ICMPv6: echo, MLD query/report,
// router and neighbour solicitation/advertisement, who-are-you, and home agent
// address discovery.
func icmp6CounterType(t uint8) (uint8, bool) {
	switch t {
	case 128:
		return 129, true
	case 129:
		return 128, true
	case 130:
		return 131, true
	case 131:
		return 130, true
	case 133:
		return 134, true
	case 134:
		return 133, true
	case 135:
		return 136, true
	case 136:
		return 135, true
	case 139:
		return 140, true
	case 140:
		return 139, true
	case 144:
		return 145, true
	case 145:
		return 144, true
	}
	return 0, false
}

// CommunityID returns the Community ID v1 string ("1:" and the base64 of a
// SHA-1) of a flow, as specified at
// https://github.com/corelight/community-id-spec.
//
// For TCP, UDP and SCTP, sport and dport are the ports. For ICMP (proto 1)
// and ICMPv6 (proto 58), sport is the message type and dport the code: they
// are mapped to port equivalents as the spec says (a request and its answer
// give the same ID; a message type without an answer is one-way, and its
// endpoints are not reordered). For other protocols the ports are ignored.
// IPv4-mapped IPv6 addresses are hashed as IPv4. It returns "" when either
// address is invalid or the families differ.
//
// It allocates; call it once per alert, not per packet.
func CommunityID(src, dst netip.Addr, sport, dport uint16, proto uint8, seed uint16) string {
	src, dst = src.Unmap(), dst.Unmap()
	if !src.IsValid() || !dst.IsValid() || src.Is4() != dst.Is4() {
		return ""
	}
	hasPorts := true
	oneWay := false
	switch proto {
	case protoTCP, protoUDP, protoSCTP:
	case protoICMP, protoICMPv6:
		typ, code := uint8(sport), uint8(dport)
		var counter uint8
		var ok bool
		if proto == protoICMP {
			counter, ok = icmpCounterType(typ)
		} else {
			counter, ok = icmp6CounterType(typ)
		}
		if ok {
			sport, dport = uint16(typ), uint16(counter)
		} else {
			sport, dport = uint16(typ), uint16(code)
			oneWay = true
		}
	default:
		hasPorts = false
	}
	if !oneWay {
		c := src.Compare(dst)
		if c > 0 || (c == 0 && hasPorts && sport > dport) {
			src, dst = dst, src
			sport, dport = dport, sport
		}
	}
	var buf [2 + 16 + 16 + 2 + 4]byte
	b := binary.BigEndian.AppendUint16(buf[:0], seed)
	b = append(b, src.AsSlice()...)
	b = append(b, dst.AsSlice()...)
	b = append(b, proto, 0)
	if hasPorts {
		b = binary.BigEndian.AppendUint16(b, sport)
		b = binary.BigEndian.AppendUint16(b, dport)
	}
	sum := sha1.Sum(b)
	return "1:" + base64.StdEncoding.EncodeToString(sum[:])
}
