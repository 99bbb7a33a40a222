package sink

import (
	"context"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/sensor/alert"
	"github.com/twmb/franz-go/pkg/kfake"
)

// TestKafka produces alerts to an in-process kfake broker and reads the
// topic back with the real kcat client, checking every key and value.
func TestKafka(t *testing.T) {
	kcat := needBinary(t, "kcat")
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "alerts", "alerts-flow"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	addr := cluster.ListenAddrs()[0]

	noCID := testAlert(5, 1)
	noCID.CommunityID = ""
	alerts := []*alert.Alert{testAlert(0, 1), testAlert(1, 2), testAlert(2, 3), testAlert(3, 1), testAlert(4, 1), noCID}

	for _, tc := range []struct {
		topic, query string
		byFlow       bool // key is the flow id, not the community id
	}{
		{"alerts", "?linger=5ms&batch_size=2", false},
		{"alerts-flow", "?key=flow_id&min_severity=2", true},
	} {
		t.Run(tc.topic, func(t *testing.T) {
			o, err := Open("kafka://"+addr+"/"+tc.topic+tc.query, testLog(t))
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, a := range alerts {
				o.Write(a)
				if !o.Accepts(a) {
					continue
				}
				// Community id by default; the flow id without one.
				key := a.CommunityID
				if key == "" || tc.byFlow {
					key = strconv.FormatUint(a.FlowID, 10)
				}
				want = append(want, key+"\t"+eveLine(t, a))
			}
			if err := o.Close(); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			out, err := exec.CommandContext(ctx, kcat, "-b", addr, "-C", "-t", tc.topic, "-e", "-o", "beginning", "-q",
				"-f", `%k\t%s\n`).Output()
			if err != nil {
				t.Fatalf("kcat: %v", err)
			}
			got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
			if !slices.Equal(got, want) {
				t.Errorf("kcat read\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if s := o.Stats(); s.Written != uint64(len(want)) || s.Dropped.Total() != 0 {
				t.Errorf("stats %+v, want %d written, no drops", s, len(want))
			}
		})
	}
}
