package sink

import (
	"strings"
	"testing"
)

// FuzzParseURL: any --output value parses or is refused without a panic;
// a TAXII output that parses is valid and its name holds no credentials.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"stdout", "file:/tmp/a.json?max_bytes=5", "syslog+tls://h:6514?ca=/c.pem", "redis://u:p@h:1/0?mode=stream",
		"kafka://k1,k2/t?key=none", "taxii://taxii.example/api1/collections/c1/",
		"taxii://gw1:pw@taxii.example:8443/r/collections/c1?tlp=green&linger=2s&history=5",
		"taxii+http://127.0.0.1:9/api1/collections/c1/?user=u&password_file=/p&include_home=true",
		"taxii+http://[::1]/a/collections/b/?token_env=T", "taxii://h/collections//", "taxii://h/a/collections/b/c/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseURL(s)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("%q parsed but does not validate: %v", s, err)
		}
		if tc, ok := c.(*TAXIIConfig); ok {
			if n := tc.name(); strings.Contains(n, "@") || strings.Contains(n, "?") {
				t.Fatalf("%q: output name %q holds userinfo or a query", s, n)
			}
		}
	})
}
