package flow

import (
	"net/netip"
	"testing"
)

// Test vectors from the Community ID spec's baseline (baseline/baseline_deflt.json
// in corelight/community-id-spec) and the reference implementation's unit tests
// (corelight/pycommunityid tests/communityid_test.py). For ICMP and ICMPv6, sport
// is the message type and dport the code.
func TestCommunityIDVectors(t *testing.T) {
	cases := []struct {
		name         string
		src, dst     string
		sport, dport uint16
		proto        uint8
		seed         uint16
		want         string
	}{
		{"tcp v4", "128.232.110.120", "66.35.250.204", 34855, 80, 6, 0, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
		{"tcp v4 reverse", "66.35.250.204", "128.232.110.120", 80, 34855, 6, 0, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
		{"tcp v4 seed 1", "128.232.110.120", "66.35.250.204", 34855, 80, 6, 1, "1:3V71V58M3Ksw/yuFALMcW0LAHvc="},
		{"tcp v4 small port first", "10.0.0.1", "10.0.0.2", 10, 11569, 6, 0, "1:SXBGMX1lBOwhhoDrZynfROxnhnM="},
		{"tcp v6", "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25, 6, 0, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
		{"tcp v6 reverse", "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943, 6, 0, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
		{"udp v4", "192.168.1.52", "8.8.8.8", 54585, 53, 17, 0, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
		{"udp v4 reverse", "8.8.8.8", "192.168.1.52", 53, 54585, 17, 0, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
		{"udp v4 seed 1", "192.168.1.52", "8.8.8.8", 54585, 53, 17, 1, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI="},
		{"icmp echo", "192.168.0.89", "192.168.0.1", 8, 0, 1, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
		{"icmp echo reply", "192.168.0.1", "192.168.0.89", 0, 0, 1, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
		{"icmp echo reply code ignored", "192.168.0.1", "192.168.0.89", 0, 20, 1, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
		{"icmp echo seed 1", "192.168.0.89", "192.168.0.1", 8, 0, 1, 1, "1:03g6IloqVBdcZlPyX8r0hgoE7kA="},
		{"icmp type 20 code 0 one-way", "192.168.0.89", "192.168.0.1", 20, 0, 1, 0, "1:3o2RFccXzUgjl7zDpqmY7yJi8rI="},
		{"icmp type 20 code 1 one-way", "192.168.0.89", "192.168.0.1", 20, 1, 1, 0, "1:tz/fHIDUHs19NkixVVoOZywde+I="},
		{"icmp time exceeded", "10.0.0.1", "10.0.0.2", 11, 0, 1, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM="},
		{"icmp6 neighbor solicit", "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 0, 58, 0, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
		{"icmp6 neighbor advert reverse", "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 0, 58, 0, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
		{"icmp6 neighbor solicit other side", "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 0, 58, 0, "1:zavyT/cezQr1fmImYCwYnMXbgck="},
		{"icmp6 neighbor solicit seed 1", "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 0, 58, 1, "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY="},
		{"icmp6 time exceeded one-way", "3ffe:507:0:1:260:97ff:fe07:69ea", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, 58, 0, "1:NdobDX8PQNJbAyfkWxhtL2Pqp5w="},
		{"icmp6 time exceeded one-way reverse", "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:507:0:1:260:97ff:fe07:69ea", 3, 0, 58, 0, "1:/OGBt9BN1ofenrmSPWYicpij2Vc="},
		{"icmp6 time exceeded baseline", "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, 58, 0, "1:2ObVBgIn28oZvibYZhZMBgh7WdQ="},
		{"icmp6 unreachable port", "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4, 58, 0, "1:hLZd0XGWojozrvxqE0dWB1iM6R0="},
		{"icmp6 echo request", "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 0, 58, 0, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
		{"icmp6 echo reply", "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 0, 58, 0, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
		{"icmp6 router solicit", "fe80::200:86ff:fe05:80da", "ff02::2", 133, 0, 58, 0, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0="},
		{"icmp6 router advert", "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 0, 58, 0, "1:pkvHqCL88/tg1k4cPigmZXUtL00="},
		{"sctp", "192.168.170.8", "192.168.170.56", 7, 80, 132, 0, "1:jQgCxbku+pNGw8WPbEc/TS/uTpQ="},
		{"sctp reverse", "192.168.170.56", "192.168.170.8", 80, 7, 132, 0, "1:jQgCxbku+pNGw8WPbEc/TS/uTpQ="},
		{"sctp same ports", "192.168.170.56", "192.168.170.8", 7, 7, 132, 0, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
		{"rsvp no ports", "10.1.12.1", "10.1.12.2", 0, 0, 46, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
		{"rsvp no ports reverse, ports ignored", "10.1.12.2", "10.1.12.1", 99, 7, 46, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
		{"ip proto 46", "10.1.24.4", "10.1.12.1", 0, 0, 46, 0, "1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4="},
		{"tcp v4-mapped v6 hashed as v4", "::ffff:128.232.110.120", "::ffff:66.35.250.204", 34855, 80, 6, 0, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
		{"mixed families", "10.0.0.1", "2001:db8::1", 1, 2, 6, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := CommunityID(netip.MustParseAddr(c.src), netip.MustParseAddr(c.dst), c.sport, c.dport, c.proto, c.seed)
			if got != c.want {
				t.Errorf("CommunityID = %q, want %q", got, c.want)
			}
		})
	}
}

func BenchmarkCommunityID(b *testing.B) {
	src, dst := netip.MustParseAddr("128.232.110.120"), netip.MustParseAddr("66.35.250.204")
	b.ReportAllocs()
	for b.Loop() {
		_ = CommunityID(src, dst, 34855, 80, 6, 0)
	}
}
