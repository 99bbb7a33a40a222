package synth

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// Format is a capture file format.
type Format uint8

// Capture file formats.
const (
	PCAP   Format = iota // classic pcap, nanosecond timestamps
	PCAPNG               // pcapng, one Ethernet interface
)

// snapLen is the snap length written in file headers.
const snapLen = 262144

// Write writes the stream as a capture of Ethernet frames in format f.
func Write(w io.Writer, f Format, s Stream) error {
	switch f {
	case PCAP:
		pw := pcapgo.NewWriterNanos(w)
		if err := pw.WriteFileHeader(snapLen, layers.LinkTypeEthernet); err != nil {
			return err
		}
		for _, p := range s {
			if err := pw.WritePacket(captureInfo(p), p.Data); err != nil {
				return err
			}
		}
		return nil
	case PCAPNG:
		nw, err := pcapgo.NewNgWriterInterface(w, pcapgo.NgInterface{Name: "synth0", LinkType: layers.LinkTypeEthernet,
			SnapLength: snapLen, TimestampResolution: 9}, pcapgo.NgWriterOptions{})
		if err != nil {
			return err
		}
		for _, p := range s {
			if err := nw.WritePacket(captureInfo(p), p.Data); err != nil {
				return err
			}
		}
		return nw.Flush()
	}
	return fmt.Errorf("unknown capture format %d", f)
}

func captureInfo(p Packet) gopacket.CaptureInfo {
	return gopacket.CaptureInfo{Timestamp: p.Time, CaptureLength: len(p.Data), Length: len(p.Data)}
}

// FormatOf returns the format a file name asks for: pcapng for names ending
// in .pcapng (or .pcapng.gz), pcap otherwise.
func FormatOf(path string) Format {
	if strings.HasSuffix(strings.TrimSuffix(path, ".gz"), ".pcapng") {
		return PCAPNG
	}
	return PCAP
}

// WriteFile writes the stream to path in the format its name asks for
// (FormatOf), gzip-compressed when the name ends in .gz.
func WriteFile(path string, s Stream) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating capture: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("writing %s: %w", path, cerr)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	var w io.Writer = bw
	var gz *gzip.Writer
	if strings.HasSuffix(path, ".gz") {
		gz = gzip.NewWriter(bw)
		w = gz
	}
	if err := Write(w, FormatOf(path), s); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if gz != nil {
		if err := gz.Close(); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
