// Package share turns borderwatch alert files into threat-intelligence
// exchange formats: a STIX 2.1 bundle (STIX, WriteSTIX), pushed to a TAXII
// 2.1 collection if wanted (PushTAXII), and a MISP event or MISP feed
// folder (MISP, WriteMISP, WriteMISPFeed). docs/sharing.md is the user's
// side.
//
// Read reads alert files (EVE or ECS JSON lines) as hostile input, with a
// bound on line length, file size and the number of distinct addresses; bad
// lines are counted and reported by file and line, never quoted. It groups
// the alerts by the foreign attacking address into Sightings.
//
// What leaves the sensor is decided here, once, for every format: by default
// only the foreign side of an alert (its address, country, AS and the
// technique) and the home side reduced to its country; home addresses, the
// sensor's host name, interfaces, capture file names, flow identifiers,
// Community IDs and the operator's rule messages are shared only with
// Options.IncludeHome.
//
// Every identifier is derived from content (UUIDv5), so sharing the same
// alerts twice gives the same objects.
package share
