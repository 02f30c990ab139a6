package api

import (
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// TestDecodeJSONIsStrict checks the decoding rules every write shares.
func TestDecodeJSONIsStrict(t *testing.T) {
	type body struct {
		APIKey string `json:"apiKey"`
		Port   int    `json:"port"`
	}
	cases := []struct {
		name, contentType, body string
		status                  int
		code, field             string
	}{
		{"a valid body is accepted", "application/json", `{"apiKey":"k","port":1}`, 200, "", ""},
		{"a charset parameter is fine", "application/json; charset=utf-8", `{"port":1}`, 200, "", ""},
		{"field names are case-sensitive", "application/json", `{"apikey":"k"}`, 400, "UnknownField", "apikey"},
		{"duplicate fields are refused", "application/json", `{"port":1,"port":2}`, 400, "DuplicateField", "port"},
		{"a wrong type names the field", "application/json", `{"port":"80"}`, 400, "InvalidType", "port"},
		{"trailing data is refused", "application/json", `{"port":1} {}`, 400, "MalformedJSON", ""},
		{"an empty body is refused", "application/json", ``, 400, "MalformedJSON", ""},
		{"a body that is not JSON is refused", "text/plain", `{}`, 415, "UnsupportedMediaType", ""},
	}
	app := fiber.New(fiber.Config{ErrorHandler: errorHandler(slog.Default(), nil)})
	app.Post("/", func(c *fiber.Ctx) error {
		var b body
		if err := decodeJSON(c, &b); err != nil {
			return err
		}
		return c.SendStatus(200)
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.contentType)
			resp, err := app.Test(req)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = resp.Body.Close() }()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.code == "" {
				return
			}
			var got Problem
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			if got.Code != tc.code {
				t.Errorf("code %q, want %q (%s)", got.Code, tc.code, got.Detail)
			}
			if tc.field != "" && (len(got.Causes) == 0 || got.Causes[0].Field != tc.field) {
				t.Errorf("causes %+v, want field %q", got.Causes, tc.field)
			}
		})
	}
}
