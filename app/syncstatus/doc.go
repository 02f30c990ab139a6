// Package syncstatus tells, in GitOps mode, whether the cluster has caught
// up with Git. For every object file under the GitOps root it compares the
// desired state (the file at the branch head, and the commit that last
// changed it: gitops.History) with the live object in the shared informer
// cache, and decides a state:
//
//   - Synced: the live object holds what Git wants.
//   - Pending: Git holds a change the applier has not applied yet
//     (operation create, update or delete).
//   - Drifted: the applier has applied the commit (or the grace period
//     passed) and the live object still differs; Fields names the field
//     paths that differ, or the object is missing, or it is still there
//     after its file was removed.
//
// Whether a commit is applied is read from the Flux Kustomization that
// applies the repository (status.lastAppliedRevision, Options.Applier)
// when one is configured; without one, a change younger than
// Options.Grace is Pending and an older one Drifted.
//
// Secrets are compared by key names only: Git holds their values
// SOPS-encrypted and the cache holds fingerprints; nothing here decrypts.
// A Secret whose file changed is therefore Pending until the applier
// reports its commit (or, without an applier, until the grace period
// ends), since a new value under the same key cannot be seen.
//
// A Tracker holds no state that Git and the cluster do not: its last
// report is a cache, rebuilt by any replica from the branch and the
// informers. It re-reads Git after every commit of its replica (Kick),
// every Options.Interval (fetching what other replicas and merged pull
// requests committed), and when the cache reports a change, and publishes
// the differences as "sync" events to the live stream.
package syncstatus
