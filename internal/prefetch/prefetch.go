// Package prefetch asks the CPU to bring a cache line into its caches
// without waiting for it: the per-packet path issues the loads a batch of
// packets will need before it handles them one by one, so that their cache
// misses overlap. A prefetch changes nothing the program can see, and a
// bad address is ignored by the CPU; where no prefetch instruction is
// used, Line does nothing.
package prefetch
