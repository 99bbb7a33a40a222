package decode

import (
	"encoding/binary"
	"errors"
	"net"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// LayerTypeLinuxSLL2 is the gopacket layer type of LinuxSLL2. The number is
// in gopacket's range for application-defined layer types (1000-1999).
var LayerTypeLinuxSLL2 = gopacket.RegisterLayerType(1276, gopacket.LayerTypeMetadata{
	Name:    "LinuxSLL2",
	Decoder: gopacket.DecodeFunc(decodeLinuxSLL2),
})

// sll2HeaderLen is the fixed length of a LINKTYPE_LINUX_SLL2 header.
const sll2HeaderLen = 20

// LinuxSLL2 is the 20-byte Linux cooked capture header, version 2, written by
// libpcap for "any"-interface captures (tcpdump -i any since libpcap 1.10).
// It is a gopacket.DecodingLayer.
type LinuxSLL2 struct {
	layers.BaseLayer
	ProtocolType   layers.EthernetType // EtherType of the payload
	InterfaceIndex uint32
	ARPHardware    uint16 // ARPHRD_* type of the capturing interface
	PacketType     layers.LinuxSLLPacketType
	AddrLen        uint8
	Addr           net.HardwareAddr // link-layer source address, up to 8 bytes; points into the frame
}

// LayerType returns LayerTypeLinuxSLL2.
func (s *LinuxSLL2) LayerType() gopacket.LayerType { return LayerTypeLinuxSLL2 }

// CanDecode returns LayerTypeLinuxSLL2.
func (s *LinuxSLL2) CanDecode() gopacket.LayerClass { return LayerTypeLinuxSLL2 }

// NextLayerType returns the layer type of the EtherType in the header.
func (s *LinuxSLL2) NextLayerType() gopacket.LayerType { return s.ProtocolType.LayerType() }

var errSLL2Short = errors.New("linux sll2 header shorter than 20 bytes")

// DecodeFromBytes decodes the header at the start of data; it does not allocate.
func (s *LinuxSLL2) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < sll2HeaderLen {
		df.SetTruncated()
		return errSLL2Short
	}
	s.ProtocolType = layers.EthernetType(binary.BigEndian.Uint16(data[0:2]))
	s.InterfaceIndex = binary.BigEndian.Uint32(data[4:8])
	s.ARPHardware = binary.BigEndian.Uint16(data[8:10])
	s.PacketType = layers.LinuxSLLPacketType(data[10])
	s.AddrLen = data[11]
	n := min(int(s.AddrLen), 8)
	s.Addr = net.HardwareAddr(data[12 : 12+n])
	s.BaseLayer = layers.BaseLayer{Contents: data[:sll2HeaderLen], Payload: data[sll2HeaderLen:]}
	return nil
}

func decodeLinuxSLL2(data []byte, p gopacket.PacketBuilder) error {
	s := &LinuxSLL2{}
	if err := s.DecodeFromBytes(data, p); err != nil {
		return err
	}
	p.AddLayer(s)
	p.SetLinkLayer(s)
	return p.NextDecoder(s.ProtocolType)
}

// LinkFlow returns a flow with the source link-layer address only (SLL2 has
// no destination address).
func (s *LinuxSLL2) LinkFlow() gopacket.Flow {
	return gopacket.NewFlow(layers.EndpointMAC, s.Addr, nil)
}
