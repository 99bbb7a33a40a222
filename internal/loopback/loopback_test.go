package loopback

import "testing"

func TestHost(t *testing.T) {
	for _, tc := range []struct {
		host string
		want bool
	}{
		{"localhost", true},
		{"LocalHost", true},
		{"localhost.", true},
		{"127.0.0.1", true},
		{"127.255.255.254", true},
		{"127.1.2.3", true},
		{"::1", true},
		{"[::1]", true},
		{"::1%lo", true},
		{"::ffff:127.0.0.1", true},
		{"0:0:0:0:0:0:0:1", true},
		// Not loopback.
		{"", false},
		{"128.0.0.1", false},
		{"126.255.255.255", false},
		{"0.0.0.0", false},
		{"::", false},
		{"::2", false},
		{"192.0.2.1", false},
		{"2001:db8::1", false},
		{"localhost.example", false},
		{"evil.localhost", false},
		{"localhost..", false},
		{"127.0.0.1.nip.io", false},
		{"0x7f.0.0.1", false},
		{"2130706433", false},
		{"127.1", false},
		{"[127.0.0.1]", false},
		{"[localhost]", false},
		{"[::ffff:127.0.0.1]", true},
		{"[::1", false},
		{"localhost:80", false},
	} {
		if got := Host(tc.host); got != tc.want {
			t.Errorf("Host(%q) = %v, want %v", tc.host, got, tc.want)
		}
	}
}

func TestHostPort(t *testing.T) {
	for _, tc := range []struct {
		hp   string
		want bool
	}{
		{"localhost:9467", true},
		{"LOCALHOST:9467", true},
		{"127.0.0.1:9467", true},
		{"127.9.9.9:1", true},
		{"[::1]:9467", true},
		{"[::1%lo]:9467", true},
		{":9467", false},
		{"0.0.0.0:9467", false},
		{"[::]:9467", false},
		{"192.0.2.1:9467", false},
		{"127.0.0.1", false},
		{"::1", false},
		{"[::1]", false},
		{"evil.localhost:9467", false},
		{"", false},
	} {
		if got := HostPort(tc.hp); got != tc.want {
			t.Errorf("HostPort(%q) = %v, want %v", tc.hp, got, tc.want)
		}
	}
}
