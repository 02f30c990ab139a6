package hardening

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// CertReloader serves the certificate in a pair of PEM files and reloads it
// at the first TLS handshake after either file changed. A pair that does
// not load (half written, key and certificate not matching) keeps the
// previous certificate until a later handshake finds a good pair.
type CertReloader struct {
	certFile, keyFile string
	logger            *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   string // size and mtime of both files at the last attempt
	lastErr error
}

// NewCertReloader loads the pair once; an error here stops the start-up.
func NewCertReloader(certFile, keyFile string, logger *slog.Logger) (*CertReloader, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("--tls-cert-file and --tls-key-file must be given together")
	}
	if logger == nil {
		logger = slog.Default()
	}
	r := &CertReloader{certFile: certFile, keyFile: keyFile, logger: logger}
	if err := r.reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// TLSConfig returns a server tls.Config that uses the reloader.
func (r *CertReloader) TLSConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.GetCertificate}
}

// GetCertificate is tls.Config.GetCertificate.
func (r *CertReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if err := r.reload(); err != nil {
		r.mu.Lock()
		// Log each failing pair once, not at every handshake.
		if r.lastErr == nil || r.lastErr.Error() != err.Error() {
			r.logger.Warn("TLS certificate not reloaded; serving the previous one", "error", err)
		}
		r.lastErr = err
		r.mu.Unlock()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cert, nil
}

func (r *CertReloader) reload() error {
	stamp, err := fileStamp(r.certFile, r.keyFile)
	if err != nil {
		return err
	}
	r.mu.Lock()
	same := stamp == r.stamp && r.cert != nil
	r.mu.Unlock()
	if same {
		return nil
	}
	pair, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("load TLS pair %s, %s: %w", r.certFile, r.keyFile, err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return fmt.Errorf("parse TLS certificate %s: %w", r.certFile, err)
	}
	pair.Leaf = leaf
	r.mu.Lock()
	r.cert, r.stamp, r.lastErr = &pair, stamp, nil
	r.mu.Unlock()
	r.logger.Info("TLS certificate loaded", "serial", leaf.SerialNumber.String(), "notAfter", leaf.NotAfter.Format(time.RFC3339))
	return nil
}

func fileStamp(files ...string) (string, error) {
	s := ""
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return "", err
		}
		s += fmt.Sprintf("%s:%d:%d;", f, fi.Size(), fi.ModTime().UnixNano())
	}
	return s, nil
}
