package gitserver

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Scan is the result of ScanHistory.
type Scan struct {
	// Repos and Objects count what was read.
	Repos, Objects int
	// Bytes is the total size of the objects read.
	Bytes int64
	// Found lists every object that holds a needle (empty when clean).
	Found []Finding
}

// Finding is one object that holds a needle.
type Finding struct {
	Repo   string // the repository's folder
	Object string // SHA
	Type   string // blob, tree, commit or tag
	Needle int    // index of the needle in the ScanHistory call
}

// Err returns an error naming the findings, or nil when there are none.
// The error never contains the needles themselves.
func (s Scan) Err() error {
	if len(s.Found) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d Git object(s) hold a needle:", len(s.Found))
	for _, f := range s.Found {
		fmt.Fprintf(&b, " %s %s %s (needle %d);", f.Repo, f.Type, f.Object, f.Needle)
	}
	return errors.New(b.String())
}

// ScanHistory reads every object of every Git repository (bare or a work
// tree's .git) under root — all refs, unreachable objects, loose and packed
// — and reports the objects whose content holds one of the needles. It
// errors only when a repository cannot be read; check Scan.Found (or
// Scan.Err) for the findings. Empty needles are ignored.
func ScanHistory(root string, needles ...string) (Scan, error) {
	var ns [][]byte
	for _, n := range needles {
		if n != "" {
			ns = append(ns, []byte(n))
		}
	}
	var scan Scan
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while we walk
			}
			return err
		}
		if !d.IsDir() || !isGitDir(p) {
			return nil
		}
		if err := scanRepo(p, needles, ns, &scan); err != nil {
			return err
		}
		return filepath.SkipDir
	})
	return scan, err
}

func isGitDir(p string) bool {
	for _, f := range []string{"objects", "HEAD", "refs"} {
		if _, err := os.Stat(filepath.Join(p, f)); err != nil {
			return false
		}
	}
	return true
}

// scanRepo streams `git cat-file --batch-all-objects --batch`: for each
// object a header "<sha> <type> <size>\n", then size bytes and "\n".
func scanRepo(dir string, needles []string, ns [][]byte, scan *Scan) error {
	cmd := exec.Command("git", "-C", dir, "cat-file", "--batch-all-objects", "--batch", "--unordered")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	r := bufio.NewReaderSize(out, 1<<16)
	var parseErr error
	for {
		header, err := r.ReadString('\n')
		if errors.Is(err, io.EOF) && header == "" {
			break
		}
		if err != nil {
			parseErr = err
			break
		}
		f := strings.Fields(header)
		if len(f) != 3 {
			parseErr = fmt.Errorf("unexpected cat-file header %q", strings.TrimSpace(header))
			break
		}
		size, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			parseErr = err
			break
		}
		body := make([]byte, size+1)
		if _, err := io.ReadFull(r, body); err != nil {
			parseErr = err
			break
		}
		body = body[:size]
		scan.Objects++
		scan.Bytes += size
		for i, n := range ns {
			if bytes.Contains(body, n) {
				scan.Found = append(scan.Found, Finding{Repo: dir, Object: f[0], Type: f[1], Needle: indexOf(needles, string(n), i)})
			}
		}
	}
	if parseErr != nil {
		_ = cmd.Process.Kill()
	}
	waitErr := cmd.Wait()
	if parseErr != nil {
		return fmt.Errorf("%s: reading objects: %w", dir, parseErr)
	}
	if waitErr != nil {
		return fmt.Errorf("%s: git cat-file: %w: %s", dir, waitErr, strings.TrimSpace(stderr.String()))
	}
	scan.Repos++
	return nil
}

// indexOf maps the index among the non-empty needles back to the index in
// the caller's list.
func indexOf(needles []string, n string, fallback int) int {
	for i, m := range needles {
		if m == n {
			return i
		}
	}
	return fallback
}
