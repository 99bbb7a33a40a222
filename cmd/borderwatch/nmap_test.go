package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/sensor/alert/evetest"
)

// nmapAlert is the part of an EVE alert line the nmap test checks.
type nmapAlert struct {
	Timestamp   string `json:"timestamp"`
	EventType   string `json:"event_type"`
	SrcIP       string `json:"src_ip"`
	SrcPort     uint16 `json:"src_port"`
	DestIP      string `json:"dest_ip"`
	DestPort    uint16 `json:"dest_port"`
	Proto       string `json:"proto"`
	Direction   string `json:"direction"`
	CommunityID string `json:"community_id"`
	Alert       struct {
		Action      string `json:"action"`
		SignatureID uint32 `json:"signature_id"`
		Signature   string `json:"signature"`
		Severity    int    `json:"severity"`
		Metadata    struct {
			Kind             []string `json:"kind"`
			Mitre            []string `json:"mitre_technique_id"`
			GeoDirection     []string `json:"geo_direction"`
			DestCountry      []string `json:"dest_country"`
			SrcJurisdictions []string `json:"src_jurisdictions"`
		} `json:"metadata"`
		Context struct {
			Geo struct {
				Direction string `json:"direction"`
				Src       struct {
					Country       string   `json:"country_iso_code"`
					Jurisdictions []string `json:"jurisdictions"`
				} `json:"src"`
				Dest struct {
					Country string `json:"country_iso_code"`
				} `json:"dest"`
			} `json:"geo"`
			Stats struct {
				DistinctPorts uint32 `json:"distinct_ports"`
				Suppressed    uint64 `json:"suppressed"`
			} `json:"stats"`
			Threshold struct {
				Track    string  `json:"track"`
				Distinct string  `json:"distinct"`
				Count    uint64  `json:"count"`
				Window   float64 `json:"window"`
				Observed uint64  `json:"observed"`
			} `json:"threshold"`
		} `json:"context"`
	} `json:"alert"`
	Flow struct {
		PktsToServer uint64 `json:"pkts_toserver"`
		PktsToClient uint64 `json:"pkts_toclient"`
		Start        string `json:"start"`
		End          string `json:"end"`
	} `json:"flow"`
	PcapFilename string `json:"pcap_filename"`
}

// TestNmapOutboundScan is issue 2: a real nmap SYN scan (172.16.0.8 probing
// 1002 ports of scanme.nmap.org, 64.13.134.52, 1994 SYNs in 23 s) replayed
// with the lab GeoIP database (64.13.134.52 is US) and home DE, so that the
// scanner's side is home (172.16.0.8 is private) and the target is abroad.
//
// Decision: the default pack reports outbound scans. Rule 8100103 (severity
// 1, the highest) fires when a home host probes 15 distinct TCP ports of one
// host abroad within 5 minutes: a home host scanning abroad is likely
// compromised, or an unsanctioned scanner, and the operator of the gateway
// answers for it. One scan is one alert: the alert comes on the 15th
// distinct port (3389, the 15th port nmap probed), then the pair is
// suppressed for an hour, so the remaining 1979 probes print nothing; the
// target's SYN-ACKs and RSTs are answers and never count.
func TestNmapOutboundScan(t *testing.T) {
	pcap := sharedCapture(t, "../shared/pcaps/scan_nmap_syn_scanme_chrissanders.pcapng")
	out, errOut, err := execCLI("replay", "--quiet", "--home", "DE", "--geoip", labGeoIP(t), pcap)
	if err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 1 || lines[0] == "" {
		t.Fatalf("%d alert lines, want exactly 1:\n%s", len(lines), out)
	}
	var got nmapAlert
	if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
		t.Fatalf("alert line is not JSON: %v\n%s", err, lines[0])
	}
	var want nmapAlert
	want.Timestamp = "2010-07-04T20:24:16.466388+0000"
	want.EventType = "alert"
	want.SrcIP, want.SrcPort = "172.16.0.8", 36050
	want.DestIP, want.DestPort = "64.13.134.52", 3389
	want.Proto, want.Direction = "TCP", "to_server"
	want.CommunityID = "1:qajceBxumrVG2IBO0P/H3Dc/isg="
	want.Alert.Action = "allowed"
	want.Alert.SignatureID = 8100103
	want.Alert.Signature = "BW SCAN outbound TCP port scan by a home host"
	want.Alert.Severity = 1
	want.Alert.Metadata.Kind = []string{"scan"}
	want.Alert.Metadata.Mitre = []string{"T1046"}
	want.Alert.Metadata.GeoDirection = []string{"outbound"}
	want.Alert.Metadata.DestCountry = []string{"US"}
	want.Alert.Metadata.SrcJurisdictions = []string{"home"}
	g := &want.Alert.Context.Geo
	g.Direction = "outbound"
	g.Src.Jurisdictions = []string{"home"} // private: no country, home
	g.Dest.Country = "US"
	want.Alert.Context.Stats.DistinctPorts = 15
	th := &want.Alert.Context.Threshold
	th.Track, th.Distinct = "pair", "dst_port"
	th.Count, th.Window, th.Observed = 15, 300, 15
	want.Flow.PktsToServer = 15
	want.Flow.Start = "2010-07-04T20:24:16.274870+0000"
	want.Flow.End = "2010-07-04T20:24:16.466388+0000"
	want.PcapFilename = pcap
	if !reflect.DeepEqual(got, want) {
		t.Errorf("alert\n got %+v\nwant %+v\nline: %s", got, want, lines[0])
	}
	evetest.ValidateLines(t, "nmap scan", []byte(out))
}
