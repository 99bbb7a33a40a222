// Package decode turns captured frames into Packet summaries with gopacket's
// DecodingLayerParser: one Decoder per worker, preallocated layers, no
// allocation per packet.
package decode
