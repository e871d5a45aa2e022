package helper

import (
	"crypto/rsa"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// lakeAudience is the one audience VantageCloud Lake accepts for PAT tokens.
const lakeAudience = "td:service:authentication"

// Claims are a profile's token settings, parsed.
type Claims struct {
	User, Org, OrgClaim, Issuer, Kid string
	Lifetime                         time.Duration
	IssuedAt                         IssuedAt
}

// signToken builds and signs the Lake PAT JWT (shared/REFERENCE.md section 1):
// header alg RS256, typ JWT, kid; claims aud, iss, multi-use, the org claim,
// pat, sub, exp and (by policy) iat; nothing else. It returns the token and
// its exp.
func signToken(c Claims, key *rsa.PrivateKey, pat Secret, now time.Time) (Secret, time.Time, error) {
	now = now.Truncate(time.Second)
	exp := now.Add(c.Lifetime)
	b := jwt.NewBuilder().
		Audience([]string{lakeAudience}).
		Issuer(c.Issuer).
		Claim("multi-use", true).
		Claim(c.OrgClaim, c.Org).
		Claim("pat", pat.Reveal()).
		Subject(c.User).
		Expiration(exp)
	switch {
	case c.IssuedAt.Omit:
	case c.IssuedAt.Zero:
		b = b.IssuedAt(time.Unix(0, 0))
	default:
		b = b.IssuedAt(now.Add(-c.IssuedAt.Backdate))
	}
	tok, err := b.Build()
	if err != nil {
		return Secret{}, time.Time{}, fail(CodeInternal, "building the token: "+err.Error(), "")
	}
	hdr := jws.NewHeaders()
	if err := hdr.Set(jws.KeyIDKey, c.Kid); err != nil {
		return Secret{}, time.Time{}, fail(CodeInternal, "setting kid: "+err.Error(), "")
	}
	if err := hdr.Set(jws.TypeKey, "JWT"); err != nil {
		return Secret{}, time.Time{}, fail(CodeInternal, "setting typ: "+err.Error(), "")
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256(), key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		// jwx's message names the algorithm and key type, never the key.
		return Secret{}, time.Time{}, fail(CodeInternal, "signing the token: "+err.Error(), "")
	}
	return NewSecret(string(signed)), exp, nil
}
