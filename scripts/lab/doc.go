// Package lab holds the end-to-end test of the deployed sensor: the
// namespace lab of lab.sh (a gateway running `borderwatch run` with XDP on
// its WAN and LAN interfaces, a home LAN with real services, attackers and
// DNS reflectors in CN, RU and FR) driven by real attack tools. Run it with
// `make e2e` (root; it skips with the reason otherwise).
package lab
