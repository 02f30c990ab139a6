// Package api is the console's HTTP surface: the route table, the handlers
// and the single place where errors become HTTP answers.
//
// Every handler is a small function built from its dependencies
// (decode → validate → hand to a sink → encode); none keeps state between
// requests, so any replica can serve any request and can die at any moment.
// Reads are served from the shared informer cache (package cluster); writes
// go through the Sink.
//
// # Conventions
//
//   - Namespaces are given as the query parameter ?namespace=. A list
//     without it covers every namespace the console watches; a request for
//     one named object without it uses "default".
//   - Errors are RFC 9457 problem+json documents (see Problem) with a
//     machine-readable code and, for invalid input, one cause per field.
package api
