package sink

import (
	"reflect"
	"testing"
	"time"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Config
	}{
		{"stdout", &StdoutConfig{}},
		{"stdout?format=ecs&min_severity=2", &StdoutConfig{Common: Common{Format: "ecs", MinSeverity: 2}}},
		{"file:/var/log/borderwatch/alerts.json", &FileConfig{Path: "/var/log/borderwatch/alerts.json"}},
		{"file:///var/log/a%20b.json?max_bytes=1000&max_backups=3&fsync=5s&queue_size=10&batch_size=5",
			&FileConfig{Path: "/var/log/a b.json", MaxBytes: 1000, MaxBackups: 3, FsyncInterval: 5 * time.Second,
				Common: Common{QueueSize: 10, BatchSize: 5}}},
		{"syslog+tcp://127.0.0.1:6514?facility=local0&min_severity=2",
			&SyslogConfig{Network: "tcp", Address: "127.0.0.1:6514", Facility: "local0", Common: Common{MinSeverity: 2}}},
		{"syslog://siem.example", &SyslogConfig{Network: "udp", Address: "siem.example:514"}},
		{"syslog+udp://[2001:db8::1]?app_name=bw&hostname=gw1&format=ecs",
			&SyslogConfig{Network: "udp", Address: "[2001:db8::1]:514", AppName: "bw", Hostname: "gw1", Common: Common{Format: "ecs"}}},
		{"syslog+tls://siem.example?ca=/etc/ca.pem&cert=/c.pem&key=/k.pem&server_name=siem&spool=/var/spool/bw&spool_max_bytes=1024&backoff_min=1s&backoff_max=1m",
			&SyslogConfig{Network: "tls", Address: "siem.example:6514", CAFile: "/etc/ca.pem", CertFile: "/c.pem", KeyFile: "/k.pem",
				ServerName: "siem", Spool: SpoolConfig{Path: "/var/spool/bw", MaxBytes: 1024},
				Common: Common{BackoffMin: time.Second, BackoffMax: time.Minute}}},
		{"redis://127.0.0.1:6379/0?mode=list&key=borderwatch", &RedisConfig{Address: "127.0.0.1:6379", Mode: "list", Key: "borderwatch"}},
		{"redis://user:s3cret@cache:6380/2?mode=stream&maxlen=10000&field=eve",
			&RedisConfig{Address: "cache:6380", DB: 2, Username: "user", Password: "s3cret", Mode: "stream", StreamMaxLen: 10000, StreamField: "eve"}},
		{"redis://cache", &RedisConfig{Address: "cache:6379"}},
		{"redis://cache?drain_timeout=30s", &RedisConfig{Address: "cache:6379", Common: Common{DrainTimeout: 30 * time.Second}}},
		{"kafka://host:9092/topic", &KafkaConfig{Brokers: []string{"host:9092"}, Topic: "topic"}},
		{"kafka://k1:9092,k2/alerts?key=flow_id&linger=10ms&batch_max_bytes=65536&min_severity=1",
			&KafkaConfig{Brokers: []string{"k1:9092", "k2"}, Topic: "alerts", Key: "flow_id", Linger: 10 * time.Millisecond,
				BatchMaxBytes: 65536, Common: Common{MinSeverity: 1}}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseURL(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestParseURLErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ftp://x", `output "ftp://x": unknown kind (want stdout, file:, syslog+udp://, syslog+tcp://, syslog+tls://, redis://, kafka:// or taxii://)`},
		{"stdout?colour=1", `output "stdout?colour=1": unknown parameter colour`},
		{"file:", `file output: path is empty`},
		{"file:/a?format=xml", `file output /a: format "xml": want eve or ecs`},
		{"file:/a?min_severity=high", `output "file:/a?min_severity=high": min_severity="high": want an integer`},
		{"file:/a?min_severity=-1", `file output /a: min_severity -1: want 0 (all) or 1 (highest) and up`},
		{"file:/a?max_backups=2", `file output /a: max_backups set without max_bytes`},
		{"file:/a?fsync=soon", `output "file:/a?fsync=soon": fsync="soon": want a duration such as 500ms or 5s`},
		{"file:/a?spool=/s", `output "file:/a?spool=/s": unknown parameter spool`},
		{"syslog+tcp://h?facility=local9", `syslog output tcp://h:514: facility "local9": want kern … local7 or 0–23`},
		{"syslog+tcp://h?ca=/ca.pem", `syslog output tcp://h:514: TLS settings given for network "tcp"`},
		{"syslog+tls://h?cert=/c.pem", `syslog output tls://h:6514: cert_file and key_file go together`},
		{"syslog+tcp://h?hostname=a%20b", `syslog output tcp://h:514: app_name (≤48) and hostname (≤255) must be printable ASCII without spaces`},
		{"syslog+tcp:///", `output "syslog+tcp:///": missing host`},
		{"syslog+tcp://h?spool_max_bytes=5", `syslog output tcp://h:514: spool max_bytes set without a spool path`},
		{"redis://h/x", `output "redis://h/x": database "x": want a number`},
		{"redis://h?mode=set", `redis output h:6379: mode "set": want list, lpush, rpush, channel, publish, stream or xadd`},
		{"redis://h?maxlen=5", `redis output h:6379: stream_maxlen and stream_field need mode stream`},
		{"redis://h?key=a&key=b", `output "redis://h?key=a&key=b": key="a,b": given more than once`},
		{"kafka://h:9092/", `kafka output h:9092/: topic is empty`},
		{"kafka://h:9092/bad%20topic", `kafka output h:9092/bad topic: topic "bad topic": Kafka topics are 1–249 of [a-zA-Z0-9._-]`},
		{"kafka:///t", `kafka output /t: no brokers`},
		{"kafka://h/t?key=src_ip", `kafka output h/t: key "src_ip": want community_id, flow_id or none`},
		{"file:/a?drain_timeout=2m", `file output /a: drain_timeout 2m0s: want 0 (default 5s) up to 1m0s`},
		{"file:/a?drain_timeout=-1s", `file output /a: drain_timeout -1s: want 0 (default 5s) up to 1m0s`},
		{"kafka://h/t?queue_size=1&bogus=2&other=3", `output "kafka://h/t?queue_size=1&bogus=2&other=3": unknown parameter bogus, other`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			_, err := ParseURL(tc.in)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error %v\nwant       %s", err, tc.want)
			}
		})
	}
}

// TestConfigErrorsOneLine: a configured value an error prints (a name made
// of the network, address, path, brokers or an unknown URL parameter) is
// escaped, so that a value with a newline cannot forge a log line.
func TestConfigErrorsOneLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  func() error
		want string
	}{
		{"syslog network", func() error {
			return (&SyslogConfig{Network: "udp\nforged", Address: "h:514"}).Validate()
		}, `syslog output udp\nforged://h:514: network "udp\nforged": want udp, tcp or tls`},
		{"syslog address", func() error {
			return (&SyslogConfig{Network: "tcp", Address: "h\n\u202e"}).Validate()
		}, `syslog output tcp://h\n\u202e: address: address h\n\u202e: missing port in address`},
		{"redis address", func() error {
			return (&RedisConfig{Address: "h\n"}).Validate()
		}, `redis output h\n: address: address h\n: missing port in address`},
		{"file path", func() error {
			return (&FileConfig{Path: "/a\nb", MaxBackups: 2}).Validate()
		}, `file output /a\nb: max_backups set without max_bytes`},
		{"redis mode", func() error {
			return (&RedisConfig{Address: "h:6379\r\nx", Mode: "set"}).Validate()
		}, `redis output h:6379\r\nx: mode "set": want list, lpush, rpush, channel, publish, stream or xadd`},
		{"kafka brokers", func() error {
			return (&KafkaConfig{Brokers: []string{"h:9092"}, Topic: "t\nx"}).Validate()
		}, `kafka output h:9092/t\nx: topic "t\nx": Kafka topics are 1–249 of [a-zA-Z0-9._-]`},
		{"unknown parameter", func() error {
			_, err := ParseURL("stdout?a%0Ab=1")
			return err
		}, `output "stdout?a%0Ab=1": unknown parameter a\nb`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err()
			if err == nil || err.Error() != tc.want {
				t.Errorf("error %v\nwant       %s", err, tc.want)
			}
		})
	}
}
