package sink

import (
	"strings"
	"testing"
)

// TestParseURLErrorsRedact: no parse error quotes a secret of the URL.
func TestParseURLErrorsRedact(t *testing.T) {
	for _, tc := range []struct{ in, secret, want string }{
		{"syslog+tls://u:PWsys@siem.example:6514", "PWsys", `output "syslog+tls://u:xxxxx@siem.example:6514": syslog takes no path or user`},
		{"kafka://u:PWkafka@k1:9092/alerts", "PWkafka", `output "kafka://u:xxxxx@k1:9092/alerts": SASL is not supported`},
		{"redis://:s3cret@127.0.0.1:6379/x", "s3cret", `output "redis://:xxxxx@127.0.0.1:6379/x": database "x": want a number`},
		{"redis://:s3cret@127.0.0.1:6379/0?bogus=1", "s3cret", `output "redis://:xxxxx@127.0.0.1:6379/0?bogus=1": unknown parameter bogus`},
		{"redis://:s3%20cret@127.0.0.1:bad/0", "s3", `output "redis://:xxxxx@127.0.0.1:bad/0": parse "redis://:xxxxx@127.0.0.1:bad/0": invalid port ":bad" after host`},
		{"redis://h/0?mode=x&password=hunter2", "hunter2", `output "redis://h/0?mode=x&password=xxxxx": unknown parameter password`},
	} {
		_, err := ParseURL(tc.in)
		if err == nil {
			t.Errorf("%s: no error", tc.in)
			continue
		}
		if strings.Contains(err.Error(), tc.secret) || err.Error() != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.in, err, tc.want)
		}
	}
}

// TestCommonLimits: the size settings have a maximum, in both forms.
func TestCommonLimits(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"stdout?queue_size=100000000", `stdout output: queue_size 100000000: want 0 (default 4096) to 65536`},
		{"stdout?batch_size=5000", `stdout output: batch_size 5000: want 0 (default 256) to 4096`},
		{"stdout?backoff_max=2h", `stdout output: backoff_min and backoff_max: want at most 1h0m0s`},
		{"redis://h/0?spool=/tmp/s&spool_max_bytes=17179869185", `redis output h:6379: spool max_bytes 17179869185: want 0 (default 67108864) to 17179869184`},
	} {
		_, err := ParseURL(tc.url)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: got %v, want %s", tc.url, err, tc.want)
		}
	}
	if _, err := ParseURL("stdout?queue_size=65536&batch_size=4096&backoff_max=1h"); err != nil {
		t.Errorf("at the maxima: %v", err)
	}
}

// TestKafkaBrokerCredentials: a broker written with credentials in the YAML
// form is refused without its password appearing in the error (every
// message of the Kafka output quotes its brokers).
func TestKafkaBrokerCredentials(t *testing.T) {
	for _, b := range []string{"u:PWbroker@k1:9092", "u:PWbroker@k1"} {
		c := &KafkaConfig{Brokers: []string{"k0:9092", b}, Topic: "alerts"}
		err := c.Validate()
		want := "kafka output: broker 2: credentials in a broker address are not supported (and are not shown)"
		if err == nil || err.Error() != want {
			t.Errorf("%s: got %v, want %s", b, err, want)
		}
	}
}
