package helper

import (
	"crypto/rsa"
	"encoding/json"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
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
// its exp. The claims are plain JSON signed with jwx's jws: the jwt package
// would add nothing here but its (and jwe's) start-up cost to every call.
func signToken(c Claims, key *rsa.PrivateKey, pat Secret, now time.Time) (Secret, time.Time, error) {
	now = now.Truncate(time.Second)
	exp := now.Add(c.Lifetime)
	claims := map[string]any{ // encoding/json writes the keys sorted
		"aud":       []string{lakeAudience},
		"iss":       c.Issuer,
		"multi-use": true,
		c.OrgClaim:  c.Org,
		"pat":       pat.Reveal(),
		"sub":       c.User,
		"exp":       exp.Unix(),
	}
	switch {
	case c.IssuedAt.Omit:
	case c.IssuedAt.Zero:
		claims["iat"] = 0
	default:
		claims["iat"] = now.Add(-c.IssuedAt.Backdate).Unix()
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return Secret{}, time.Time{}, fail(CodeInternal, "encoding the claims: "+err.Error(), "")
	}
	hdr := jws.NewHeaders()
	if err := hdr.Set(jws.KeyIDKey, c.Kid); err != nil {
		return Secret{}, time.Time{}, fail(CodeInternal, "setting kid: "+err.Error(), "")
	}
	if err := hdr.Set(jws.TypeKey, "JWT"); err != nil {
		return Secret{}, time.Time{}, fail(CodeInternal, "setting typ: "+err.Error(), "")
	}
	signed, err := jws.Sign(payload, jws.WithKey(jwa.RS256(), key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		// jwx's message names the algorithm and key type, never the key.
		return Secret{}, time.Time{}, fail(CodeInternal, "signing the token: "+err.Error(), "")
	}
	return NewSecret(string(signed)), exp, nil
}
