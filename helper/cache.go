package helper

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"tdjwt/keystore"
	"tdjwt/keystore/privfile"
)

// The token cache: one file per (profile, settings, key, PAT), so that
// repeat calls cost a small file read instead of a keychain round trip and a
// signature. A token carries the PAT, so the directory is 0700 and entries
// 0600, owned by the user, never followed through a symlink, in a directory
// whose ancestors no other user controls.

// lockWait bounds how long a call waits for another process that is minting
// the same token; it exceeds the keychain timeout so that a slow keychain
// does not make waiters mint too.
const lockWait = 15 * time.Second

const cacheVersion = 2

// maxEntry bounds a cache entry read: a token is 1-2 KB.
const maxEntry = 64 << 10

// CacheDir: $TDJWT_CACHE_DIR (an absolute path), else $XDG_RUNTIME_DIR/tdjwt
// (memory-backed on Linux and removed at logout), else the user cache
// directory.
func CacheDir(getenv func(string) string, userCacheDir func() (string, error)) (string, error) {
	if d := getenv("TDJWT_CACHE_DIR"); d != "" {
		if !filepath.IsAbs(d) {
			return "", fail(CodeUsage, fmt.Sprintf("TDJWT_CACHE_DIR %q is not an absolute path", clip(d)),
				"set it to an absolute directory of your own, e.g. TDJWT_CACHE_DIR=$HOME/.cache/tdjwt, or unset it")
		}
		return filepath.Clean(d), nil
	}
	if d := getenv("XDG_RUNTIME_DIR"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "tdjwt"), nil
	}
	if runtime.GOOS == "linux" {
		if d := getenv("XDG_CACHE_HOME"); d != "" && filepath.IsAbs(d) {
			return filepath.Join(d, "tdjwt"), nil
		}
		if h := getenv("HOME"); h != "" && filepath.IsAbs(h) {
			return filepath.Join(h, ".cache", "tdjwt"), nil
		}
	}
	if d, err := userCacheDir(); err == nil && filepath.IsAbs(d) {
		return filepath.Join(d, "tdjwt"), nil
	}
	return "", nil
}

// cacheKey names a profile's entry: a digest of the config file's bytes,
// the profile and what the env keystore holds now. Every input of a token is
// in the config (claim settings, the login's generation, the key's and the
// PAT's fingerprints) or in the environment, so a re-login, a changed
// setting or a rotated secret never finds an old entry; and a hit needs no
// TOML parse, only the bytes. Any edit of the config misses once.
func (h *Helper) cacheKey(profile string, config []byte) string {
	d := sha256.New()
	for _, s := range []string{"tdjwt cache v2", profile, keystore.EnvIdentity(h.Getenv)} {
		io.WriteString(d, s)
		d.Write([]byte{0})
	}
	d.Write(config)
	return hex.EncodeToString(d.Sum(nil))
}

// entryName is "<profile>-<32 hex>": the profile in the name lets clear and
// list work without the config.
func entryName(name, key string) string { return name + "-" + key[:32] }

type cacheEntry struct {
	V       int    `json:"v"`
	Profile string `json:"profile"`
	Key     string `json:"key"`
	// Config names the config file the entry's profile came from, so that
	// two configs with a profile of the same name never collect each
	// other's entries as orphans.
	Config string `json:"config,omitempty"`
	Exp    int64  `json:"exp"`
	Token  string `json:"token"`
	// What a hit answers and checks without the profile's settings.
	User     string `json:"user"`
	MarginMS int64  `json:"margin_ms"` // lifetime/10 may be a fraction of a second
	Lifetime int64  `json:"lifetime"`  // seconds
	Backdate int64  `json:"backdate"`  // seconds: iat's tolerance for a clock ahead
	// GitURLs are the URLs the git helper answers for with this profile.
	GitURLs []string `json:"git_urls,omitempty"`
}

// configID names the config file in entries: a digest of its absolute path.
func (h *Helper) configID() string {
	p, err := filepath.Abs(h.ConfigPath)
	if err != nil {
		p = h.ConfigPath
	}
	sum := sha256.Sum256([]byte("tdjwt config\x00" + p))
	return hex.EncodeToString(sum[:16])
}

// profileLock serialises what changes a profile's cache entries as a whole:
// a minter writing its entry (after checking that the profile is still the
// one it minted for) and logout or a re-login clearing them.
func (h *Helper) profileLock(name string) (func(), error) {
	return privfile.Lock(filepath.Join(h.CacheDir, name+".plock"), lockWait)
}

// hit returns the entry at key when it answers r: valid for max(its
// margin, r.MinValid) more, and not signed in the future.
func (h *Helper) hit(r TokenRequest, key, when string) (Token, cacheEntry, bool) {
	path := filepath.Join(h.CacheDir, entryName(r.Profile, key)+".json")
	e, why := readEntry(path, key)
	now := h.Now()
	need := time.Duration(max(e.MarginMS, 0)) * time.Millisecond
	need = max(need, r.MinValid)
	switch {
	case why != "":
	case r.MinValid >= time.Duration(e.Lifetime)*time.Second:
		why = "--min-valid is not shorter than the lifetime"
	case !now.Add(need).Before(time.Unix(e.Exp, 0)):
		why = fmt.Sprintf("expires in %s, need %s", time.Unix(e.Exp, 0).Sub(now).Round(time.Second), need)
	default:
		why = fromTheFuture(e, now)
	}
	if why != "" {
		h.debugf("cache: miss %s (%s)", when, why)
		return Token{}, e, false
	}
	h.debugf("cache: hit %s, %s (exp in %s)", when, path, time.Unix(e.Exp, 0).Sub(now).Round(time.Second))
	return Token{Value: NewSecret(e.Token), Expiry: time.Unix(e.Exp, 0), Margin: time.Duration(e.MarginMS) * time.Millisecond, Profile: r.Profile, User: e.User}, e, true
}

// cached mints under a per-entry lock, so that parallel callers mint once:
// the first signs and writes the entry, the others find it once they hold
// the lock.
func (h *Helper) cached(r TokenRequest, key string, p *Profile, st settings, mint func() (Token, error)) (Token, error) {
	base := filepath.Join(h.CacheDir, entryName(r.Profile, key))
	start := time.Now()
	unlock, err := privfile.Lock(base+".lock", lockWait)
	if err != nil {
		h.debugf("cache: no lock (%v); minting without it", err)
	} else {
		defer unlock()
		h.debugf("cache: lock held after %s", time.Since(start).Round(time.Microsecond))
		if !r.ForceRefresh {
			if t, _, ok := h.hit(r, key, "after lock"); ok {
				return t, nil
			}
		}
	}
	t, err := mint()
	if err != nil {
		return t, err
	}
	h.store(r.Profile, key, p, st, t)
	return t, nil
}

// store writes a freshly minted token, unless the config changed (a logout,
// a re-login, an edit) while it was signed, and removes the profile's
// expired and orphaned entries: they hold the PAT.
func (h *Helper) store(name, key string, p *Profile, st settings, t Token) {
	unlock, err := h.profileLock(name)
	if err != nil {
		h.debugf("cache: not written (%v)", err)
		return
	}
	defer unlock()
	data, err := readConfig(h.ConfigPath)
	if err != nil {
		h.debugf("cache: not written (%v)", err)
		return
	}
	if h.cacheKey(name, data) != key {
		h.debugf("cache: not written: the config changed while the token was signed")
		return
	}
	e := cacheEntry{V: cacheVersion, Profile: name, Key: key, Config: h.configID(), Exp: t.Expiry.Unix(), Token: t.Value.Reveal(),
		User: t.User, MarginMS: st.margin.Milliseconds(), Lifetime: int64(st.claims.Lifetime / time.Second),
		Backdate: int64(st.claims.IssuedAt.Backdate / time.Second)}
	for _, u := range p.gitURLs() {
		e.GitURLs = append(e.GitURLs, u.String())
	}
	out, _ := json.Marshal(e)
	if err := privfile.WriteAtomic(filepath.Join(h.CacheDir, entryName(name, key)+".json"), out); err != nil {
		h.debugf("cache: not written (%v)", err)
	}
	for _, e := range h.entries(name, data) {
		if e.State == StateExpired || e.State == StateOrphaned {
			if os.Remove(e.Path) == nil {
				os.Remove(strings.TrimSuffix(e.Path, ".json") + ".lock")
				h.debugf("cache: removed %s entry %s", e.State, filepath.Base(e.Path))
			}
		}
	}
}

// fromTheFuture says why a token minted while the clock ran ahead must not
// be served now that it is right: its iat or nbf (or, with no iat, the time
// it was signed) lies ahead of now by more than the profile's backdate.
func fromTheFuture(e cacheEntry, now time.Time) string {
	if signed := e.Exp - e.Lifetime; signed > now.Unix() {
		return fmt.Sprintf("signed %ds in the future (the clock was ahead)", signed-now.Unix())
	}
	parts := strings.Split(e.Token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct{ Iat, Nbf *int64 }
	if err != nil || json.Unmarshal(raw, &c) != nil {
		return "damaged token"
	}
	limit := now.Unix() + e.Backdate
	for _, v := range []*int64{c.Iat, c.Nbf} {
		if v != nil && *v > limit {
			return fmt.Sprintf("iat or nbf %ds in the future (the clock was ahead)", *v-now.Unix())
		}
	}
	return ""
}

// readEntry reads and checks an entry; why says what made it unusable.
// A corrupt, truncated or foreign entry is simply not a hit.
func readEntry(path, key string) (cacheEntry, string) {
	e, _, err := loadEntry(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return e, "no entry"
		}
		return e, err.Error()
	}
	if e.Key != key {
		return e, "foreign entry"
	}
	return e, ""
}

// loadEntry reads an entry without following links or blocking, bounded.
func loadEntry(path string) (cacheEntry, fs.FileInfo, error) {
	var e cacheEntry
	data, fi, err := privfile.Read(path, maxEntry, false, nil)
	if err != nil {
		return e, fi, err
	}
	if err := privfile.CheckPrivate(fi); err != nil {
		return e, fi, err
	}
	if json.Unmarshal(data, &e) != nil {
		return e, fi, errors.New("corrupt entry")
	}
	if e.V != cacheVersion || e.Exp <= 0 || e.Lifetime <= 0 || strings.Count(e.Token, ".") != 2 {
		return e, fi, errors.New("damaged entry")
	}
	return e, fi, nil
}

// cacheDirOK checks that the cache directory is private and that no other
// user controls a directory above it, creating it when create is set. A
// symlinked or shared directory is refused, not followed.
func (h *Helper) cacheDirOK(create bool) error {
	if h.CacheDir == "" {
		return errors.New("no cache directory")
	}
	if err := privfile.CheckAncestors(filepath.Dir(h.CacheDir)); err != nil {
		return err
	}
	fi, err := os.Lstat(h.CacheDir)
	if errors.Is(err, fs.ErrNotExist) && create {
		if err := os.MkdirAll(h.CacheDir, 0o700); err != nil {
			return err
		}
		fi, err = os.Lstat(h.CacheDir)
	}
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink == 0 && !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", h.CacheDir)
	}
	return privfile.CheckPrivate(fi)
}

// The states `cache list` shows.
const (
	StateValid      = "valid"
	StateExpired    = "expired"
	StateOrphaned   = "orphaned"     // its profile was changed, re-logged or removed
	StateOther      = "other-config" // written for a profile of another config file
	StateUnreadable = "unreadable"
)

// CacheEntry describes one cached token, without the token.
type CacheEntry struct {
	Profile string
	Expiry  time.Time
	Path    string
	State   string
}

// CacheList lists the cache's entries of profile, or of all profiles.
func (h *Helper) CacheList(profile string) ([]CacheEntry, error) {
	if err := h.cacheDirOK(false); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fail(CodeBadInput, "cache directory "+h.CacheDir+": "+err.Error(), "remove it by hand (rm -r "+h.CacheDir+") or point TDJWT_CACHE_DIR at a private directory of yours")
	}
	data, err := readConfig(h.ConfigPath)
	if err != nil {
		data = nil // entries then show as orphaned or valid by what can be told
	}
	return h.entries(profile, data), nil
}

// entries lists and classifies the entries of profile ("" for all): an
// entry of this config whose key the config no longer yields is orphaned.
func (h *Helper) entries(profile string, config []byte) []CacheEntry {
	pattern := "*.json"
	if profile != "" {
		pattern = profile + "-*.json"
	}
	matches, _ := filepath.Glob(filepath.Join(h.CacheDir, pattern))
	sort.Strings(matches)
	id := h.configID()
	var out []CacheEntry
	for _, m := range matches {
		name, ok := entryProfile(strings.TrimSuffix(filepath.Base(m), ".json"))
		if !ok || (profile != "" && name != profile) {
			continue
		}
		ce := CacheEntry{Profile: name, Path: m, State: StateUnreadable}
		if e, _, err := loadEntry(m); err == nil {
			ce.Expiry = time.Unix(e.Exp, 0)
			switch {
			case !h.Now().Before(ce.Expiry):
				ce.State = StateExpired
			case e.Config != id:
				ce.State = StateOther
			case e.Key == h.cacheKey(name, config):
				ce.State = StateValid
			default:
				ce.State = StateOrphaned
			}
		}
		out = append(out, ce)
	}
	return out
}

// entryProfile parses an entry's file name without extension,
// "<profile>-<32 hex>".
func entryProfile(stem string) (string, bool) {
	if len(stem) < 34 || stem[len(stem)-33] != '-' {
		return "", false
	}
	if _, err := hex.DecodeString(stem[len(stem)-32:]); err != nil {
		return "", false
	}
	return stem[:len(stem)-33], true
}

// ClearCache drops the cached tokens of profile, or of all profiles when
// profile is "", and reports how many entries it removed. It never follows
// a symlinked cache directory: such a directory is an error.
func (h *Helper) ClearCache(profile string) (int, error) {
	if h.CacheDir == "" {
		return 0, nil
	}
	if err := h.cacheDirOK(false); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, nil
		}
		return 0, fail(CodeBadInput, "cache directory "+h.CacheDir+": "+err.Error(), "remove it by hand (rm -r "+h.CacheDir+") or point TDJWT_CACHE_DIR at a private directory of yours")
	}
	names := []string{profile}
	if profile == "" {
		names = nil
		seen := map[string]bool{}
		matches, _ := filepath.Glob(filepath.Join(h.CacheDir, "*.json"))
		for _, m := range matches {
			if p, ok := entryProfile(strings.TrimSuffix(filepath.Base(m), ".json")); ok && !seen[p] {
				seen[p] = true
				names = append(names, p)
			}
		}
	}
	n := 0
	for _, name := range names {
		unlock, err := h.profileLock(name)
		if err != nil {
			return n, fail(CodeInternal, "cannot lock the cache of profile "+name+": "+err.Error(), "another tdjwt is writing it; try again")
		}
		matches, _ := filepath.Glob(filepath.Join(h.CacheDir, name+"-*.json"))
		for _, m := range matches {
			if p, ok := entryProfile(strings.TrimSuffix(filepath.Base(m), ".json")); ok && p == name && os.Remove(m) == nil {
				n++
			}
		}
		unlock()
	}
	h.debugf("cache: removed %d entries of profile %q", n, profile)
	return n, nil
}
