// Package gitserver runs a real Git server for tests: git's own smart-HTTP
// server, /usr/lib/git-core/git-http-backend (Debian's git package), behind
// Go's net/http/cgi handler on 127.0.0.1. go-git, the git CLI and Flux's
// source-controller all clone, fetch and push through it exactly as they
// would against a production Git host.
//
// # Server
//
// Start serves every bare repository under Options.Root (GIT_PROJECT_ROOT,
// GIT_HTTP_EXPORT_ALL=1) at Server.URL + "/<name>", with optional basic auth
// in front. Faults for the tests:
//
//   - SetDown answers 503 to everything, SetPushDown to pushes only;
//   - Stop closes the listener (clients get "connection refused"), Restart
//     listens again on the same port;
//   - BeforeNextPush runs a function just before the next push is served
//     (to race another writer), Pushes counts receive-pack requests.
//
// # Repositories
//
// NewRepo makes an empty bare repository (http.receivepack true) and
// CreateRepo one with an initial commit on main. Repo.Commit writes a
// commit straight into the bare repository (another writer, and it works
// while the server is stopped). Repo reads the repository with the git
// CLI: Head, Files, Show, Commits, Linear (first-parent history, no merge
// commits) and Checkout (a clone over HTTP with the server's credentials).
// Git and RunGit run the git CLI anywhere with a fixed test identity.
//
// # History scan
//
// ScanHistory reads every object of every repository under a folder — all
// refs, unreachable objects, loose and packed — with
// `git cat-file --batch-all-objects --batch` and reports each object that
// holds one of the given needles. Tests use it to prove that a Secret value
// never reached Git in clear (pass its base64 form as another needle).
package gitserver
