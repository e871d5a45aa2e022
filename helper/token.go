package helper

import (
	"fmt"
	"time"
)

// TokenRequest asks for a token of a profile.
type TokenRequest struct {
	Profile string
	// MinValid: the token returned stays valid at least this long.
	MinValid     time.Duration
	ForceRefresh bool
	NoCache      bool
	// Keystore overrides the profile's keystore for this call.
	Keystore string
}

// Token is a signed token and what callers report about it.
type Token struct {
	Value   Secret
	Expiry  time.Time     // the token's exp
	Margin  time.Duration // refresh margin: callers report Expiry - Margin
	Profile string
	User    string
}

// Token returns a token for the profile: from the cache when one there stays
// valid long enough, else freshly signed with the keystore's secrets. A hit
// reads the config's bytes and one entry, and parses neither the config nor
// anything else.
func (h *Helper) Token(r TokenRequest) (Token, error) {
	if err := checkProfileName(r.Profile); err != nil {
		return Token{}, err
	}
	data, err := readConfig(h.ConfigPath)
	if err != nil {
		return Token{}, err
	}
	cache := !r.NoCache && h.CacheDir != ""
	var key string
	if cache {
		if err := h.cacheDirOK(true); err != nil {
			h.debugf("cache: unusable (%v); minting without it", err)
			cache = false
		} else {
			key = h.cacheKey(r.Profile, data)
			if !r.ForceRefresh {
				if t, _, ok := h.hit(r, key, "before lock"); ok {
					return t, nil
				}
			}
		}
	}
	cfg, err := parseConfig(data, h.ConfigPath)
	if err != nil {
		return Token{}, err
	}
	p, err := cfg.profile(r.Profile)
	if err != nil {
		return Token{}, err
	}
	st, err := p.settings()
	if err != nil {
		return Token{}, AsError(err).with("profile "+r.Profile+": ", "")
	}
	if r.MinValid >= st.claims.Lifetime {
		return Token{}, fail(CodeUsage, fmt.Sprintf("--min-valid %s is not shorter than the profile's lifetime %s", r.MinValid, st.claims.Lifetime), "ask for less, or log in again with a longer --lifetime")
	}
	spec, from := h.resolveKeystore(r.Keystore, p.Keystore)
	mint := func() (Token, error) { return h.mint(r.Profile, p, spec, from, st) }
	if !cache || (p.Cache != nil && !*p.Cache) {
		h.debugf("cache: off")
		return mint()
	}
	return h.cached(r, key, p, st, mint)
}

func (h *Helper) mint(name string, p *Profile, spec, from string, st settings) (Token, error) {
	store, err := h.openStore(spec, from)
	if err != nil {
		return Token{}, err
	}
	start := time.Now()
	pat, key, err := h.secrets(store, name, p)
	h.debugf("keystore: read item %q from %s (%s)", itemName(name), store.Spec(), time.Since(start).Round(time.Microsecond))
	if err != nil {
		return Token{}, blame(err, from)
	}
	start = time.Now()
	tok, exp, err := signToken(st.claims, key, pat, h.Now())
	h.debugf("signed a token for profile %s, kid %s, exp %s (%s)", name, st.claims.Kid, exp.UTC().Format(time.RFC3339), time.Since(start).Round(time.Microsecond))
	if err != nil {
		return Token{}, err
	}
	return Token{Value: tok, Expiry: exp, Margin: st.margin, Profile: name, User: p.User}, nil
}
