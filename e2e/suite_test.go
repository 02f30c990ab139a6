package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/aigw-console/aigw-console/app/audit"
	"github.com/aigw-console/aigw-console/e2e/controlplane"
)

// Suite-level checks. Everything the tests exchange with the in-process
// consoles is captured here: every answer of `call`, every WebSocket frame,
// every console log line and every audit record. After the last test
// (TestMain → suiteChecks):
//   - every mutating request sent to a console has exactly one audit record
//     with its request ID, method, path and status, every record belongs to
//     a captured request, and the Kubernetes Event exists where one is due;
//   - no registered canary (every credential the suite sends) appears in any
//     captured answer, frame, log line, audit record, or Git object of a
//     repository a test registered (scanned when that test ends).

// suite is the capture of this test binary.
var suite = &capture{logs: &lockedBuffer{}, audit: &lockedBuffer{}, consoles: map[string]bool{}, canaries: map[string]bool{}}

// insecureClient reaches consoles that serve HTTPS with a test certificate.
var insecureClient = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // test certificates

type capture struct {
	mu       sync.Mutex
	requests []exchange
	frames   [][]byte
	logs     *lockedBuffer
	audit    *lockedBuffer
	consoles map[string]bool // host:port of the in-process consoles
	canaries map[string]bool
	git      gitScan
	// label prefixes the summary lines ("" for the suite's own capture).
	label string
}

// exchange is one HTTP request and its answer.
type exchange struct {
	Method, Host, Path string
	Status             int
	RequestID          string
	Header             http.Header
	Body               []byte
}

// lockedBuffer collects what several goroutines write (console logs).
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf.Bytes()...)
}

func (b *lockedBuffer) String() string { return string(b.Bytes()) }

// captureHTTP records an answer (`call` and the tests' own clients). The
// bearer token the request sent becomes a canary: the console must never
// echo it.
func (s *capture) captureHTTP(req *http.Request, resp *http.Response, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); ok && len(tok) >= 8 {
		s.canaries[tok] = true
	}
	s.requests = append(s.requests, exchange{Method: req.Method, Host: req.URL.Host, Path: req.URL.EscapedPath(), Status: resp.StatusCode,
		RequestID: resp.Header.Get(audit.RequestIDHeader), Header: resp.Header.Clone(), Body: append([]byte(nil), body...)})
}

// captureFrame records a message the console sent on a WebSocket (the
// client's own messages may carry its credentials: they are not scanned).
func (s *capture) captureFrame(raw []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frames = append(s.frames, append([]byte(nil), raw...))
}

func (s *capture) addConsole(hostport string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.consoles[hostport] = true
}

// registerCanary adds a secret value the suite sends; it must show up
// nowhere the checks look. It returns v.
func registerCanary(v string) string {
	suite.mu.Lock()
	defer suite.mu.Unlock()
	suite.canaries[v] = true
	return v
}

// registerGitRepo adds the Git repositories under dir (bare repositories
// and work trees, found by walking it) to the canary scan. GitOps-mode tests
// register the folders of their remotes and clones. The scan runs when the
// test ends, before its temporary folders are removed, with every canary
// registered by then; its findings fail the suite after the last test.
func registerGitRepo(t testing.TB, dir string) {
	t.Cleanup(func() { suite.scanGit(dir) })
}

// gitScan is what the Git scans found.
type gitScan struct {
	repos, objects int
	fails          []string
}

// scanGit scans every repository under root for every canary.
func (s *capture) scanGit(root string) {
	s.mu.Lock()
	needles := s.needles()
	s.mu.Unlock()
	var res gitScan
	repos, err := findRepos(root)
	if err != nil {
		res.fails = append(res.fails, err.Error())
	}
	for _, dir := range repos {
		n, hits, err := scanRepo(dir, needles)
		res.repos++
		res.objects += n
		if err != nil {
			res.fails = append(res.fails, err.Error())
		}
		for _, h := range hits {
			res.fails = append(res.fails, "a canary appears in Git: "+h)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.git.repos += res.repos
	s.git.objects += res.objects
	s.git.fails = append(s.git.fails, res.fails...)
}

// findRepos returns the Git directories under root: bare repositories
// (HEAD and objects/) and the .git folders of work trees.
func findRepos(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if _, herr := os.Stat(filepath.Join(p, "HEAD")); herr == nil {
			if fi, oerr := os.Stat(filepath.Join(p, "objects")); oerr == nil && fi.IsDir() {
				out = append(out, p)
				return filepath.SkipDir
			}
		}
		return nil
	})
	return out, err
}

// needles are the spellings of the canaries that would betray a leak:
// clear, and base64 at every alignment.
func (s *capture) needles() [][]byte {
	var out [][]byte
	for c := range s.canaries {
		out = append(out, []byte(c), []byte(base64.StdEncoding.EncodeToString([]byte(c))))
		for _, e := range audit.EmbeddedBase64(c) {
			out = append(out, []byte(e))
		}
	}
	return out
}

// suiteChecks runs after every test; it turns a passing run into a failing
// one when a check fails.
func suiteChecks(code int) int {
	registerTokenCanaries()
	fails := suite.checkAudit()
	fails = append(fails, suite.checkCanaries()...)
	for i, f := range fails {
		if i == 50 {
			fmt.Fprintf(os.Stderr, "suite check: ... and %d more\n", len(fails)-50)
			break
		}
		fmt.Fprintln(os.Stderr, "suite check FAILED:", f)
	}
	if len(fails) > 0 && code == 0 {
		return 1
	}
	return code
}

func (s *capture) records() ([]audit.Record, []string) {
	var recs []audit.Record
	var fails []string
	sc := bufio.NewScanner(bytes.NewReader(s.audit.Bytes()))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var r audit.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			fails = append(fails, fmt.Sprintf("audit line is not a record: %v: %.300s", err, sc.Bytes()))
			continue
		}
		recs = append(recs, r)
	}
	return recs, fails
}

// checkAudit matches every mutating request with its one audit record and
// every record with its request, and looks up the Events.
func (s *capture) checkAudit() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	recs, fails := s.records()
	byID := map[string][]audit.Record{}
	for _, r := range recs {
		byID[r.RequestID] = append(byID[r.RequestID], r)
	}
	matched := map[string]bool{}
	mutating := 0
	var due []audit.Record
	for _, x := range s.requests {
		if !s.consoles[x.Host] || !audit.Mutating(x.Method, x.Path) {
			continue
		}
		mutating++
		if x.RequestID == "" {
			fails = append(fails, fmt.Sprintf("%s %s (%d): no X-Request-Id in the answer", x.Method, x.Path, x.Status))
			continue
		}
		got := byID[x.RequestID]
		if len(got) != 1 {
			fails = append(fails, fmt.Sprintf("%s %s (%d) request %s: %d audit records, want 1", x.Method, x.Path, x.Status, x.RequestID, len(got)))
			continue
		}
		r := got[0]
		matched[x.RequestID] = true
		if r.Method != x.Method || r.Path != x.Path || r.Result.Status != x.Status {
			fails = append(fails, fmt.Sprintf("request %s: record says %s %s %d, the request was %s %s %d", x.RequestID, r.Method, r.Path, r.Result.Status, x.Method, x.Path, x.Status))
		}
		if audit.EventDue(r) {
			due = append(due, r)
		}
	}
	for _, r := range recs {
		if !matched[r.RequestID] {
			fails = append(fails, fmt.Sprintf("audit record %s (%s %s %d) belongs to no captured request", r.RequestID, r.Method, r.Path, r.Result.Status))
		}
	}
	events, gone, evFails := checkEvents(due)
	fails = append(fails, evFails...)
	fmt.Fprintf(os.Stderr, "%saudit check: %d mutating requests, %d records, %d Events found (%d due, %d in namespaces deleted since)\n",
		s.label, mutating, len(recs), events, len(due), gone)
	return fails
}

// checkEvents finds the Event of every record that is due one.
func checkEvents(due []audit.Record) (found, gone int, fails []string) {
	if len(due) == 0 {
		return 0, 0, nil
	}
	cs, err := kubernetes.NewForConfig(env.Admin)
	if err != nil {
		return 0, 0, []string{err.Error()}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, r := range due {
		name := audit.EventName(r.Target.Name, r.RequestID)
		ev, err := cs.CoreV1().Events(r.Target.Namespace).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			if _, nerr := cs.CoreV1().Namespaces().Get(ctx, r.Target.Namespace, metav1.GetOptions{}); apierrors.IsNotFound(nerr) {
				gone++
				continue
			}
		}
		if err != nil {
			fails = append(fails, fmt.Sprintf("request %s (%s %s %d): Event %s/%s: %v", r.RequestID, r.Method, r.Path, r.Result.Status, r.Target.Namespace, name, err))
			continue
		}
		reason, _ := audit.Reason(r)
		if ev.Annotations[audit.RequestIDAnnotation] != r.RequestID || ev.Reason != reason || ev.InvolvedObject.Name != r.Target.Name || ev.InvolvedObject.Kind != r.Target.Kind {
			fails = append(fails, fmt.Sprintf("request %s: Event %s has reason %s, annotation %q, object %s/%s; want %s on %s/%s",
				r.RequestID, name, ev.Reason, ev.Annotations[audit.RequestIDAnnotation], ev.InvolvedObject.Kind, ev.InvolvedObject.Name, reason, r.Target.Kind, r.Target.Name))
			continue
		}
		found++
	}
	return found, gone, fails
}

// checkCanaries scans everything captured, and every Git object of the
// registered repositories, for every canary.
func (s *capture) checkCanaries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	needles := s.needles()
	var fails []string
	scan := func(where string, b []byte) {
		for _, n := range needles {
			if bytes.Contains(b, n) {
				fails = append(fails, fmt.Sprintf("a canary (%s) appears in %s", n, where))
			}
		}
	}
	for _, x := range s.requests {
		var hdr []string
		for k, vs := range x.Header {
			hdr = append(hdr, k+": "+strings.Join(vs, ", "))
		}
		scan(fmt.Sprintf("the answer to %s %s", x.Method, x.Path), append([]byte(strings.Join(hdr, "\n")), x.Body...))
	}
	for _, f := range s.frames {
		scan("a WebSocket frame", f)
	}
	logs, auditLog := s.logs.Bytes(), s.audit.Bytes()
	scan("the console logs", logs)
	scan("the audit records", auditLog)
	fails = append(fails, s.git.fails...)
	// The scans read real data: a run that talked to a console has logs and
	// (when it wrote) audit records to scan.
	if len(s.requests) > 0 && len(logs) == 0 {
		fails = append(fails, "no console log line was captured: the log scan reads nothing")
	}
	fmt.Fprintf(os.Stderr, "%scanary scan: %d canaries (%d needles); %d answers, %d WebSocket frames, %d bytes of logs, %d bytes of audit records, %d Git repositories with %d objects\n",
		s.label, len(s.canaries), len(needles), len(s.requests), len(s.frames), len(logs), len(auditLog), s.git.repos, s.git.objects)
	return fails
}

// scanRepo reads every object of the repository in dir (git cat-file
// --batch-all-objects) and returns how many there are and which contain a
// needle.
func scanRepo(dir string, needles [][]byte) (int, []string, error) {
	cmd := exec.Command("git", "-C", dir, "cat-file", "--batch-all-objects", "--batch", "--unordered")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, nil, err
	}
	if err := cmd.Start(); err != nil {
		return 0, nil, fmt.Errorf("git cat-file in %s: %w", dir, err)
	}
	r := bufio.NewReader(out)
	n := 0
	var hits []string
	for {
		header, err := r.ReadString('\n')
		if err == io.EOF {
			break
		}
		if err != nil {
			return n, hits, err
		}
		var sha, typ string
		var size int
		if _, err := fmt.Sscanf(header, "%s %s %d", &sha, &typ, &size); err != nil {
			return n, hits, fmt.Errorf("git cat-file header %q: %w", header, err)
		}
		content := make([]byte, size+1) // and the newline after it
		if _, err := io.ReadFull(r, content); err != nil {
			return n, hits, err
		}
		n++
		for _, nd := range needles {
			if bytes.Contains(content, nd) {
				hits = append(hits, fmt.Sprintf("%s: %s object %s", dir, typ, sha))
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		return n, hits, fmt.Errorf("git cat-file in %s: %w", dir, err)
	}
	sort.Strings(hits)
	return n, hits, nil
}

// fixedCredentials are credential values the tests spell out rather than
// take from newCanary.
var fixedCredentials = []string{"AKIAE2ETESTKEY000001", "sk-bench-placeholder"}

// registerTokenCanaries makes the bearer tokens of the control plane's
// users, and the fixed credentials, canaries: the console must never echo a
// caller's token or a credential.
func registerTokenCanaries() {
	for _, c := range fixedCredentials {
		registerCanary(c)
	}
	if env == nil || env.ControlPlane == nil {
		return
	}
	registerCanary(env.Admin.BearerToken)
	for _, u := range controlplane.DefaultUsers {
		if cfg, err := env.UserConfig(u.Name); err == nil && cfg.BearerToken != "" {
			registerCanary(cfg.BearerToken)
		}
	}
}
