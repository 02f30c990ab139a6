package gitops

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"
	yamlv3 "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// EncryptedRegex selects what SOPS encrypts in a Secret: the values under
// data and stringData. The rest (apiVersion, kind, metadata, type) stays
// readable for review, as with
// `sops --encrypt --age <recipient> --encrypted-regex '^(data|stringData)$'`.
const EncryptedRegex = "^(data|stringData)$"

// sopsVersion is the sops release whose file format the sink writes, and
// that the tests decrypt its files with.
const sopsVersion = "3.13.3"

// sopsNonceSize is the AES-GCM nonce size sops uses (32 bytes, not 12).
const sopsNonceSize = 32

var (
	encryptedPath = regexp.MustCompile(EncryptedRegex)
	// sopsValue is sops' encrypted value: ENC[AES256_GCM,data:..,iv:..,tag:..,type:..].
	sopsValue = regexp.MustCompile(`^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]`)
)

// encryptor writes Secrets as SOPS files (format version 3, as the sops
// CLI writes them with age recipients) that Flux's kustomize-controller
// decrypts natively: every value under data and stringData is encrypted
// with AES-256-GCM under a fresh data key (the value's YAML path as
// additional data), the data key is encrypted for each age recipient, and
// the MAC (SHA-512 over all values, encrypted under the data key with
// lastmodified as additional data) seals the file.
//
// It is written against the published format, with filippo.io/age and the
// standard library, instead of linking github.com/getsops/sops/v3: that
// module's core package pulls every KMS client (AWS, GCP, Azure, Vault,
// HuaweiCloud, gRPC) into the binary, which more than doubles the
// console's size. The tests decrypt every file with sops' own decrypt
// package, through both the YAML store (the sops CLI) and the JSON store
// after a kustomize build (what kustomize-controller does).
type encryptor struct {
	// recipients are the age public keys, sorted.
	recipients []string
	parsed     []age.Recipient
	// identities may decrypt files the sink committed before (optional).
	identities []age.Identity
}

// sopsMetadata is the "sops" key of a file, in the order sops writes it.
type sopsMetadata struct {
	Age []struct {
		Recipient string `yaml:"recipient"`
		Enc       string `yaml:"enc"`
	} `yaml:"age"`
	LastModified   string `yaml:"lastmodified"`
	MAC            string `yaml:"mac"`
	EncryptedRegex string `yaml:"encrypted_regex"`
	Version        string `yaml:"version"`
}

func newEncryptor(recipients, identities []string) (*encryptor, error) {
	e := &encryptor{}
	for _, r := range recipients {
		if r = strings.TrimSpace(r); r != "" {
			e.recipients = append(e.recipients, r)
		}
	}
	slices.Sort(e.recipients)
	e.recipients = slices.Compact(e.recipients)
	if len(e.recipients) == 0 {
		return nil, nil
	}
	for _, r := range e.recipients {
		p, err := age.ParseX25519Recipient(r)
		if err != nil {
			return nil, fmt.Errorf("age recipient %q: %w", r, err)
		}
		e.parsed = append(e.parsed, p)
	}
	for _, id := range identities {
		if strings.TrimSpace(id) == "" {
			continue
		}
		ids, err := age.ParseIdentities(strings.NewReader(id))
		if err != nil {
			// The error of a bad identity must not echo the key.
			return nil, errors.New("an age identity could not be parsed")
		}
		e.identities = append(e.identities, ids...)
	}
	return e, nil
}

// encrypt returns plain (one YAML document, a mapping) as a SOPS file.
func (e *encryptor) encrypt(plain []byte, now time.Time) ([]byte, error) {
	var doc yamlv3.Node
	if err := yamlv3.Unmarshal(plain, &doc); err != nil {
		return nil, fmt.Errorf("sops: load rendered Secret: %w", err)
	}
	if doc.Kind != yamlv3.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yamlv3.MappingNode {
		return nil, errors.New("sops: the rendered Secret is not one YAML mapping")
	}
	root := doc.Content[0]
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("sops: data key: %w", err)
	}
	mac := sha512.New()
	err := walkScalars(root, nil, func(n *yamlv3.Node, path []string) error {
		var v any
		if err := n.Decode(&v); err != nil {
			return err
		}
		if v == nil {
			return nil // sops neither hashes nor encrypts null
		}
		b, err := sopsBytes(v)
		if err != nil {
			return err
		}
		mac.Write(b)
		if !isEncryptedPath(path) {
			return nil
		}
		ct, err := sopsEncrypt(v, key, strings.Join(path, ":")+":")
		if err != nil {
			return err
		}
		*n = yamlv3.Node{Kind: yamlv3.ScalarNode, Tag: "!!str", Value: ct}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sops: encrypt: %w", err)
	}
	md := sopsMetadata{EncryptedRegex: EncryptedRegex, Version: sopsVersion}
	md.LastModified = now.UTC().Format(time.RFC3339)
	if md.MAC, err = sopsEncrypt(fmt.Sprintf("%X", mac.Sum(nil)), key, md.LastModified); err != nil {
		return nil, fmt.Errorf("sops: encrypt the MAC: %w", err)
	}
	for i, r := range e.parsed {
		var buf bytes.Buffer
		aw := armor.NewWriter(&buf)
		w, err := age.Encrypt(aw, r)
		if err != nil {
			return nil, fmt.Errorf("sops: encrypt the data key for %s: %w", e.recipients[i], err)
		}
		if _, err := w.Write(key); err != nil {
			return nil, fmt.Errorf("sops: encrypt the data key for %s: %w", e.recipients[i], err)
		}
		if err := w.Close(); err != nil {
			return nil, fmt.Errorf("sops: encrypt the data key for %s: %w", e.recipients[i], err)
		}
		if err := aw.Close(); err != nil {
			return nil, fmt.Errorf("sops: encrypt the data key for %s: %w", e.recipients[i], err)
		}
		md.Age = append(md.Age, struct {
			Recipient string `yaml:"recipient"`
			Enc       string `yaml:"enc"`
		}{Recipient: e.recipients[i], Enc: buf.String()})
	}
	var mdNode yamlv3.Node
	if err := mdNode.Encode(md); err != nil {
		return nil, fmt.Errorf("sops: metadata: %w", err)
	}
	root.Content = append(root.Content, &yamlv3.Node{Kind: yamlv3.ScalarNode, Tag: "!!str", Value: "sops"}, &mdNode)
	var out bytes.Buffer
	enc := yamlv3.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("sops: emit: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("sops: emit: %w", err)
	}
	return out.Bytes(), nil
}

// same reports whether existing (a SOPS file the sink committed before)
// holds exactly plain, for exactly the configured recipients, with a valid
// MAC. It needs an identity; without one, or on any doubt, it answers false
// and the Secret is encrypted and committed again.
func (e *encryptor) same(existing, plain []byte) bool {
	if len(e.identities) == 0 || len(existing) == 0 {
		return false
	}
	var doc yamlv3.Node
	if yamlv3.Unmarshal(existing, &doc) != nil || doc.Kind != yamlv3.DocumentNode || len(doc.Content) != 1 {
		return false
	}
	root := doc.Content[0]
	md, ok := takeMetadata(root)
	if !ok || md.EncryptedRegex != EncryptedRegex {
		return false
	}
	var recipients []string
	var key []byte
	for _, a := range md.Age {
		recipients = append(recipients, a.Recipient)
		if key != nil {
			continue
		}
		r, err := age.Decrypt(armor.NewReader(strings.NewReader(a.Enc)), e.identities...)
		if err != nil {
			continue
		}
		if k, err := io.ReadAll(r); err == nil && len(k) == 32 {
			key = k
		}
	}
	slices.Sort(recipients)
	if key == nil || !slices.Equal(recipients, e.recipients) {
		return false
	}
	mac := sha512.New()
	err := walkScalars(root, nil, func(n *yamlv3.Node, path []string) error {
		var v any
		if isEncryptedPath(path) {
			pt, err := sopsDecrypt(n.Value, key, strings.Join(path, ":")+":")
			if err != nil {
				return err
			}
			v = pt
			if err := n.Encode(pt); err != nil {
				return err
			}
		} else if err := n.Decode(&v); err != nil {
			return err
		}
		if v == nil {
			return nil
		}
		b, err := sopsBytes(v)
		if err != nil {
			return err
		}
		mac.Write(b)
		return nil
	})
	if err != nil {
		return false
	}
	stored, err := sopsDecrypt(md.MAC, key, md.LastModified)
	if err != nil || stored != fmt.Sprintf("%X", mac.Sum(nil)) {
		return false
	}
	old, err := yamlv3.Marshal(&doc)
	if err != nil {
		return false
	}
	var a, b map[string]any
	if yaml.Unmarshal(old, &a) != nil || yaml.Unmarshal(plain, &b) != nil {
		return false
	}
	return reflect.DeepEqual(a, b)
}

// takeMetadata removes the top-level "sops" key from a mapping and
// returns it.
func takeMetadata(root *yamlv3.Node) (sopsMetadata, bool) {
	var md sopsMetadata
	if root.Kind != yamlv3.MappingNode {
		return md, false
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "sops" {
			if err := root.Content[i+1].Decode(&md); err != nil {
				return md, false
			}
			root.Content = append(root.Content[:i], root.Content[i+2:]...)
			return md, true
		}
	}
	return md, false
}

// walkScalars calls f for every scalar under n with its path of mapping
// keys, in document order; items of a sequence share their parent's path,
// as in sops.
func walkScalars(n *yamlv3.Node, path []string, f func(*yamlv3.Node, []string) error) error {
	switch n.Kind {
	case yamlv3.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			var k any
			if err := n.Content[i].Decode(&k); err != nil {
				return err
			}
			ks, ok := k.(string)
			if !ok {
				return fmt.Errorf("a key of type %T: only string keys are supported", k)
			}
			if err := walkScalars(n.Content[i+1], append(slices.Clip(path), ks), f); err != nil {
				return err
			}
		}
	case yamlv3.SequenceNode:
		for _, item := range n.Content {
			if err := walkScalars(item, path, f); err != nil {
				return err
			}
		}
	case yamlv3.ScalarNode:
		return f(n, path)
	case yamlv3.AliasNode:
		return errors.New("YAML aliases are not supported")
	}
	return nil
}

func isEncryptedPath(path []string) bool {
	for _, p := range path {
		if encryptedPath.MatchString(p) {
			return true
		}
	}
	return false
}

// sopsBytes is what a value contributes to the MAC (sops.ToBytes).
func sopsBytes(v any) ([]byte, error) {
	switch v := v.(type) {
	case string:
		return []byte(v), nil
	case int:
		return []byte(strconv.Itoa(v)), nil
	case float64:
		return []byte(strconv.FormatFloat(v, 'f', -1, 64)), nil
	case bool:
		if v {
			return []byte("True"), nil
		}
		return []byte("False"), nil
	case time.Time:
		return v.MarshalText()
	default:
		return nil, fmt.Errorf("a value of type %T cannot be encrypted", v)
	}
}

// sopsEncrypt encrypts one value as sops' aes cipher does.
func sopsEncrypt(v any, key []byte, aad string) (string, error) {
	if s, ok := v.(string); ok && s == "" {
		return "", nil
	}
	plain, err := sopsBytes(v)
	if err != nil {
		return "", err
	}
	var typ string
	switch v.(type) {
	case string:
		typ = "str"
	case int:
		typ = "int"
	case float64:
		typ = "float"
	case bool:
		typ = "bool"
	case time.Time:
		typ = "time"
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	gcm, err := cipher.NewGCMWithNonceSize(block, sopsNonceSize)
	if err != nil {
		return "", err
	}
	iv := make([]byte, sopsNonceSize)
	if _, err := rand.Read(iv); err != nil {
		return "", err
	}
	out := gcm.Seal(nil, iv, plain, []byte(aad))
	n := len(out) - gcm.Overhead()
	return fmt.Sprintf("ENC[AES256_GCM,data:%s,iv:%s,tag:%s,type:%s]",
		base64.StdEncoding.EncodeToString(out[:n]), base64.StdEncoding.EncodeToString(iv),
		base64.StdEncoding.EncodeToString(out[n:]), typ), nil
}

// sopsDecrypt reverses sopsEncrypt and returns the typed value.
func sopsDecrypt(s string, key []byte, aad string) (any, error) {
	if s == "" {
		return "", nil
	}
	m := sopsValue.FindStringSubmatch(s)
	if m == nil {
		return nil, errors.New("not a sops value")
	}
	var parts [3][]byte
	for i := range parts {
		b, err := base64.StdEncoding.DecodeString(m[i+1])
		if err != nil {
			return nil, err
		}
		parts[i] = b
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCMWithNonceSize(block, len(parts[1]))
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, parts[1], append(parts[0], parts[2]...), []byte(aad))
	if err != nil {
		return nil, err
	}
	switch p := string(plain); m[4] {
	case "str":
		return p, nil
	case "int":
		return strconv.Atoi(p)
	case "float":
		return strconv.ParseFloat(p, 64)
	case "bool":
		return p == "True", nil
	case "time":
		return time.Parse(time.RFC3339, p)
	default:
		return nil, fmt.Errorf("unknown sops value type %q", m[4])
	}
}

// hasSecretValues reports whether obj is a core/v1 Secret that carries
// values (data or stringData).
func hasSecretValues(obj *unstructured.Unstructured) bool {
	gvk := obj.GroupVersionKind()
	if gvk.Group != "" || gvk.Kind != "Secret" {
		return false
	}
	for _, f := range []string{"data", "stringData"} {
		if m, ok := obj.Object[f].(map[string]any); ok && len(m) > 0 {
			return true
		}
	}
	return false
}
