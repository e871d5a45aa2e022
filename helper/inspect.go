package helper

import (
	"bytes"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// Inspected is a decoded token, with the PAT redacted.
type Inspected struct {
	Header  json.RawMessage // indented
	Claims  json.RawMessage // indented, "pat" replaced by [redacted]
	Expiry  time.Time       // zero when the token has no numeric exp
	HasExp  bool
	Expired bool
}

// Inspect decodes a compact JWT without verifying it.
func Inspect(token string, now time.Time) (*Inspected, error) {
	bad := func(msg string) error {
		return fail(CodeBadInput, "not a JWT: "+msg, "give a token as printed by tdjwt token (three base64url parts joined by dots)")
	}
	token = strings.TrimSpace(token)
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, bad("it does not have three parts")
	}
	var out Inspected
	for i, dst := range []*json.RawMessage{&out.Header, &out.Claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			return nil, bad("a part is not base64url")
		}
		var obj map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&obj); err != nil {
			return nil, bad("a part is not a JSON object")
		}
		if i == 1 {
			if _, ok := obj["pat"]; ok {
				obj["pat"] = redacted
			}
			if n, ok := obj["exp"].(json.Number); ok {
				if v, err := n.Int64(); err == nil {
					out.Expiry, out.HasExp = time.Unix(v, 0), true
					out.Expired = !now.Before(out.Expiry)
				}
			}
		}
		b, _ := json.MarshalIndent(obj, "", "  ")
		*dst = b
	}
	return &out, nil
}

// Verify checks the token's RS256 signature against the key's public half.
func Verify(token string, key *rsa.PrivateKey) error {
	if _, err := jws.Verify([]byte(strings.TrimSpace(token)), jws.WithKey(jwa.RS256(), &key.PublicKey)); err != nil {
		return fail(CodeBadInput, "the signature does not verify with this key", "check that the token was signed with this key (compare kid)")
	}
	return nil
}

// VerifyWithPEMFile reads a private key file and verifies token with it.
func VerifyWithPEMFile(token, path string) error {
	key, err := readKeyFile(path)
	if err != nil {
		return err
	}
	return Verify(token, key)
}
