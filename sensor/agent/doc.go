// Package agent is the live sensor of `borderwatch run`: its components —
// the capture (kernel stage and sources, sensor/capture/live), the alert
// outputs, the pipeline, the metrics endpoint with the console — started
// in that order and stopped in reverse (internal/lifecycle), the reload
// on SIGHUP and on a changed list (sensor/reload: prepare, then commit,
// into the pipeline and the kernel), the counters on SIGUSR1, and the
// service manager's notifications (ready, reloading, stopping).
//
// The CLI reads the configuration, loads the rules and the geo table,
// and hands Run each component's configuration in a Config; Run owns the
// order and the lifecycle.
package agent
