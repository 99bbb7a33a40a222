// Package lifecycle stops the components of a running sensor in one place:
// each component is added once it has started, and Stop stops them in
// reverse order, so that a start that fails halfway releases exactly what
// it started and a normal stop drains every stage into the next one
// (capture before the pipeline, the pipeline before the alert outputs).
package lifecycle
