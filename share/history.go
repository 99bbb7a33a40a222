package share

import (
	"container/list"
	"net/netip"
	"slices"
	"time"
)

// DefaultHistoryAddresses is the most addresses a History remembers when
// NewHistory is given 0.
const DefaultHistoryAddresses = 100_000

// History remembers, per shared address, what the earlier batches of a
// stream shared, so that the bundle of each batch updates the same
// objects: the indicator and the sighting of an address keep their ids
// (made from the address and its first sighting) and get a new version
// (modified: the last sighting), with the counts, kinds, techniques and
// countries summed over the stream. A consumer of the live taxii output
// then holds one indicator and one sighting per attacker, each at its
// latest version, not one per batch.
//
// It remembers at most the addresses it was made for; past that the
// address shared least recently is forgotten, and its next batch starts
// new objects (so does a restart). Its methods are not safe for concurrent
// use.
type History struct {
	max int
	by  map[netip.Addr]*list.Element
	lru *list.List // of *Sighting, the most recently shared first
}

// NewHistory returns a History of at most max addresses
// (DefaultHistoryAddresses when max ≤ 0).
func NewHistory(max int) *History {
	if max <= 0 {
		max = DefaultHistoryAddresses
	}
	return &History{max: max, by: map[netip.Addr]*list.Element{}, lru: list.New()}
}

// Len is the number of addresses remembered.
func (h *History) Len() int { return len(h.by) }

// Apply turns res's sightings, in place, into their cumulative form over
// the stream, and returns the function that records them as shared: call
// it once their bundle was delivered. Until then the history is unchanged,
// so a batch that is sent again gives the same objects.
//
// A sighting whose alerts are all older than what was shared before still
// makes a new version: its last sighting is moved to 1 ms after the
// previous one, since a TAXII server keeps one object per id and version.
func (h *History) Apply(res *Result) (commit func()) {
	for _, s := range res.Sightings {
		e, ok := h.by[s.Address]
		if !ok {
			continue
		}
		merge(s, e.Value.(*Sighting))
	}
	return func() {
		for _, s := range res.Sightings {
			c := clone(s)
			if e, ok := h.by[s.Address]; ok {
				e.Value = c
				h.lru.MoveToFront(e)
				continue
			}
			h.by[s.Address] = h.lru.PushFront(c)
			for len(h.by) > h.max {
				old := h.lru.Back()
				h.lru.Remove(old)
				delete(h.by, old.Value.(*Sighting).Address)
			}
		}
	}
}

// merge adds what p (shared before) says to s (this batch).
func merge(s, p *Sighting) {
	if p.Role == RoleSource {
		s.Role = RoleSource
	}
	s.fillGeo(p.Country, p.RegisteredCountry, p.Continent, p.ASOrg, p.ASN)
	s.Alerts += p.Alerts
	s.Packets += p.Packets
	if p.FirstSeen.Before(s.FirstSeen) {
		s.FirstSeen = p.FirstSeen
	}
	if !s.LastSeen.After(p.LastSeen) {
		s.LastSeen = p.LastSeen.Add(time.Millisecond)
	}
	s.Kinds = union(s.Kinds, p.Kinds)
	s.Techniques = union(s.Techniques, p.Techniques)
	s.HomeCountries = union(s.HomeCountries, p.HomeCountries)
	s.Sensors = union(s.Sensors, p.Sensors)
	s.Signatures = union(s.Signatures, p.Signatures)
	for _, id := range p.SignatureIDs {
		if i, found := slices.BinarySearch(s.SignatureIDs, id); !found && len(s.SignatureIDs) < maxListed {
			s.SignatureIDs = slices.Insert(s.SignatureIDs, i, id)
		}
	}
	for _, ip := range p.HomeAddresses {
		if i, found := slices.BinarySearchFunc(s.HomeAddresses, ip, netip.Addr.Compare); !found && len(s.HomeAddresses) < maxListed {
			s.HomeAddresses = slices.Insert(s.HomeAddresses, i, ip)
		}
	}
}

func union(dst, src []string) []string {
	for _, v := range src {
		dst = addSorted(dst, v)
	}
	return dst
}

func clone(s *Sighting) *Sighting {
	c := *s
	c.Kinds = slices.Clone(s.Kinds)
	c.Techniques = slices.Clone(s.Techniques)
	c.SignatureIDs = slices.Clone(s.SignatureIDs)
	c.HomeCountries = slices.Clone(s.HomeCountries)
	c.HomeAddresses = slices.Clone(s.HomeAddresses)
	c.Sensors = slices.Clone(s.Sensors)
	c.Signatures = slices.Clone(s.Signatures)
	return &c
}
