// Package synth generates capture files of attack and benign traffic for tests,
// demos and benchmarks: deterministic (seeded, fixed start time), built with
// gopacket serialization, written as pcap or pcapng with pcapgo.
//
// A Gen builds Streams, time-ordered frames of one scenario (a SYN scan, a
// flood, a web session …); Merge interleaves several by time and WriteFile
// writes the result. All addresses should come from the documentation
// prefixes (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32).
package synth
