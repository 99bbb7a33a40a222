package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/borderwatch/borderwatch/sensor/capture"
)

// maxMixInput bounds the bytes of frames realMix keeps of its inputs (one
// round): 256 MiB.
const maxMixInput = 256 << 20

type mixFrame struct {
	ts   int64 // ns from the first frame of its capture
	data []byte
	wire int
}

// realMix writes n packets to out: the frames of the captures (Ethernet),
// in the order given, each capture re-stamped to start a second after the
// previous one ended, repeated round after round. Timestamps stay in
// order, so windows and flow timeouts work as on one long capture.
func realMix(out string, n int, captures []string) error {
	var (
		caps [][]mixFrame
		kept int
	)
	for _, path := range captures {
		src, err := capture.OpenFile(path)
		if err != nil {
			return err
		}
		var (
			fs    []mixFrame
			f     capture.Frame
			first int64
		)
		for {
			err = src.Next(&f)
			if err != nil {
				break
			}
			if f.Link != layers.LinkTypeEthernet {
				src.Close()
				return fmt.Errorf("%s: link type %v: realmix takes Ethernet captures", path, f.Link)
			}
			if kept += len(f.Data); kept > maxMixInput {
				src.Close()
				return errors.New("realmix: inputs larger than 256 MiB")
			}
			if len(fs) == 0 {
				first = f.Timestamp
			}
			fs = append(fs, mixFrame{ts: max(f.Timestamp-first, 0), data: append([]byte(nil), f.Data...), wire: int(f.WireLen)})
		}
		src.Close()
		if !errors.Is(err, io.EOF) {
			return fmt.Errorf("%s: %w", path, err)
		}
		if len(fs) > 0 {
			caps = append(caps, fs)
		}
	}
	if len(caps) == 0 {
		return errors.New("realmix: no packets in the captures")
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	write, flush, err := frameWriter(bw, strings.HasSuffix(out, ".pcapng"))
	if err != nil {
		f.Close()
		return err
	}
	// A fixed start (2025-01-01 UTC): the file is the same in every run.
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	for written := 0; written < n; {
		for _, fs := range caps {
			for _, fr := range fs {
				if written == n {
					break
				}
				ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, at+fr.ts).UTC(), CaptureLength: len(fr.data), Length: fr.wire}
				if err := write(ci, fr.data); err != nil {
					f.Close()
					return err
				}
				written++
			}
			at += fs[len(fs)-1].ts + int64(time.Second)
		}
	}
	if err := flush(); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// frameWriter returns the packet writer of a pcap (nanosecond) or pcapng
// capture of Ethernet frames on w, and its flush.
func frameWriter(w io.Writer, ng bool) (func(gopacket.CaptureInfo, []byte) error, func() error, error) {
	if ng {
		nw, err := pcapgo.NewNgWriterInterface(w, pcapgo.NgInterface{Name: "mix0", LinkType: layers.LinkTypeEthernet,
			SnapLength: capture.MaxRecordSize, TimestampResolution: 9}, pcapgo.NgWriterOptions{})
		if err != nil {
			return nil, nil, err
		}
		return nw.WritePacket, nw.Flush, nil
	}
	pw := pcapgo.NewWriterNanos(w)
	if err := pw.WriteFileHeader(capture.MaxRecordSize, layers.LinkTypeEthernet); err != nil {
		return nil, nil, err
	}
	return pw.WritePacket, func() error { return nil }, nil
}
