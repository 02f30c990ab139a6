package gitops

import (
	"errors"
	"fmt"

	"github.com/aigw-console/aigw-console/app/sink"
)

// ErrUnavailable reports that the Git remote could not be reached or
// refused to talk to the console (network, 5xx, credentials). The HTTP edge
// maps it to 503 Service Unavailable. Nothing was committed: the local
// clone holds no half-written change, because the sink never moves a local
// branch before the remote accepted the push.
var ErrUnavailable = errors.New("git remote unavailable")

// ErrNoChange reports that a change set left the rendered tree as it was,
// so no commit was made. Apply does not return it (the Result says
// "unchanged"); it is the sentinel of the internal commit step, exported so
// callers of lower-level helpers can test for it.
var ErrNoChange = errors.New("no change to commit")

// PathError reports an object whose name, namespace or kind cannot become
// a safe path in the repository, or a target path that runs through a
// symlink, a submodule or a file where a folder should be. The HTTP edge
// maps it to 422 Unprocessable Entity.
type PathError struct {
	// Object is the object whose path was refused (may be zero for the root).
	Object sink.Ref
	// Path is the repository path, or the offending name.
	Path string
	// Reason says what is wrong, e.g. "is a symlink".
	Reason string
}

func (e *PathError) Error() string {
	if e.Object.Name == "" && e.Object.GVK.Kind == "" {
		return fmt.Sprintf("gitops path %q refused: %s", e.Path, e.Reason)
	}
	return fmt.Sprintf("%s: gitops path %q refused: %s", e.Object, e.Path, e.Reason)
}

// UnencryptedSecretError refuses a change set that carries a Secret with
// values while the sink has no SOPS age recipients to encrypt them for:
// Secret values never land in Git as plaintext. The HTTP edge maps it to
// 422 Unprocessable Entity. The message names the Secret, never a value.
type UnencryptedSecretError struct {
	// Object is the Secret.
	Object sink.Ref
}

func (e *UnencryptedSecretError) Error() string {
	return fmt.Sprintf("%s carries credentials, and GitOps mode has no SOPS age recipients to encrypt them: "+
		"configure age recipients for the GitOps sink, or reference an existing Secret instead (auth.secretRef)", e.Object)
}

// unavailable wraps a remote failure as ErrUnavailable, leading with what
// failed. The URL is printed without credentials.
func unavailable(op, url string, err error) error {
	return fmt.Errorf("%w: %s %s: %w", ErrUnavailable, op, redact(url), err)
}
