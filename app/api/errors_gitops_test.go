package api

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/aigw-console/aigw-console/app/sink"
	"github.com/aigw-console/aigw-console/gitops"
)

// TestGitOpsErrorsAreMapped runs each GitOps error through the error
// handler, as a handler returning it would.
func TestGitOpsErrorsAreMapped(t *testing.T) {
	secret := sink.Ref{GVK: schema.GroupVersionKind{Version: "v1", Kind: "Secret"}, Namespace: "team-a", Name: "openai-credentials"}
	cases := []struct {
		name       string
		err        error
		status     int
		code       string
		field      string
		retryAfter string
	}{
		{"remote down", fmt.Errorf("%w: fetch https://git.example.com/fleet.git: connection refused", gitops.ErrUnavailable), 503, "GitUnavailable", "", gitRetryAfter},
		{"credential without recipients", &gitops.UnencryptedSecretError{Object: secret}, 422, "UnencryptedSecret", "auth", ""},
		{"unsafe path", &gitops.PathError{Object: secret, Path: "clusters/default/team-a", Reason: "is a symlink"}, 422, "InvalidPath", "metadata.name", ""},
		{"refused flow", &gitops.FlowError{Flow: "pull-request", Reason: "not allowed"}, 400, "InvalidFlow", "flow", ""},
		{"a key YAML cannot hold", fmt.Errorf("render AIServiceBackend/team-a/x: %w", gitops.ErrKeyTooLong), 422, "UnrenderableObject", "", ""},
		{"forge refusal", &gitops.ForgeError{Op: "open pull request", Status: 403, Message: "Resource not accessible"}, 502, "ForgeError", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := fiber.New(fiber.Config{ErrorHandler: errorHandler(slog.New(slog.DiscardHandler), nil)})
			app.Post("/", func(*fiber.Ctx) error { return tc.err })
			res, err := app.Test(httptest.NewRequest(http.MethodPost, "/", nil))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			var p Problem
			if err := json.Unmarshal(raw, &p); err != nil {
				t.Fatalf("%s: %v", raw, err)
			}
			if res.StatusCode != tc.status || p.Status != tc.status || p.Code != tc.code {
				t.Errorf("got %d %+v", res.StatusCode, p)
			}
			if got := res.Header.Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tc.retryAfter)
			}
			if tc.field != "" && (len(p.Causes) != 1 || p.Causes[0].Field != tc.field) {
				t.Errorf("causes %+v, want field %s", p.Causes, tc.field)
			}
			if tc.code == "UnencryptedSecret" && !strings.Contains(p.Causes[0].Message, "auth.secretRef") {
				t.Errorf("the cause does not point at auth.secretRef: %+v", p.Causes)
			}
		})
	}
}
