// Package taxiitest is a TAXII 2.1 server and client for tests, written from
// the OASIS TAXII 2.1 specification (sections 1.6, 3, 4 and 5): one API root
// holding one collection, in memory.
//
// The server answers the discovery, API root, status, collections,
// collection, objects (GET and POST), object and manifest endpoints with the
// TAXII media type, and refuses what the specification says a server
// refuses: a request without the TAXII media type in Accept (406), a POST
// whose Content-Type is not the TAXII media type (415), a body over the API
// root's max_content_length (413), missing or wrong credentials (401, with
// WWW-Authenticate), a write to a read-only collection (403), an unknown
// path (404) or method (405), a bad filter (400). Every error body is a
// TAXII error message. Objects are stored by id and version (modified, else
// created, else the date they were added): a version posted twice is kept
// once. GET pages through them in the order they were added, with limit,
// more and next, and the filters added_after, match[id], match[type],
// match[version] (last by default, first, all or timestamps) and
// match[spec_version]. Fail queues refusals (429 with Retry-After, 5xx,
// 401, …) for the next POSTs, to test a client's retries; Add seeds the
// collection without a request, to test a client that pulls.
//
// Start runs a Server on a loopback port for the length of a test; New
// gives the handler to serve elsewhere (the lab's server,
// internal/devtools/bw-taxii). Client reads a collection back as a TAXII
// client does, page by page.
package taxiitest
