// Package replay runs capture files (pcap, pcapng, gzip, standard input)
// through the same pipeline as live capture, in capture time, and
// describes the result for people: Run opens every file first (a missing
// one is an InputError), reads them in order as one capture, and returns
// the pipeline's counters; WriteSummary and TrafficHint turn those into
// the summary `borderwatch replay` prints; a progress line is drawn on a
// terminal. Alerts go to the pipeline.Sink the caller gives.
package replay
