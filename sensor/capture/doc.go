// Package capture reads frames from capture files (pcap, pcapng), AF_PACKET
// sockets and the kernel stage's ring buffer, behind one Source interface so
// replay and live capture share the pipeline.
//
//	src, err := capture.OpenFile("scan.pcap") // or OpenAFPacket, or a live source
//	var f capture.Frame                       // reused: Next allocates nothing
//	for {
//		if err := src.Next(&f); err != nil {
//			break // io.EOF at the end of a file, ErrClosed after Close
//		}
//		// f.Data, f.Timestamp, f.WireLen, f.Link
//	}
//
// f.Data is valid until the next Next or Close: a regular file is read from
// a read-only mapping, and f.Data points into it. Copy what must outlive it.
//
// A new source is a type implementing Source (Next, Name, Stats, Close).
package capture
