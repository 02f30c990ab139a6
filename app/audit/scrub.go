package audit

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"sort"
	"strings"
)

// Redacted replaces every secret value in a record or Event.
const Redacted = "<redacted>"

// minSecretLen is the shortest value scrubbed: shorter ones would blank out
// ordinary words of a message and cannot be a usable credential anyway.
const minSecretLen = 4

// credentialFields are the JSON field names whose string values are
// credentials, wherever they appear in a request body (provider auth
// blocks; anything named like a secret).
var credentialFields = map[string]bool{
	"apikey": true, "credentials": true, "accesskeyid": true, "secretaccesskey": true,
	"clientsecret": true, "serviceaccountjson": true, "password": true, "token": true,
	"bearertoken": true, "secret": true, "privatekey": true,
}

// secretMaps are fields whose every value is a secret (a Secret's data).
var secretMaps = map[string]bool{"data": true, "stringdata": true}

// Secrets collects the credential values a request carries: the string
// values of credential fields in a JSON body (and the values of data and
// stringData maps, decoded too when base64), and the token of an
// Authorization header. The body need not be valid JSON: a body that does
// not parse is also scanned for "field":"value" pairs.
func Secrets(body []byte, authorization string) []string {
	var out []string
	add := func(v string) {
		if len(v) >= minSecretLen {
			out = append(out, v)
		}
	}
	if _, tok, ok := strings.Cut(authorization, " "); ok {
		add(strings.TrimSpace(tok))
	} else {
		add(strings.TrimSpace(authorization))
	}
	var doc any
	if err := json.Unmarshal(body, &doc); err == nil {
		walk(doc, false, add)
	} else {
		scanLoose(body, add)
	}
	return out
}

func walk(v any, secret bool, add func(string)) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			lk := strings.ToLower(k)
			switch {
			case secretMaps[lk]:
				walk(x, true, add)
			case credentialFields[lk]:
				walk(x, true, add)
			default:
				walk(x, secret, add)
			}
		}
	case []any:
		for _, x := range t {
			walk(x, secret, add)
		}
	case string:
		if secret {
			add(t)
			if raw, err := base64.StdEncoding.DecodeString(t); err == nil {
				add(string(raw))
			}
		}
	}
}

// scanLoose finds "field": "value" pairs of credential fields in a body
// that is not valid JSON, so a malformed request cannot smuggle its
// credential into the record through the decoder's error message.
func scanLoose(body []byte, add func(string)) {
	for f := range credentialFields {
		looseStrings(body, f, add)
	}
}

// looseString returns the first "field": "value" string of a body that is
// not valid JSON.
func looseString(body []byte, field string) string {
	out := ""
	looseStrings(body, field, func(v string) {
		if out == "" {
			out = v
		}
	})
	return out
}

// looseStrings calls add with the value of every "field": "value" pair in
// body (field matched case-insensitively).
func looseStrings(body []byte, field string, add func(string)) {
	s := string(body)
	lower := strings.ToLower(s)
	needle := `"` + strings.ToLower(field) + `"`
	for i := 0; ; {
		j := strings.Index(lower[i:], needle)
		if j < 0 {
			return
		}
		i += j + len(needle)
		rest := strings.TrimLeft(s[i:], " \t\r\n:")
		if !strings.HasPrefix(rest, `"`) {
			continue
		}
		if end := strings.Index(rest[1:], `"`); end >= 0 {
			add(rest[1 : 1+end])
		} else {
			add(rest[1:])
		}
	}
}

// Scrubber replaces a set of secret values, clear or base64-encoded (also
// as they appear inside JSON strings), with Redacted.
type Scrubber struct {
	needles [][]byte
}

// NewScrubber returns a Scrubber for secrets.
func NewScrubber(secrets []string) *Scrubber {
	seen := map[string]bool{}
	s := &Scrubber{}
	for _, v := range secrets {
		for _, n := range forms(v) {
			if len(n) >= minSecretLen && !seen[n] {
				seen[n] = true
				s.needles = append(s.needles, []byte(n))
			}
		}
	}
	// Longest first, so a value that contains another is replaced whole.
	sort.Slice(s.needles, func(i, j int) bool { return len(s.needles[i]) > len(s.needles[j]) })
	return s
}

// forms are the spellings of v that may reach a record: as is, escaped in
// a JSON string, and base64 (standard and URL alphabets, with and without
// padding, and the stable middle of v encoded at each of the three byte
// alignments, for v embedded in a longer encoded value).
func forms(v string) []string {
	out := []string{v}
	if q, err := json.Marshal(v); err == nil {
		out = append(out, string(q[1:len(q)-1]))
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		out = append(out, enc.EncodeToString([]byte(v)))
	}
	out = append(out, EmbeddedBase64(v)...)
	return out
}

// EmbeddedBase64 returns, for each of the three byte alignments at which v
// can start inside a longer value, the part of the base64 encoding that
// depends on v alone: finding any of them in base64 text means v was
// encoded there.
func EmbeddedBase64(v string) []string {
	var out []string
	for pad := 0; pad < 3; pad++ {
		src := append(bytes.Repeat([]byte{0}, pad), v...)
		enc := base64.StdEncoding.EncodeToString(src)
		// Characters before the first full group that holds only v, and the
		// last group (which depends on what follows v), are dropped.
		start := (pad + 2) / 3 * 4
		end := (len(src) / 3) * 4
		if end-start >= 8 {
			out = append(out, enc[start:end])
		}
	}
	return out
}

// Bytes returns b with every secret replaced.
func (s *Scrubber) Bytes(b []byte) []byte {
	for _, n := range s.needles {
		if bytes.Contains(b, n) {
			b = bytes.ReplaceAll(b, n, []byte(Redacted))
		}
	}
	return b
}

// String returns v with every secret replaced.
func (s *Scrubber) String(v string) string {
	if s == nil || len(s.needles) == 0 {
		return v
	}
	return string(s.Bytes([]byte(v)))
}
