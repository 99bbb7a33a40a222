package decode

import (
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/borderwatch/borderwatch/sensor/capture"
)

// sharedPcaps is ../shared/pcaps (from the project root) seen from this
// package's directory.
const sharedPcaps = "../../../shared/pcaps"

// TestSharedPcaps decodes every shared capture and checks the exact outcome.
// The numbers were cross-checked with tshark (-z io,phs and display filters):
// the manifest counts IPv6 packets as "non-ip" (amp_dns_rrsig: 11 TCP + 4 UDP
// over IPv6), tshark files IPv4 fragments after the first under "data" (726 in
// amp_dns_rrsig, all UDP), and the 4 non-IP frames of flood_synack_reflection
// are ARP.
func TestSharedPcaps(t *testing.T) {
	if _, err := os.Stat(sharedPcaps); err != nil {
		t.Skipf("shared captures not available at %s (checkout without ../shared): %v", sharedPcaps, err)
	}
	tests := []struct {
		file   string
		frames uint64
		stats  Stats
		protos map[uint8]int
		later  int // fragments after the first
	}{
		{"amp_dns_rrsig_stopddos.pcap", 4412, Stats{Decoded: 4412, OtherL4: 1, Fragments: 1209},
			map[uint8]int{1: 7, 6: 3104, 17: 1300, 47: 1}, 726},
		{"amp_ntp_monlist_response_ndpi.pcap", 1, Stats{Decoded: 1}, map[uint8]int{17: 1}, 0},
		{"amp_snmp_stopddos.pcapng", 4373, Stats{Decoded: 4373}, map[uint8]int{1: 294, 17: 4079}, 0},
		{"badip_iprep_icmp_suricata-verify.pcap", 15, Stats{Decoded: 15}, map[uint8]int{1: 15}, 0},
		{"benign_dns_chrissanders.pcapng", 2, Stats{Decoded: 2}, map[uint8]int{17: 2}, 0},
		{"benign_http_google_chrissanders.pcapng", 12, Stats{Decoded: 12}, map[uint8]int{6: 12}, 0},
		{"benign_icmp_ping_threshold_suricata-verify.pcap", 12, Stats{Decoded: 12}, map[uint8]int{1: 12}, 0},
		{"benign_web_browsing_chrissanders.pcapng", 505, Stats{Decoded: 505}, map[uint8]int{6: 505}, 0},
		{"brute_ftp_zeek.pcap", 606, Stats{Decoded: 606}, map[uint8]int{6: 606}, 0},
		{"brute_ssh_sshguess_zeek.pcap", 431, Stats{Decoded: 431}, map[uint8]int{6: 431}, 0},
		{"flood_syn_200pkts_suricata-verify.pcap", 200, Stats{Decoded: 200}, map[uint8]int{6: 200}, 0},
		{"flood_syn_spoofed_stopddos.pcap", 37841, Stats{Decoded: 37841}, map[uint8]int{6: 37841}, 0},
		{"flood_synack_reflection_stopddos.pcap", 8000, Stats{Decoded: 7996, NonIP: 4, Fragments: 2},
			map[uint8]int{1: 153, 6: 7679, 17: 164}, 1},
		{"geoip_http_de_suricata-verify.pcap", 10, Stats{Decoded: 10}, map[uint8]int{6: 10}, 0},
		{"scan_nmap_syn_scanme_chrissanders.pcapng", 2011, Stats{Decoded: 2011}, map[uint8]int{6: 2011}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			src, err := capture.OpenFile(filepath.Join(sharedPcaps, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			d := NewDecoder()
			var (
				f      capture.Frame
				p      Packet
				protos = map[uint8]int{}
				later  int
			)
			for {
				err := src.Next(&f)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if d.Decode(&f, &p) != OK {
					continue
				}
				protos[p.Proto]++
				if p.Fragment && !p.FirstFragment {
					later++
					if p.SrcPort != 0 || p.DstPort != 0 {
						t.Errorf("later fragment with ports %d→%d", p.SrcPort, p.DstPort)
					}
				}
			}
			if st := src.Stats(); st.Frames != tt.frames || st.Errors != 0 {
				t.Errorf("source stats %+v, want %d frames and no errors", st, tt.frames)
			}
			if d.Stats != tt.stats {
				t.Errorf("decoder stats\n got %+v\nwant %+v", d.Stats, tt.stats)
			}
			if !maps.Equal(protos, tt.protos) {
				t.Errorf("protocols %v, want %v", protos, tt.protos)
			}
			if later != tt.later {
				t.Errorf("%d later fragments, want %d", later, tt.later)
			}
		})
	}
}
