package helper

import (
	"bytes"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"tdjwt/keystore"
	"tdjwt/keystore/privfile"
)

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
	// Replace allows replacing a keystore item that another login (another
	// config file's profile of the same name) wrote.
	Replace bool
	PAT     Secret
}

// newProfile validates a login request into a profile and its secrets,
// reading the PEM file; nothing is stored.
func (h *Helper) newProfile(r *LoginRequest) (*Profile, *rsa.PrivateKey, error) {
	if err := checkProfileName(r.Profile); err != nil {
		return nil, nil, err
	}
	spec, from := h.resolveKeystore(r.Keystore, "")
	fromEnv := spec == "env"
	switch {
	case fromEnv && r.PEMFile != "":
		return nil, nil, fail(CodeUsage, "--pem is not used with the env keystore: the key comes from $"+keystore.EnvKey+blamed(from),
			"drop --pem and give the key's name in the Lake console: --kid KEYNAME")
	case fromEnv && r.Kid == "":
		return nil, nil, fail(CodeUsage, "--kid is required with the env keystore"+blamed(from), "give the key's name in the Lake console: --kid KEYNAME")
	case r.PEMFile == "" && !fromEnv:
		return nil, nil, fail(CodeUsage, "--pem is required", "give the private key file downloaded from the Lake console: --pem ~/Downloads/KEYNAME.pem")
	}
	if r.User == "" {
		return nil, nil, fail(CodeUsage, "--user is required", "give the database user exactly as it was created (case matters): --user USER")
	}
	if r.User != strings.TrimSpace(r.User) {
		return nil, nil, fail(CodeUsage, "--user has surrounding spaces", "give the database user exactly as it was created")
	}
	p := &Profile{User: r.User, OrgClaim: r.OrgClaim, Issuer: r.Issuer, Kid: r.Kid, Lifetime: r.Lifetime, IssuedAt: r.IssuedAt, RefreshMargin: r.Margin}
	if r.BaseURL != "" {
		u, account, err := parseBaseURL(r.BaseURL)
		if err != nil {
			return nil, nil, err
		}
		p.BaseURL, p.AccountURL = u, account
	}
	switch {
	case r.Org != "":
		p.Org = r.Org
	case r.BaseURL != "":
		org, err := orgFromBaseURL(r.BaseURL)
		if err != nil {
			return nil, nil, err
		}
		p.Org = org
	default:
		return nil, nil, fail(CodeUsage, "--base-url or --org is required", "give the Lake account URL, e.g. --base-url https://myorg.innovationlabs.teradata.com/api/accounts/ENV_ID")
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
	p.Keystore = spec
	for _, f := range []struct{ flag, v string }{{"--user", p.User}, {"--org", p.Org}, {"--kid", p.Kid}, {"--issuer", p.Issuer}} {
		if err := checkText(f.flag, f.v, maxName); err != nil {
			return nil, nil, err
		}
	}
	if err := p.validate(); err != nil {
		return nil, nil, err
	}
	if _, err := p.settings(); err != nil {
		return nil, nil, err
	}
	var key *rsa.PrivateKey
	if fromEnv {
		store, err := h.openStore(spec, from)
		if err != nil {
			return nil, nil, err
		}
		if r.PAT, key, err = envSecrets(store); err != nil {
			return nil, nil, err
		}
	}
	if err := checkPAT(r.PAT); err != nil {
		return nil, nil, err
	}
	if key == nil {
		k, err := readKeyFile(r.PEMFile)
		if err != nil {
			return nil, nil, err
		}
		key = k
	}
	p.KeySHA256 = keyFingerprint(key)
	p.KeyBits = key.N.BitLen()
	return p, key, nil
}

func blamed(from string) string {
	if from == "" {
		return ""
	}
	return " (chosen by " + from + ")"
}

// parseBaseURL accepts the console URL (https://HOST) or the account URL
// (https://HOST/api/accounts/ENV_ID, with anything after it) and returns
// it, and the account URL when it names one.
func parseBaseURL(raw string) (base, account string, err error) {
	u, err := CheckBaseURL(raw)
	if err != nil {
		return "", "", err
	}
	segs := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
	if len(segs) >= 3 && segs[0] == "api" && segs[1] == "accounts" && segs[2] != "" {
		account = "https://" + u.Host + "/api/accounts/" + segs[2]
	}
	return raw, account, nil
}

func readKeyFile(path string) (*rsa.PrivateKey, error) {
	data, _, err := privfile.Read(path, maxPEMSize, true, nil)
	switch {
	case errors.Is(err, privfile.ErrTooLarge):
		return nil, fail(CodeBadInput, path+": too large for a private key", "give the .pem private key file")
	case errors.Is(err, privfile.ErrNotRegular):
		return nil, fail(CodeBadInput, path+" is not a regular file (a pipe, device or directory)", "give the .pem private key file itself, not a pipe or process substitution")
	case err != nil:
		return nil, fail(CodeBadInput, "cannot read the key file: "+strings.TrimPrefix(err.Error(), "open "), "check the path given to --pem")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fail(CodeBadInput, path+": the file is empty", "give the .pem private key file downloaded from the Lake console")
	}
	return parseKeyPEM(data, path)
}

// Login validates everything, then, holding the config lock, stores the
// secrets and the profile. A second login to the same profile replaces it
// as a whole: when the config cannot be written, the previous keystore item
// is put back. An item that another config's login wrote is replaced only
// with r.Replace.
func (h *Helper) Login(r LoginRequest) (*Profile, error) {
	p, key, err := h.newProfile(&r)
	if err != nil {
		return nil, err
	}
	cfg, unlock, err := h.lockedConfig()
	if err != nil {
		return nil, err
	}
	defer unlock()
	_, from := h.resolveKeystore(r.Keystore, "")
	store, err := h.openStore(p.Keystore, from)
	if err != nil {
		return nil, err
	}
	p.Generation = newGeneration()
	p.PATSHA256 = patDigest(p.Generation, r.PAT)
	old := cfg.Profiles[r.Profile]
	if old != nil {
		p.GitURLs = old.GitURLs
	}
	if store.Spec() == "env" {
		// Nothing to store: the environment keeps the secrets; the profile
		// remembers their fingerprints.
		cfg.Profiles[r.Profile] = p
		if err := cfg.Save(h.ConfigPath); err != nil {
			return nil, err
		}
		h.dropOld(r.Profile, old, p)
		return p, nil
	}
	name := itemName(r.Profile)
	previous, err := h.ownItem(store, p.Keystore, r, old)
	if err != nil {
		return nil, err
	}
	data, err := encodeItem(p.Generation, r.PAT, key, h.absConfig())
	if err != nil {
		return nil, err
	}
	parts, err := putItem(store, name, p.Generation, data)
	if err != nil {
		return nil, AsError(err).with("storing the secrets of profile "+r.Profile+": ", "")
	}
	h.debugf("stored the key and PAT of profile %s in %s (item %q, %d parts)", r.Profile, store.Spec(), name, max(1, len(parts)))
	cfg.Profiles[r.Profile] = p
	if err := cfg.Save(h.ConfigPath); err != nil {
		if previous != nil {
			store.Set(name, previous)
		} else {
			store.Delete(name)
		}
		deleteParts(store, parts)
		return nil, err
	}
	deleteParts(store, itemParts(previous))
	h.dropOld(r.Profile, old, p)
	return p, nil
}

// lockedConfig takes the config lock and reads the config under it, for a
// read-modify-write; the caller calls unlock when done.
func (h *Helper) lockedConfig() (*Config, func(), error) {
	unlock, err := lockConfig(h.ConfigPath)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := loadConfig(h.ConfigPath)
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return cfg, unlock, nil
}

func (h *Helper) absConfig() string {
	if p, err := filepath.Abs(h.ConfigPath); err == nil {
		return p
	}
	return h.ConfigPath
}

// ownItem reads the item a login is about to replace and returns its raw
// value (to put back if the login fails). It refuses, unless r.Replace, an
// item that this config's profile did not write: another config's login of
// a profile with the same name, or an item left by a failed run.
func (h *Helper) ownItem(store keystore.Store, spec string, r LoginRequest, old *Profile) ([]byte, error) {
	raw, err := store.Get(itemName(r.Profile))
	if errors.Is(err, keystore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, AsError(err).with("reading the current secrets of profile "+r.Profile+": ", "")
	}
	whole, err := assemble(store, r.Profile, raw)
	gen, config, ok := itemOwner(whole)
	if err == nil && ok && old != nil && old.Keystore == spec && gen == old.Generation {
		return raw, nil
	}
	if r.Replace {
		h.debugf("login: replacing an item of another login (--replace)")
		return raw, nil
	}
	whose := "another login"
	switch {
	case !ok || err != nil:
		whose = "no login this config knows (it is damaged or was left by a failed run)"
	case config != "" && config != h.absConfig():
		whose = "the login of profile " + r.Profile + " in config " + config
	case old == nil:
		whose = "a login this config does not know (another config file, or one since removed)"
	}
	return nil, fail(CodeUsage, store.Spec()+" already holds secrets of profile "+r.Profile+" that belong to "+whose,
		"add --replace to overwrite them (the other config's profile then stops working), or choose another --profile name")
}

// dropOld removes what a replaced profile left: its item in another
// keystore, and its cached tokens.
func (h *Helper) dropOld(name string, old, p *Profile) {
	if old != nil && old.Keystore != p.Keystore {
		if s, err := h.OpenStore(old.Keystore); err == nil {
			if err := h.deleteOwnItem(s, name, old); err != nil {
				h.debugf("could not remove the old item from %s: %v", old.Keystore, err)
			}
		}
	}
	if _, err := h.ClearCache(name); err != nil {
		h.debugf("cache: %v", err)
	}
}

// deleteOwnItem removes the profile's item unless another login wrote it.
func (h *Helper) deleteOwnItem(s keystore.Store, name string, p *Profile) error {
	if s.Spec() == "env" {
		return nil
	}
	raw, err := s.Get(itemName(name))
	if errors.Is(err, keystore.ErrNotFound) {
		return nil
	}
	if err == nil {
		whole, aerr := assemble(s, name, raw)
		if gen, _, ok := itemOwner(whole); aerr == nil && ok && gen != p.Generation {
			h.debugf("the item of profile %s in %s belongs to another login; left in place", name, s.Spec())
			return nil
		}
	}
	return deleteItem(s, itemName(name))
}

// Logout removes the profile's secrets, settings and cached tokens, and
// reports whether there was a profile. It is idempotent.
func (h *Helper) Logout(name string) (bool, error) {
	if err := checkProfileName(name); err != nil {
		return false, err
	}
	cfg, unlock, err := h.lockedConfig()
	if err != nil {
		return false, err
	}
	defer unlock()
	p := cfg.Profiles[name]
	if p == nil {
		if _, err := h.ClearCache(name); err != nil {
			h.debugf("cache: %v", err)
		}
		return false, nil
	}
	store, err := h.OpenStore(p.Keystore)
	if err != nil {
		return false, AsError(err)
	}
	// The secrets first: if they cannot go, nothing changes. Then the
	// profile, then its cached tokens under the profile's lock: a token
	// signed meanwhile is either removed here or, once the config no longer
	// names the profile, never written.
	if err := h.deleteOwnItem(store, name, p); err != nil {
		return false, err
	}
	delete(cfg.Profiles, name)
	if err := cfg.Save(h.ConfigPath); err != nil {
		return false, err
	}
	if _, err := h.ClearCache(name); err != nil {
		return true, err
	}
	return true, nil
}

// BindGitURL records that the git helper answers for rawURL with profile
// name (tdjwt setup git). It returns the normalised URL.
func (h *Helper) BindGitURL(name, rawURL string) (string, error) {
	u, err := CheckBaseURL(rawURL)
	if err != nil {
		return "", err
	}
	norm := "https://" + strings.ToLower(u.Host) + strings.TrimSuffix(u.EscapedPath(), "/")
	cfg, unlock, err := h.lockedConfig()
	if err != nil {
		return "", err
	}
	defer unlock()
	p, err := cfg.profile(name)
	if err != nil {
		return "", err
	}
	for _, g := range p.GitURLs {
		if g == norm {
			return norm, nil
		}
	}
	p.GitURLs = append(p.GitURLs, norm)
	if err := p.validate(); err != nil {
		return "", err
	}
	return norm, cfg.Save(h.ConfigPath)
}

// GitURLs lists the URLs the git helper answers for with profile p: the
// base URL's host and the URLs bound by setup git.
func (p *Profile) gitURLs() []*url.URL {
	var out []*url.URL
	for _, raw := range append([]string{p.BaseURL}, p.GitURLs...) {
		if u, err := url.Parse(raw); err == nil && u.Scheme == "https" && u.Host != "" {
			if raw == p.BaseURL {
				u.Path = "" // the base URL binds its whole host
			}
			out = append(out, u)
		}
	}
	return out
}

// answersGit: git asks for protocol://host/path; the profile answers only
// over https, for a host it is bound to and, when both name a path, under
// the bound path.
func (p *Profile) answersGit(protocol, host, path string) bool {
	return boundTo(p.gitURLs(), protocol, host, path)
}

func boundTo(urls []*url.URL, protocol, host, path string) bool {
	if protocol != "https" || host == "" {
		return false
	}
	path = strings.Trim(path, "/")
	for _, u := range urls {
		if !sameHost(u.Host, host) {
			continue
		}
		bound := strings.Trim(u.Path, "/")
		if bound == "" || path == "" || path == bound || strings.HasPrefix(path, bound+"/") {
			return true
		}
	}
	return false
}

// GitToken answers git's get for protocol://host/path with the profile
// named in the helper entry: from a cache entry of that profile, whose
// bound URLs it carries, with no TOML parse; else through GitProfile and
// Token. name is "" (and why says why) when tdjwt does not answer.
func (h *Helper) GitToken(named, protocol, host, path string) (t Token, name, why string, err error) {
	if named != "" && protocol == "https" && h.CacheDir != "" && checkProfileName(named) == nil && h.cacheDirOK(false) == nil {
		if data, err := readConfig(h.ConfigPath); err == nil {
			r := TokenRequest{Profile: named}
			if t, e, ok := h.hit(r, h.cacheKey(named, data), "for git"); ok {
				var urls []*url.URL
				for _, raw := range e.GitURLs {
					if u, err := url.Parse(raw); err == nil {
						urls = append(urls, u)
					}
				}
				if boundTo(urls, protocol, host, path) {
					return t, named, "", nil
				}
			}
		}
	}
	name, why, err = h.GitProfile(named, protocol, host, path)
	if err != nil || name == "" {
		return Token{}, name, why, err
	}
	t, err = h.Token(TokenRequest{Profile: name})
	return t, name, "", err
}

func sameHost(a, b string) bool {
	a, b = strings.ToLower(strings.TrimSuffix(a, ":443")), strings.ToLower(strings.TrimSuffix(b, ":443"))
	return a == b
}

// GitProfile picks the profile that answers git for protocol://host/path:
// the named one if it is bound there; with no name, the one profile bound
// there ("default" first). why says, for a debug line, why none answers.
func (h *Helper) GitProfile(named, protocol, host, path string) (name, why string, err error) {
	cfg, err := loadConfig(h.ConfigPath)
	if err != nil {
		return "", "", err
	}
	if protocol != "https" {
		return "", fmt.Sprintf("protocol %q is not https: tdjwt never sends a token in the clear", clip(protocol)), nil
	}
	if named != "" {
		p, err := cfg.profile(named)
		if err != nil {
			return "", "", err
		}
		if !p.answersGit(protocol, host, path) {
			return "", "profile " + named + " is not bound to host " + clip(host) + " (tdjwt setup git --profile " + named + " --url https://" + clip(host) + " binds it)", nil
		}
		return named, "", nil
	}
	var found []string
	for _, n := range cfg.Names() {
		if cfg.Profiles[n].answersGit(protocol, host, path) {
			found = append(found, n)
		}
	}
	switch {
	case len(found) == 0:
		return "", "no profile is bound to host " + clip(host), nil
	case len(found) == 1:
		return found[0], "", nil
	}
	for _, n := range found {
		if n == "default" {
			return n, "", nil
		}
	}
	return "", "profiles " + strings.Join(found, ", ") + " are all bound to host " + clip(host) + "; give --profile in the helper entry", nil
}

// GitBinding is one URL the git helper answers for, and with which profile.
type GitBinding struct {
	Profile, URL string
}

// GitBindings lists the URLs the git helper answers for: each profile's
// base URL host and the URLs setup git bound to it.
func (h *Helper) GitBindings() ([]GitBinding, error) {
	cfg, err := loadConfig(h.ConfigPath)
	if err != nil {
		return nil, err
	}
	var out []GitBinding
	for _, n := range cfg.Names() {
		for _, u := range cfg.Profiles[n].gitURLs() {
			out = append(out, GitBinding{Profile: n, URL: u.String()})
		}
	}
	return out, nil
}
