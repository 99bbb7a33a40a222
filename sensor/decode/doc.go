// Package decode turns captured frames into Packet summaries with gopacket's
// DecodingLayerParser: one Decoder per worker, preallocated layers, no
// allocation per packet.
//
//	d := decode.NewDecoder()
//	var p decode.Packet
//	if r := d.Decode(&frame, &p); r != decode.OK {
//		// counted by reason (r.String()) and skipped
//	}
package decode
