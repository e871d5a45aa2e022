// Package helper does tdjwt's work: profiles and their settings, the Lake
// JWT's claims and signature (jwx v3), the token cache and expiry. It takes
// its environment (variables, clock, keystores, paths) injected, so that
// tests can fake any of it; it never touches os.Args or exits.
package helper

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"tdjwt/keystore"
)

// Helper runs tdjwt's operations.
type Helper struct {
	Getenv     func(string) string
	Now        func() time.Time
	OpenStore  func(spec string) (keystore.Store, error)
	ConfigPath string
	// CacheDir is where tokens are cached; "" turns the cache off.
	CacheDir string
	// Debug receives step-by-step log lines; nil discards them.
	Debug io.Writer
}

func (h *Helper) debugf(format string, a ...any) {
	if h.Debug != nil {
		fmt.Fprintf(h.Debug, "tdjwt: debug: "+format+"\n", a...)
	}
}

// LoginRequest carries what `tdjwt login` was given. Empty optional fields
// take their defaults.
type LoginRequest struct {
	Profile  string
	PEMFile  string
	User     string
	BaseURL  string
	Org      string
	Kid      string
	OrgClaim string
	Issuer   string
	Lifetime string
	IssuedAt string
	Margin   string
	Keystore string
	NoCache  bool
	PAT      Secret
}

// ResolveKeystore: an explicit choice, else $TDJWT_KEYSTORE, else the
// profile's, else the OS keychain.
func (h *Helper) resolveKeystore(explicit, remembered string) string {
	if explicit != "" {
		return explicit
	}
	if v := h.Getenv("TDJWT_KEYSTORE"); v != "" {
		return v
	}
	if remembered != "" {
		return remembered
	}
	return "keyring"
}

// NewProfile validates a login request into a profile and its secrets,
// reading the PEM file; nothing is stored.
func (h *Helper) newProfile(r *LoginRequest) (*Profile, *rsa.PrivateKey, error) {
	if err := CheckProfileName(r.Profile); err != nil {
		return nil, nil, err
	}
	spec := h.resolveKeystore(r.Keystore, "")
	fromEnv := spec == "env"
	if r.PEMFile == "" && !fromEnv {
		return nil, nil, fail(CodeUsage, "--pem is required", "give the private key file downloaded from the Lake console: --pem ~/Downloads/KEYNAME.pem")
	}
	if fromEnv && r.Kid == "" && r.PEMFile == "" {
		return nil, nil, fail(CodeUsage, "--kid is required with --keystore env", "give the key's name in the Lake console: --kid KEYNAME")
	}
	if strings.TrimSpace(r.User) == "" {
		return nil, nil, fail(CodeUsage, "--user is required", "give the database user exactly as it was created (case matters): --user USER")
	}
	if strings.ContainsAny(r.User, "\n\x00") || r.User != strings.TrimSpace(r.User) {
		return nil, nil, fail(CodeUsage, "--user has surrounding spaces or control characters", "give the database user exactly as it was created")
	}
	p := &Profile{User: r.User, OrgClaim: r.OrgClaim, Issuer: r.Issuer, Kid: r.Kid, Lifetime: r.Lifetime, IssuedAt: r.IssuedAt, RefreshMargin: r.Margin}
	switch {
	case r.Org != "":
		p.Org = r.Org
		if r.BaseURL != "" {
			if _, err := CheckBaseURL(r.BaseURL); err != nil {
				return nil, nil, err
			}
			p.BaseURL = r.BaseURL
		}
	case r.BaseURL != "":
		org, err := OrgFromBaseURL(r.BaseURL)
		if err != nil {
			return nil, nil, err
		}
		p.Org, p.BaseURL = org, r.BaseURL
	default:
		return nil, nil, fail(CodeUsage, "--base-url or --org is required", "give the Lake console URL, e.g. --base-url https://myorg.innovationlabs.teradata.com")
	}
	if strings.TrimSpace(p.Org) == "" {
		return nil, nil, fail(CodeUsage, "the organisation is empty", "give --org ORG")
	}
	if p.OrgClaim == "" {
		p.OrgClaim = DefaultOrgClaim
	}
	if p.OrgClaim != "org_id" && p.OrgClaim != "org_key" {
		return nil, nil, fail(CodeUsage, fmt.Sprintf("--org-claim %q is not supported", clip(p.OrgClaim)), "use org_id (default) or org_key")
	}
	if p.Issuer == "" {
		p.Issuer = DefaultIssuer
	}
	if p.Kid == "" {
		p.Kid = KidFromPath(r.PEMFile)
	}
	var key *rsa.PrivateKey
	if fromEnv {
		store, err := h.OpenStore(spec)
		if err != nil {
			return nil, nil, AsError(err)
		}
		if r.PAT, key, err = envSecrets(store); err != nil {
			return nil, nil, err
		}
	}
	if p.Lifetime == "" {
		p.Lifetime = "1h"
	}
	if p.IssuedAt == "" {
		p.IssuedAt = DefaultIssuedAt
	}
	if r.NoCache {
		off := false
		p.Cache = &off
	}
	if _, err := p.claims(); err != nil {
		return nil, nil, err
	}
	if r.PAT.Empty() {
		return nil, nil, fail(CodeBadInput, "the PAT is empty", "pipe the personal access token on stdin: tdjwt login ... < pat.txt, or type it at the prompt")
	}
	if strings.ContainsAny(r.PAT.Reveal(), " \t\r\n\x00") {
		return nil, nil, fail(CodeBadInput, "the PAT contains spaces or control characters", "paste the token exactly as the Lake console showed it, on one line")
	}
	if key == nil {
		k, err := readKeyFile(r.PEMFile)
		if err != nil {
			return nil, nil, err
		}
		key = k
	}
	p.Keystore = spec
	p.KeySHA256 = KeyFingerprint(key)
	p.KeyBits = key.N.BitLen()
	return p, key, nil
}

func readKeyFile(path string) (*rsa.PrivateKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fail(CodeBadInput, "cannot read the key file: "+strings.TrimPrefix(err.Error(), "open "), "check the path given to --pem")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxPEMSize+1))
	if err != nil {
		return nil, fail(CodeBadInput, "cannot read the key file "+path+": "+err.Error(), "check the path given to --pem")
	}
	if len(data) > MaxPEMSize {
		return nil, fail(CodeBadInput, path+": too large for a private key", "give the .pem private key file")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fail(CodeBadInput, path+": the file is empty", "give the .pem private key file downloaded from the Lake console")
	}
	return ParseKeyPEM(data, path)
}

// claims parses the profile's token settings.
func (p *Profile) claims() (Claims, error) {
	lt, err := ParseLifetime(p.Lifetime)
	if err != nil {
		return Claims{}, err
	}
	iat, err := ParseIssuedAt(p.IssuedAt)
	if err != nil {
		return Claims{}, err
	}
	if _, err := Margin(p.RefreshMargin, lt); err != nil {
		return Claims{}, err
	}
	if p.User == "" || p.Org == "" || p.Kid == "" || p.Issuer == "" {
		return Claims{}, fail(CodeBadInput, "the profile lacks user, org, kid or issuer", "run tdjwt login again for this profile")
	}
	return Claims{User: p.User, Org: p.Org, OrgClaim: p.OrgClaim, Issuer: p.Issuer, Kid: p.Kid, Lifetime: lt, IssuedAt: iat}, nil
}

// Login validates everything, then stores the secrets and the profile. A
// second login to the same profile replaces it as a whole: when the config
// cannot be written, the previous keystore item is put back.
func (h *Helper) Login(r LoginRequest) (*Profile, error) {
	p, key, err := h.newProfile(&r)
	if err != nil {
		return nil, err
	}
	cfg, err := LoadConfig(h.ConfigPath)
	if err != nil {
		return nil, err
	}
	store, err := h.OpenStore(p.Keystore)
	if err != nil {
		return nil, AsError(err)
	}
	p.Generation = newGeneration()
	p.PATSHA256 = patDigest(p.Generation, r.PAT)
	old := cfg.Profiles[r.Profile]
	if _, ok := store.(*keystore.Env); ok {
		// Nothing to store: the environment keeps the secrets; the profile
		// remembers their fingerprints.
		cfg.Profiles[r.Profile] = p
		if err := cfg.Save(h.ConfigPath); err != nil {
			return nil, err
		}
		h.dropOld(r.Profile, old, p)
		return p, nil
	}
	data, err := encodeItem(p.Generation, r.PAT, key)
	if err != nil {
		return nil, err
	}
	var previous []byte // the item as it was, to put back if the config write fails
	if old != nil && old.Keystore == p.Keystore {
		previous, _ = store.Get(r.Profile)
	}
	parts, err := putItem(store, r.Profile, p.Generation, data)
	if err != nil {
		e := AsError(err)
		e.Msg = "storing the secrets of profile " + r.Profile + ": " + e.Msg
		return nil, e
	}
	h.debugf("stored the key and PAT of profile %s in %s (item %q, %d parts)", r.Profile, store.Spec(), r.Profile, max(1, len(parts)))
	cfg.Profiles[r.Profile] = p
	if err := cfg.Save(h.ConfigPath); err != nil {
		if previous != nil {
			store.Set(r.Profile, previous)
		} else {
			store.Delete(r.Profile)
		}
		deleteParts(store, parts)
		return nil, err
	}
	deleteParts(store, itemParts(previous))
	h.dropOld(r.Profile, old, p)
	return p, nil
}

// dropOld removes what a replaced profile left: its item in another
// keystore, and its cached tokens.
func (h *Helper) dropOld(name string, old, p *Profile) {
	if old != nil && old.Keystore != p.Keystore {
		if s, err := h.OpenStore(old.Keystore); err == nil {
			if err := deleteItem(s, name); err != nil {
				h.debugf("could not remove the old item from %s: %v", old.Keystore, err)
			}
		}
	}
	h.ClearCache(name)
}

// secrets reads the profile's PAT and key and checks that they are the ones
// the profile was logged in with.
func (h *Helper) secrets(store keystore.Store, name string, p *Profile) (Secret, *rsa.PrivateKey, error) {
	if _, ok := store.(*keystore.Env); ok {
		pat, key, err := envSecrets(store)
		if err != nil {
			return Secret{}, nil, err
		}
		if KeyFingerprint(key) != p.KeySHA256 || patDigest(p.Generation, pat) != p.PATSHA256 {
			return Secret{}, nil, fail(CodeNotConfigured, "the secrets in $"+keystore.EnvPAT+" and $"+keystore.EnvKey+" are not those profile "+name+" was logged in with",
				"run tdjwt login --profile "+name+" --keystore env again")
		}
		return pat, key, nil
	}
	data, err := getItem(store, name)
	if err != nil {
		e := AsError(err)
		if errors.Is(err, keystore.ErrNotFound) {
			e.Msg = "the secrets of profile " + name + " are missing from " + store.Spec()
			e.Hint = "run tdjwt login --profile " + name + " again"
		}
		return Secret{}, nil, e
	}
	gen, pat, key, err := decodeItem(data, name)
	if err != nil {
		return Secret{}, nil, err
	}
	if gen != p.Generation || KeyFingerprint(key) != p.KeySHA256 || patDigest(gen, pat) != p.PATSHA256 {
		return Secret{}, nil, fail(CodeNotConfigured, "the keystore item of profile "+name+" belongs to another login than the config",
			"run tdjwt login --profile "+name+" again (another config file, or a restore, may have replaced it)")
	}
	return pat, key, nil
}

// envSecrets reads the PAT and the PEM key from the env keystore.
func envSecrets(store keystore.Store) (Secret, *rsa.PrivateKey, error) {
	pat, err := store.Get(keystore.EnvPAT)
	if err != nil {
		return Secret{}, nil, AsError(err)
	}
	pemText, err := store.Get(keystore.EnvKey)
	if err != nil {
		return Secret{}, nil, AsError(err)
	}
	key, err := ParseKeyPEM(pemText, "$"+keystore.EnvKey)
	if err != nil {
		return Secret{}, nil, err
	}
	return NewSecret(strings.TrimRight(string(pat), "\r\n")), key, nil
}

// Profile returns the named profile.
func (h *Helper) Profile(name string) (*Profile, error) {
	if err := CheckProfileName(name); err != nil {
		return nil, err
	}
	cfg, err := LoadConfig(h.ConfigPath)
	if err != nil {
		return nil, err
	}
	p := cfg.Profiles[name]
	if p == nil {
		hint := "run: tdjwt login --profile " + name + " --pem KEY.pem --user USER --base-url https://ORG.example.com"
		if len(cfg.Profiles) > 0 {
			hint += " (known profiles: " + strings.Join(cfg.Names(), ", ") + ")"
		}
		return nil, fail(CodeNotConfigured, "profile "+name+" is not configured", hint)
	}
	return p, nil
}

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
// valid long enough, else freshly signed with the keystore's secrets.
func (h *Helper) Token(r TokenRequest) (Token, error) {
	p, err := h.Profile(r.Profile)
	if err != nil {
		return Token{}, err
	}
	c, err := p.claims()
	if err != nil {
		e := AsError(err)
		e.Msg = "profile " + r.Profile + ": " + e.Msg
		return Token{}, e
	}
	margin, _ := Margin(p.RefreshMargin, c.Lifetime)
	if r.MinValid >= c.Lifetime {
		return Token{}, fail(CodeUsage, fmt.Sprintf("--min-valid %s is not shorter than the profile's lifetime %s", r.MinValid, c.Lifetime), "ask for less, or log in again with a longer --lifetime")
	}
	spec := h.resolveKeystore(r.Keystore, p.Keystore)
	mint := func() (Token, error) { return h.mint(r.Profile, p, spec, c, margin) }
	if r.NoCache || (p.Cache != nil && !*p.Cache) || h.CacheDir == "" {
		h.debugf("cache: off")
		return mint()
	}
	// The env keystore's secrets can change without a login: key the cache
	// by a digest of what the environment holds now (cheap: no parsing).
	envID := ""
	if spec == "env" {
		sum := sha256.Sum256([]byte(h.Getenv(keystore.EnvPAT) + "\x00" + h.Getenv(keystore.EnvKey)))
		envID = hex.EncodeToString(sum[:])
	}
	return h.cached(r, p, max(margin, r.MinValid), margin, envID, mint)
}

func (h *Helper) mint(name string, p *Profile, spec string, c Claims, margin time.Duration) (Token, error) {
	store, err := h.OpenStore(spec)
	if err != nil {
		return Token{}, AsError(err)
	}
	start := time.Now()
	pat, key, err := h.secrets(store, name, p)
	h.debugf("keystore: read item %q from %s (%s)", name, store.Spec(), time.Since(start).Round(time.Microsecond))
	if err != nil {
		return Token{}, err
	}
	start = time.Now()
	tok, exp, err := Mint(c, key, pat, h.Now())
	h.debugf("signed a token for profile %s, kid %s, exp %s (%s)", name, c.Kid, exp.UTC().Format(time.RFC3339), time.Since(start).Round(time.Microsecond))
	if err != nil {
		return Token{}, err
	}
	return Token{Value: tok, Expiry: exp, Margin: margin, Profile: name, User: p.User}, nil
}

// Logout removes the profile's secrets and settings and its cached tokens,
// and reports whether there was a profile. It is idempotent.
func (h *Helper) Logout(name string) (bool, error) {
	if err := CheckProfileName(name); err != nil {
		return false, err
	}
	cfg, err := LoadConfig(h.ConfigPath)
	if err != nil {
		return false, err
	}
	h.ClearCache(name)
	p := cfg.Profiles[name]
	if p == nil {
		return false, nil
	}
	store, err := h.OpenStore(p.Keystore)
	if err != nil {
		return false, AsError(err)
	}
	if err := deleteItem(store, name); err != nil {
		return false, AsError(err)
	}
	delete(cfg.Profiles, name)
	return true, cfg.Save(h.ConfigPath)
}

// secretsState names the outcome of reading a profile's secrets.
func secretsState(err error) string {
	if err == nil {
		return "present"
	}
	switch e := AsError(err); {
	case errors.Is(err, keystore.ErrNotFound):
		return "missing"
	case e.Code == CodeNotConfigured:
		return "mismatch"
	case e.Code == CodeBadInput:
		return "damaged"
	default:
		return "unknown (" + e.Msg + ")"
	}
}

// ProfileStatus is one row of `tdjwt profiles`.
type ProfileStatus struct {
	Name    string
	Profile *Profile
	// Secrets: "present", "missing", "mismatch" or an error's text.
	Secrets string
}

// Profiles lists the profiles and whether their secrets are in place.
func (h *Helper) Profiles() ([]ProfileStatus, error) {
	cfg, err := LoadConfig(h.ConfigPath)
	if err != nil {
		return nil, err
	}
	var out []ProfileStatus
	for _, name := range cfg.Names() {
		p := cfg.Profiles[name]
		st := ProfileStatus{Name: name, Profile: p}
		store, err := h.OpenStore(h.resolveKeystore("", p.Keystore))
		if err == nil {
			_, _, err = h.secrets(store, name, p)
		}
		st.Secrets = secretsState(err)
		out = append(out, st)
	}
	return out, nil
}
