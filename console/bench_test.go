package console

import "testing"

// BenchmarkPublish is the cost the pipeline pays per alert for the
// console: EVE encoding and the hand-off to every stream's ring, here 16
// streams whose clients read nothing (every ring full: drop-oldest).
func BenchmarkPublish(b *testing.B) {
	for _, streams := range []int{0, 16} {
		b.Run(map[int]string{0: "no-streams", 16: "16-stalled-streams"}[streams], func(b *testing.B) {
			h := NewHub(Configuration{ClientBuffer: 256, MaxClients: 16})
			for range streams {
				h.subscribe(Filter{})
			}
			a := testAlert(1, "scan", "FR", "DE", "inbound", 2)
			b.ReportAllocs()
			for b.Loop() {
				h.Publish(a)
			}
		})
	}
}
