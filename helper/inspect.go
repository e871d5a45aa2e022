package helper

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"

	"tdjwt/keystore/privfile"
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

// verifySignature checks the token's RS256 signature against an RSA public key.
func verifySignature(token string, pub *rsa.PublicKey) error {
	if _, err := jws.Verify([]byte(strings.TrimSpace(token)), jws.WithKey(jwa.RS256(), pub)); err != nil {
		return fail(CodeBadInput, "the signature does not verify with this key", "check that the token was signed with this key (compare kid)")
	}
	return nil
}

// VerifyWithPEMFile verifies token with the RSA key in a PEM file: a
// private key, a public key (SPKI or PKCS#1) or a certificate.
func VerifyWithPEMFile(token, path string) error {
	data, _, err := privfile.Read(path, maxPEMSize, true, nil)
	if err != nil {
		return fail(CodeBadInput, "cannot read the key file: "+strings.TrimPrefix(err.Error(), "open "), "check the path given to --pem")
	}
	pub, err := publicKeyPEM(data, path)
	if err != nil {
		return err
	}
	return verifySignature(token, pub)
}

// publicKeyPEM takes the RSA public key out of a public key, a certificate
// or a private key.
func publicKeyPEM(data []byte, file string) (*rsa.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fail(CodeBadInput, file+": not a PEM file", "give a PEM public key, certificate or private key")
	}
	var k any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		k, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		k, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var c *x509.Certificate
		if c, err = x509.ParseCertificate(block.Bytes); err == nil {
			k = c.PublicKey
		}
	default:
		priv, perr := parseKeyPEM(data, file)
		if perr != nil {
			return nil, perr
		}
		return &priv.PublicKey, nil
	}
	if err != nil {
		return nil, fail(CodeBadInput, file+": the "+strings.ToLower(block.Type)+" does not parse", "give a PEM public key, certificate or private key")
	}
	pub, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, fail(CodeBadInput, file+": not an RSA key; Lake tokens are signed with RS256", "give the RSA key the token was signed with")
	}
	return pub, nil
}
