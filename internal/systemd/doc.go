// Package systemd is the sensor's side of systemd: readiness notifications
// (sd_notify: READY, RELOADING, STOPPING, for Type=notify units) and a log
// writer whose lines carry the sd-daemon priority prefixes the journal
// understands when standard error is the journal's stream.
package systemd
