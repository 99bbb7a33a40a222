// Package redact is the one place where borderwatch hides secrets in URLs
// and in the errors that quote them: configuration printed by config
// check and status, log lines, metrics labels, cache metadata and error
// messages all go through it, and all show a secret as Marker.
//
// Two forms of a URL:
//   - URL, for borderwatch's own URLs (alert outputs, the metrics
//     address): the userinfo password (the whole userinfo when it has no
//     password, as a lone user part is often a token) and the values of the
//     query parameters whose names say they hold a secret (SecretKey) are
//     replaced; the rest stays readable.
//   - ForeignURL, for another server's URLs (list feeds, TAXII and MISP
//     servers), whose parameter names mean nothing to us: the whole userinfo
//     and every query value are replaced.
//
// Both cut the text by hand instead of parsing it, so a URL that does not
// parse is redacted too, and a password holding an unescaped "/", "@" or
// "%" is still taken out whole: the userinfo ends at the last "@" before
// the query. A "?" or "#" in a password must be percent-encoded (RFC
// 3986) for the URL to parse, but one typed unencoded is taken out too:
// when the authority has no "@" and the text up to the first "/" has one,
// the text before that "@" is the userinfo, unless the URL parses and a
// query parameter holds the "@" ("redis://h:6379?key=bw@site1"). A
// fragment is always replaced.
//
// Error rewrites an error quoting a URL: a *url.Error anywhere in its
// chain (net/http quotes the request's URL in its errors, with the query
// and any user-only userinfo) and any URLs named by the caller, together
// with the secrets taken out of them in raw and percent-decoded form, as
// parse errors quote pieces of the URL. The host and path stay, so the
// error still says where.
package redact
