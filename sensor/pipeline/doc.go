// Package pipeline wires the sensor's stages: frames from capture.Sources are
// decoded, routed to detection workers, tracked in per-worker flow tables,
// looked up in the GeoIP table, run through the detection engine, and the
// alerts enriched and handed to a sink. Replay and live capture use the same
// Pipeline.
//
// # Workers and routing
//
// With one worker, one source and no live mode everything runs on the reading
// goroutine: no channel, no lock. Otherwise each source has a reading
// goroutine that decodes each frame and appends the packet summary to the
// batch of the worker owning its source address and of the worker owning its
// destination address (detect.Shard), once when both are the same worker,
// with the router's decision: which of the two addresses that worker owns.
// Every detector key (source, destination, pair, flow) is owned by exactly one
// worker, and that worker sees every packet of every flow involving the
// address it owns, in capture order (per source). The worker runs its flow
// table and the geo lookups on every packet it gets (a packet between two
// workers' addresses is tracked in both flow tables: the rules of both need
// its flow), and gives the detection engine the ownership flags
// (detect.Engine.ProcessOwned), so that each rule's filters run on one
// worker only. The source's worker counts the packet in the statistics.
//
// # Queues
//
// Batches travel on bounded channels; a reader owns the batches it fills and
// hands each over whole, so the per-packet path takes no lock. In replay a
// full queue blocks the reader: replay is lossless and as fast as the slowest
// worker. In live capture (Config.Live), while a worker's queue is full the
// reader keeps its full batch for that worker and drops the newest packets
// (tail drop), counting each in Stats.QueueDrops, because blocking would
// only move the loss into the kernel ring, where it is counted less
// precisely. In live mode a reader also hands a partial batch over as soon
// as its worker's queue is empty, and publishes how far it filled its
// batches (one atomic store per packet), so that an idle worker reads the
// packets a reader left in a partial batch (the last of a burst) without
// waiting for the batch to fill; each worker also advances its flow table
// and detector windows on a wall-clock ticker while no packets arrive.
//
// # Panics
//
// A panic in a reader (source, decoder, routing) or a worker (flow table,
// geo, detection, enrichment, sink) is recovered at that goroutine's loop
// (guard.go): the packet in process is dropped and counted in
// Stats.Panics, the panic logged to Config.Log (rate-limited, the stack
// once), and the loop goes on with the next packet. More than MaxPanics
// within PanicWindow stop the run: Run returns a *PanicsError, and again on
// every later call.
//
// # Reload
//
// SetRules installs a new, already checked rule set; the GeoIP table is
// swapped through the geo.Holder. Workers pick both up between batches (the
// inline reader every 1024 packets). A worker that sees a new rule set builds
// a new detection engine: detector windows start afresh, flow tables stay.
package pipeline
