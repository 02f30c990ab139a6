package audit

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/aigw-console/aigw-console/app/auth"
	"github.com/aigw-console/aigw-console/app/clientip"
	"github.com/aigw-console/aigw-console/app/cluster"
)

// RequestIDHeader carries the request ID both ways.
const RequestIDHeader = "X-Request-Id"

const requestIDKey = "aigw-console.request-id"

// RequestID is middleware that gives every request an ID: the client's
// X-Request-Id when it is a short token of safe characters, else a new
// random one. The ID is echoed in the answer's X-Request-Id.
func RequestID() fiber.Handler {
	return func(c *fiber.Ctx) error {
		AssignRequestID(c)
		return c.Next()
	}
}

// AssignRequestID gives c its request ID as RequestID does and returns it.
func AssignRequestID(c *fiber.Ctx) string {
	id := strings.Clone(c.Get(RequestIDHeader))
	if !validRequestID(id) {
		id = newRequestID()
	}
	c.Locals(requestIDKey, id)
	c.Set(RequestIDHeader, id)
	return id
}

// RequestIDOf returns the ID RequestID gave c ("" without that middleware).
func RequestIDOf(c *fiber.Ctx) string {
	id, _ := c.Locals(requestIDKey).(string)
	return id
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && !strings.ContainsRune("-_.:", r) {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Mutating reports whether a request with this method under /api/v1 is
// audited.
func Mutating(method, path string) bool {
	if !strings.HasPrefix(path, "/api/v1/") {
		return false
	}
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// Middleware records every mutating request under /api/v1 with a. Put it
// before everything that can refuse a request (CORS, authentication, rate
// limits, timeouts) and after RequestID. It answers errors itself (with the
// app's error handler) so that the record holds the final status.
func (a *Auditor) Middleware() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !Mutating(c.Method(), c.Path()) {
			return c.Next()
		}
		d := &Details{rec: newRecord(c)}
		c.Locals(localsKey, d)
		scrub := NewScrubber(Secrets(c.Body(), c.Get(fiber.HeaderAuthorization)))
		defer func() {
			// A panic below is answered 500 by the recover middleware; it
			// still gets its record.
			if p := recover(); p != nil {
				rec := d.snapshot()
				if u, ok := auth.FromContext(c.UserContext()); ok {
					rec.User, rec.Groups = u.Name, u.Groups
				}
				rec.Result = Result{Status: fiber.StatusInternalServerError, Code: "InternalError"}
				a.Write(rec, scrub)
				panic(p)
			}
		}()
		if err := c.Next(); err != nil {
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		rec := d.snapshot()
		if u, ok := auth.FromContext(c.UserContext()); ok {
			rec.User, rec.Groups = u.Name, u.Groups
		}
		rec.Result.Status = c.Response().StatusCode()
		if rec.Result.Status >= 400 {
			var p struct {
				Code   string `json:"code"`
				Detail string `json:"detail"`
			}
			if json.Unmarshal(c.Response().Body(), &p) == nil {
				rec.Result.Code, rec.Result.Error = p.Code, p.Detail
			}
		}
		a.Write(rec, scrub)
		return nil
	}
}

// Refused records a mutating request that the HTTP server answered before
// any middleware ran, such as a body over the limit (413): the record holds
// what the request line says and the answer; there is no user, since
// authentication never ran. Call it with c's request ID assigned.
func (a *Auditor) Refused(c *fiber.Ctx, status int, code, detail string) {
	if !Mutating(c.Method(), c.Path()) {
		return
	}
	rec := newRecord(c)
	rec.Result = Result{Status: status, Code: code, Error: detail}
	a.Write(rec, NewScrubber(Secrets(nil, c.Get(fiber.HeaderAuthorization))))
}

// newRecord starts the record of c from its request.
func newRecord(c *fiber.Ctx) Record {
	rec := Record{
		Time:      time.Now().UTC(),
		RequestID: RequestIDOf(c),
		// Clones: without fiber's Immutable these strings point into
		// buffers that the next request reuses.
		SourceIP: strings.Clone(clientip.Of(c)),
		Method:   strings.Clone(c.Method()),
		Path:     strings.Clone(c.Path()),
	}
	fromRequest(&rec, c)
	return rec
}

// fromRequest fills what the request line and body say before any handler
// ran: operation, kind and the primary object, so that a request refused
// early (malformed body, no credentials) still names what it was about.
func fromRequest(rec *Record, c *fiber.Ctx) {
	switch rec.Method {
	case http.MethodPost:
		rec.Operation = "create"
	case http.MethodPut, http.MethodPatch:
		rec.Operation = "update"
	case http.MethodDelete:
		rec.Operation = "delete"
	}
	if ns := strings.Clone(c.Query("namespace")); len(validation.IsDNS1123Label(ns)) == 0 {
		rec.Namespace = ns
	} else if ns == "" {
		rec.Namespace = "default"
	}
	parts := strings.Split(strings.Trim(strings.TrimPrefix(rec.Path, "/api/v1/"), "/"), "/")
	name := ""
	switch {
	case parts[0] == "providers" || parts[0] == "routes":
		rec.Kind = strings.TrimSuffix(parts[0], "s")
		if len(parts) == 2 {
			name = parts[1]
		} else if len(parts) == 1 {
			var body struct {
				Name string `json:"name"`
			}
			if json.Unmarshal(c.Body(), &body) == nil {
				name = strings.Clone(body.Name)
			} else {
				// A malformed body still names its object, most of the time.
				name = looseString(c.Body(), "name")
			}
		}
	case parts[0] == "resources" && len(parts) == 3:
		rec.Kind = "resource"
		if k, ok := cluster.KindByName(parts[1]); ok {
			rec.resourceKind = Object{APIVersion: k.GVK.GroupVersion().String(), Kind: k.GVK.Kind}
			name = parts[2]
		}
	case parts[0] == "templates":
		rec.Operation, rec.Kind = "preview", "template"
	}
	if rec.Namespace != "" && len(validation.IsDNS1123Subdomain(name)) == 0 && len(name) <= 200 {
		rec.Name = name
	}
}
