// Package gitops is the GitOps sink: it renders a change set to
// deterministic YAML files, commits them with go-git and pushes them to a
// branch that Flux (a Kustomization) or Argo CD (a kustomize or directory
// application) applies. It implements sink.Sink, so handlers run the same
// pipeline in both modes.
//
// # Layout
//
// One file per object under a configurable root:
//
//	<root>/kustomization.yaml                      resources: namespaces (and _cluster)
//	<root>/<namespace>/kustomization.yaml          resources: kind folders
//	<root>/<namespace>/<kind>/kustomization.yaml   resources: <name>.yaml, sorted
//	<root>/<namespace>/<kind>/<name>.yaml
//	<root>/_cluster/<kind>/<name>.yaml             cluster-scoped objects
//
// Render writes sorted keys and drops status and what the API server sets
// (uid, resourceVersion, generation, creationTimestamp, managedFields, the
// kubectl last-applied annotation), so one intent is always the same bytes.
// A folder's kustomization.yaml is rewritten when a file is added to or
// removed from it; a folder left empty disappears, the root keeps an
// empty one so that Flux prunes rather than fails. Fields people add to a
// kustomization.yaml (patches, labels) are kept.
//
// # Path safety
//
// Names are validated before they become paths (ObjectPath): the
// namespace must be a DNS-1123 label, the name a DNS-1123 subdomain and the
// kind an identifier, which rules out "..", absolute paths, separators and
// control characters. The sink has no work tree: it edits Git tree objects
// in memory on top of the fetched head, so no write ever goes through a
// filesystem path. The check an Lstat would make in a work tree is made on
// the tree entries: a symlink, a submodule or a file at any component of a
// target path (root included) is refused with a PathError.
//
// # Commits and concurrency
//
// Apply fetches the branch into the replica's clone (Options.CacheDir, a
// bare repository fetched incrementally), lays the change onto the remote
// head, and makes no commit if the tree did not change. Otherwise it
// commits as the console (Options.AuthorName/AuthorEmail) with a message
// that lists each object's action and ends with the trailers "Policy:"
// (WithPolicyResult) and "Acting-User:" (WithUser), and pushes the new
// objects with a compare-and-swap update: git receive-pack moves the
// branch only if it still points at the commit the change was laid onto.
// When another replica won the race, Apply fetches and lays the change
// again onto the new head, with backoff, up to Options.MaxAttempts. It
// never force-pushes, so no update is lost, and the history stays linear.
// A remote that cannot be reached is ErrUnavailable (HTTP 503); the local
// clone then holds nothing but unreferenced objects: its branch ref only
// ever moves to what the remote accepted.
//
// Every entry of a committed result carries "git:<commit SHA>" in
// ResourceVersion (CommitOf reads it back); the same value works as a
// precondition (If-Match).
//
// # Secrets
//
// Secret values never land in Git in clear. With Options.Recipients, the
// values under data and stringData of every Secret are SOPS-encrypted for
// those age public keys, with sops' own packages, in the layout that
// `sops --encrypt --age <recipient> --encrypted-regex '^(data|stringData)$'`
// writes and that Flux's kustomize-controller decrypts natively
// (spec.decryption.provider: sops, the age identity in a Secret). Without
// recipients, a change set that carries a Secret with values is refused
// with an UnencryptedSecretError: configure recipients, or reference an
// existing Secret (auth.secretRef).
//
// # History
//
// History (Sink.History) answers, for every object file of the branch, the
// desired commit: the last first-parent commit that changed it (a merged
// pull request counts at its merge commit). It reads the sink's clone
// through its own object store, walks at most HistoryOptions.Depth commits
// when it starts (older files are flagged Truncated), and afterwards looks
// only at the commits between the head it knew and the new one; an
// unchanged head costs a ref read. History.Object reads a file back for
// comparison with the cluster: SOPS metadata dropped and Secret values
// blanked, so only key names are ever compared (package app/syncstatus).
//
// # Pull requests
//
// Options.Flow picks how a commit reaches the target branch: FlowPush
// pushes it there; FlowPullRequest lays it onto the target branch's head
// as well, pushes it to a new branch BranchPrefix + <summary> + "-" +
// <sha8> (created with a compare-and-swap from nothing, so never
// overwriting a branch) and opens a pull request through the Forge
// interface: NewGitHub (POST /repos/{owner}/{repo}/pulls), NewGitLab (POST
// /projects/:id/merge_requests) or NewGitea; a pull request already open
// for the branch is looked up and returned. Its title is the summary; its
// body lists each object's action and file, the policy result and the
// acting user, never content. With Options.AllowFlowOverride a change set
// may ask for the other flow (sink.ChangeSet.Flow). A result carries
// sink.GitOps: the commit, the branch and the pull request.
package gitops
