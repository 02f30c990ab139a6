package direct

import ssaerrors "github.com/fluxcd/pkg/ssa/errors"

// ssaDryRunErr is ssa's dry-run failure, which wraps the API server's error.
type ssaDryRunErr = ssaerrors.DryRunErr
