// Package loopback decides whether a host or a listen address is this
// machine's loopback, the one check behind "plain http only to loopback"
// (list feeds, TAXII pushes and outputs) and "no authentication only on
// loopback" (the console).
//
// The decision is made on the text alone, without DNS: a name is loopback
// only when it is "localhost" (any case, with or without the final dot),
// which RFC 6761 reserves for it; any other name, including one under
// .localhost or one that /etc/hosts or a resolver maps to 127.0.0.1, is
// not, as what it resolves to can change after the check.
package loopback

import (
	"net"
	"net/netip"
	"strings"
)

// Host reports whether host (a name or an address, an IPv6 address with
// or without brackets and zone) is loopback: "localhost", an address in
// 127.0.0.0/8, ::1, or an IPv4-mapped 127.0.0.0/8 address.
func Host(host string) bool {
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		// Brackets hold an IPv6 address, nothing else.
		a, err := netip.ParseAddr(host[1 : len(host)-1])
		return err == nil && a.Is6() && a.Unmap().IsLoopback()
	}
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// HostPort reports whether the listen address host:port is loopback only
// (Host). An empty host (every address) is not, nor an address without
// a port.
func HostPort(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	return err == nil && host != "" && Host(host)
}
