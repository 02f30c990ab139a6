package api

import (
	"errors"
	"net/http"

	"github.com/aigw-console/aigw-console/gitops"
)

// gitRetryAfter is the Retry-After of a 503 GitUnavailable, in seconds.
const gitRetryAfter = "5"

// gitopsProblem maps the GitOps sink's errors. None of them carries a
// credential: the sink redacts URLs, forges never echo tokens, and an
// UnencryptedSecretError names the Secret, not its value.
func gitopsProblem(err error) (*Problem, bool) {
	var unenc *gitops.UnencryptedSecretError
	var path *gitops.PathError
	var forge *gitops.ForgeError
	var flow *gitops.FlowError
	switch {
	case errors.As(err, &unenc):
		p := newProblem(http.StatusUnprocessableEntity, "UnencryptedSecret", unenc.Error(), Cause{
			Field:   "auth",
			Message: "GitOps mode has no age recipients to encrypt credentials for: use auth.secretRef to reference an existing Secret, or configure --gitops-age-recipient",
			Reason:  "UnencryptedSecret",
		}).Problem
		return &p, true
	case errors.As(err, &path):
		p := newProblem(http.StatusUnprocessableEntity, "InvalidPath", path.Error(), Cause{
			Field: "metadata.name", Message: path.Reason, Reason: "InvalidPath",
		}).Problem
		return &p, true
	case errors.As(err, &flow):
		p := newProblem(http.StatusBadRequest, "InvalidFlow", flow.Error(), Cause{
			Field: "flow", Message: flow.Reason, Reason: "InvalidFlow",
		}).Problem
		return &p, true
	case errors.As(err, &forge):
		p := newProblem(http.StatusBadGateway, "ForgeError", "the pull request could not be opened: "+forge.Error()).Problem
		return &p, true
	case errors.Is(err, gitops.ErrKeyTooLong):
		p := newProblem(http.StatusUnprocessableEntity, "UnrenderableObject", err.Error()+"; nothing was committed").Problem
		return &p, true
	case errors.Is(err, gitops.ErrUnavailable):
		p := newProblem(http.StatusServiceUnavailable, "GitUnavailable", err.Error()+"; nothing was committed, retry later").Problem
		return &p, true
	}
	return nil, false
}

// retryAfter is the Retry-After header of a problem, or "".
func retryAfter(p *Problem) string {
	if p.Code == "GitUnavailable" {
		return gitRetryAfter
	}
	return ""
}
