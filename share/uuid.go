package share

import (
	"crypto/sha1" //nolint:gosec // UUIDv5 is defined over SHA-1 (RFC 9562)
	"encoding/hex"
)

// uuid is an RFC 9562 UUID.
type uuid [16]byte

// stixSCONamespace is the namespace STIX 2.1 (section 2.9) defines for the
// deterministic identifiers of cyber-observable objects.
var stixSCONamespace = mustUUID("00abedb4-aa42-466c-9c01-fed23315a9b7")

// bwNamespace is borderwatch's namespace for the identifiers of everything
// else it shares (SDOs, SROs, MISP events and attributes).
var bwNamespace = mustUUID("6f1b3c2e-8d4a-5b7e-9c0f-3a2d1e4b5c6d")

// uuidV5 is the name-based (SHA-1) UUID of name in namespace ns.
func uuidV5(ns uuid, name string) uuid {
	h := sha1.New() //nolint:gosec // see import
	h.Write(ns[:])
	h.Write([]byte(name))
	var u uuid
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return u
}

func (u uuid) String() string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

func mustUUID(s string) uuid {
	var u uuid
	if len(s) != 36 {
		panic("bad uuid " + s)
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		panic("bad uuid " + s)
	}
	return u
}
