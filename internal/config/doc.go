// Package config is the sensor's configuration file: its schema (Config),
// strict decoding with every problem at its file and line (Read, Parse),
// and its assembly from the components' own configurations — each
// component (sensor/capture/live, sensor/pipeline, sensor/alert/sink,
// sensor/metrics, geo) owns its Configuration type, defaults and bounds;
// Default gathers the defaults and Problems the components' checks, so
// that no default or bound is written twice. The CLI reads the file, puts
// its flags over it and hands each component its part.
package config
