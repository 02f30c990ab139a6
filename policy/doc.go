// Package policy evaluates the console's Rego policies against the
// Kubernetes objects a request is about to write.
//
// It is the second of the three validation stages, after the Go checks and
// before the server-side dry-run: a handler renders its change set, builds an
// Input, calls Engine.Evaluate and refuses the request when the Decision is
// not Allowed (Decision.Err returns a *DeniedError for the HTTP error
// mapping). Warnings go back to the user with a successful response.
//
// # Policies
//
// The default bundle (policy/bundle, embedded with go:embed) has one Rego
// package per decision: aigw.provider (ownership labels), aigw.tls (traffic
// to providers is encrypted and verified), aigw.secrets (secret references)
// and aigw.route (model matches and timeouts), with shared predicates in
// aigw.lib. Options.Dir adds a directory of further .rego files, usually a
// mounted ConfigMap owned by a platform team; Options.DisableDefaults leaves
// the bundle out. Files are Rego v1; *_test.rego files are skipped.
//
// Every package under data.aigw that defines deny or warn is evaluated, so a
// new file `package aigw.team_x` with a deny rule takes effect without a Go
// change. Packages outside data.aigw are ignored, with a warning in the log.
// The built-ins http.send and net.lookup_ip_addr are refused at compile time:
// a policy runs on every request and must not depend on the network.
//
// # Input
//
// Policies see this document as input (see Input):
//
//	{
//	  "operation": "create" | "update" | "delete",
//	  "kind":      "provider" | "route" | "resource",
//	  "user":      {"name": "alice", "groups": ["team-a"]},
//	  "namespace": "team-a",
//	  "objects":   [ <rendered Kubernetes objects of the change set> ],
//	  "live":      [ <related objects already in the cluster> ],
//	  "dryRun":    false
//	}
//
// objects and live are always arrays. Evaluate replaces the value of every
// key of a Secret's data and stringData with "" before policies run, in both
// lists: policies can check which keys a Secret has, never what they hold.
//
// # Output
//
// deny and warn are sets of objects of one fixed shape:
//
//	deny contains {"msg": "...", "field": "AIServiceBackend/openai: spec.schema.name"}
//
// field is "<Kind>/<metadata.name>: <field path>", the path dotted with [i]
// for list indexes, e.g. "AIGatewayRoute/openai: spec.rules[0].timeouts.request",
// the same shape as the console's Go validation errors. Each result becomes a
// Violation whose Policy is the package that produced it. Anything else in
// deny or warn (a string, an object without a string msg and field, a
// boolean deny) becomes a denial naming the package: a broken policy fails
// closed. Evaluate sorts both lists by field, then message.
//
// # Reloading
//
// New compiles everything and prepares the query once. Engine.Run polls Dir
// every Options.ReloadInterval and compares a hash of all policy files; a
// ConfigMap update (which swaps the ..data symlink) or any edit changes it.
// A new set that compiles replaces the old one atomically; one that does not
// is logged, reported by Engine.LastError, and the old set stays in force.
// Engine.Revision and Decision.Revision identify the set that decided, for
// audit records.
package policy
