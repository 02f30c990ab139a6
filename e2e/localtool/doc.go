// Package localtool finds and runs the test servers that `make tools`
// builds into .local/bin (Flux's controllers, Gitea): it resolves the bin
// folder, skips or fails a test when a binary is missing, reads files of a
// tools module's dependencies from the Go module cache, and runs child
// processes that die with the test.
//
// # Missing binaries
//
// Require skips the test with a message naming the make target when a
// binary is missing, unless the environment variable CI is set: then a
// missing binary fails the test, because CI must build them (`make test`
// depends on `make tools`).
//
// # Processes
//
// Start runs a binary in its own process group with SIGKILL as its
// parent-death signal (Linux), output appended to a log file. Stop sends
// SIGTERM to the group, then SIGKILL after a grace period, so neither a
// finished nor an interrupted test leaves a server behind.
package localtool
