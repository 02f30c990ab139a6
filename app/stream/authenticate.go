package stream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/aigw-console/aigw-console/app/auth"
	"github.com/aigw-console/aigw-console/app/clientip"
)

// TypeAuthenticate is the client message that carries a bearer token, for
// clients that cannot set the Authorization header of the upgrade request
// (browsers). Only as the first message of a connection.
const TypeAuthenticate = "authenticate"

// TypeAuthenticated acknowledges an authenticate message; data names the
// user.
const TypeAuthenticated = "authenticated"

// CodeAlreadyAuthenticated: an authenticate message on a connection that
// is authenticated already.
const CodeAlreadyAuthenticated = "AlreadyAuthenticated"

// AuthenticateRequest is the authenticate message.
type AuthenticateRequest struct {
	// Type is TypeAuthenticate.
	Type string `json:"type"`
	// Token is the bearer token: a Kubernetes or OIDC token.
	Token string `json:"token"`
}

// AuthenticatedData is the data of an authenticated message.
type AuthenticatedData struct {
	// User is the user name the console authenticated.
	User string `json:"user"`
	// Groups are the user's groups.
	Groups []string `json:"groups"`
}

// admission is what the upgrade request said about authentication.
type admission struct {
	// pending: the upgrade carried no credentials; the first message must
	// authenticate (or, with user set, may).
	pending bool
	// user is the user the upgrade was authenticated as, if any.
	user *auth.User
	// client is the client's address (package clientip), for a throttle on
	// refused tokens (auth.Throttled).
	client string
}

// admission reads the authentication middleware's verdict on c.
func (s *Server) admission(c *fiber.Ctx) admission {
	a := admission{pending: auth.Pending(c), client: clientip.Of(c)}
	if u, ok := auth.FromContext(c.UserContext()); ok {
		a.user = &u
	}
	return a
}

// authenticate handles the first message of a pending connection. It
// returns the command for the writer (nil: none), whether the message was
// consumed, and false when the connection must close (authErr set).
func (c *conn) authenticate(mt int, data []byte) (*command, bool, bool) {
	token, err := parseAuthenticate(mt, data)
	if err != nil {
		if c.auth.user != nil {
			// Anonymous access: the first message is an ordinary one.
			return nil, false, true
		}
		c.authErr = `the first message must be {"type":"authenticate","token":"..."}: ` + err.Error()
		return nil, false, false
	}
	ctx, cancel := context.WithTimeout(c.s.ctx, c.s.opts.AuthTimeout)
	defer cancel()
	u, err := c.s.opts.Authenticate(auth.WithClient(ctx, c.auth.client), token)
	if err != nil {
		c.s.log.Info("websocket: authentication refused", "remote", c.ws.RemoteAddr().String(), "reason", err.Error())
		c.authErr = "authentication failed"
		var unavailable *auth.UnavailableError
		var throttled *auth.ThrottledError
		switch {
		case errors.As(err, &throttled):
			c.authErr = throttled.Error()
		case errors.As(err, &unavailable):
			c.authErr = "authentication unavailable; try again"
		}
		return nil, false, false
	}
	cmd := &command{authenticated: &u}
	if c.s.opts.AuthorizeUser != nil {
		f, err := c.s.opts.AuthorizeUser(auth.NewContext(ctx, u))
		if err != nil {
			c.authErr = "forbidden: " + err.Error()
			return nil, false, false
		}
		cmd.filter = &f
	}
	return cmd, true, true
}

// parseAuthenticate decodes an authenticate message strictly.
func parseAuthenticate(mt int, data []byte) (string, error) {
	if mt != websocket.TextMessage {
		return "", errors.New("got a binary message")
	}
	var r AuthenticateRequest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return "", errors.New("not an authenticate message")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return "", errors.New("data after the JSON object")
	}
	if r.Type != TypeAuthenticate {
		return "", errors.New("got type " + quoteShort(r.Type))
	}
	if r.Token == "" {
		return "", errors.New("token is empty")
	}
	return r.Token, nil
}

func quoteShort(s string) string {
	if len(s) > 32 {
		s = s[:32] + "..."
	}
	b, _ := json.Marshal(s)
	return string(b)
}
