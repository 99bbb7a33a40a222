// Package capture reads frames from capture files (pcap, pcapng), AF_PACKET
// sockets and the kernel stage's ring buffer, behind one Source interface so
// replay and live capture share the pipeline.
package capture
