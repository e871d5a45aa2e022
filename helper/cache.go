package helper

import (
	"crypto/sha256"
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
)

// The token cache: one file per (profile, settings, key, PAT), so that
// repeat calls cost a small file read instead of a keychain round trip and a
// signature. A token carries the PAT, so the directory is 0700 and entries
// 0600, owned by the user, never followed through a symlink.

// LockWait bounds how long a call waits for another process that is minting
// the same token; it exceeds the keychain timeout so that a slow keychain
// does not make waiters mint too.
const LockWait = 15 * time.Second

const cacheVersion = 1

// CacheDir: $TDJWT_CACHE_DIR, else $XDG_RUNTIME_DIR/tdjwt (memory-backed on
// Linux and removed at logout), else the user cache directory.
func CacheDir(getenv func(string) string) string {
	if d := getenv("TDJWT_CACHE_DIR"); d != "" {
		return d
	}
	if d := getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "tdjwt")
	}
	if runtime.GOOS == "linux" {
		if d := getenv("XDG_CACHE_HOME"); d != "" {
			return filepath.Join(d, "tdjwt")
		}
		if h := getenv("HOME"); h != "" {
			return filepath.Join(h, ".cache", "tdjwt")
		}
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "tdjwt")
	}
	return ""
}

// cacheKey covers every input of the token: a changed setting, a new login,
// a rotated key or PAT never finds an old entry.
func cacheKey(name string, p *Profile, envID string) string {
	h := sha256.New()
	for _, s := range []string{"tdjwt cache v1", name, p.User, p.Org, p.OrgClaim, p.Issuer, p.Kid, p.Lifetime, p.IssuedAt,
		p.Generation, p.KeySHA256, p.PATSHA256, envID} {
		io.WriteString(h, s)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// entryName is "<profile>-<32 hex>": the profile in the name lets clear and
// list work without the config.
func entryName(name, key string) string { return name + "-" + key[:32] }

type cacheEntry struct {
	V       int    `json:"v"`
	Profile string `json:"profile"`
	Key     string `json:"key"`
	Exp     int64  `json:"exp"`
	Token   string `json:"token"`
}

// cached returns a cached token that stays valid for need, or mints one
// under a per-entry lock so that parallel callers mint once.
// envID, when not empty, keys the entry by the secrets the env keystore
// holds now.
func (h *Helper) cached(r TokenRequest, p *Profile, need, margin time.Duration, envID string, mint func() (Token, error)) (Token, error) {
	if err := h.cacheDirOK(true); err != nil {
		h.debugf("cache: unusable (%v); minting without it", err)
		return mint()
	}
	key := cacheKey(r.Profile, p, envID)
	base := filepath.Join(h.CacheDir, entryName(r.Profile, key))
	hit := func(when string) (Token, bool) {
		e, why := readEntry(base+".json", key)
		if why == "" && !h.Now().Add(need).Before(time.Unix(e.Exp, 0)) {
			why = fmt.Sprintf("expires in %s, need %s", time.Unix(e.Exp, 0).Sub(h.Now()).Round(time.Second), need)
		}
		if why != "" {
			h.debugf("cache: miss %s (%s)", when, why)
			return Token{}, false
		}
		h.debugf("cache: hit %s, %s (exp in %s)", when, base+".json", time.Unix(e.Exp, 0).Sub(h.Now()).Round(time.Second))
		return Token{Value: NewSecret(e.Token), Expiry: time.Unix(e.Exp, 0), Margin: margin, Profile: r.Profile, User: p.User}, true
	}
	if !r.ForceRefresh {
		if t, ok := hit("before lock"); ok {
			return t, nil
		}
	}
	start := time.Now()
	unlock, err := lockFile(base+".lock", LockWait)
	if err != nil {
		h.debugf("cache: no lock (%v); minting without it", err)
	} else {
		defer unlock()
		h.debugf("cache: lock held after %s", time.Since(start).Round(time.Microsecond))
		if !r.ForceRefresh {
			if t, ok := hit("after lock"); ok {
				return t, nil
			}
		}
	}
	t, err := mint()
	if err != nil {
		return t, err
	}
	data, _ := json.Marshal(cacheEntry{V: cacheVersion, Profile: r.Profile, Key: key, Exp: t.Expiry.Unix(), Token: t.Value.Reveal()})
	if err := keystore.WriteFileAtomic(base+".json", data); err != nil {
		h.debugf("cache: not written (%v)", err)
	}
	return t, nil
}

// readEntry reads and checks an entry; why says what made it unusable.
// A corrupt, truncated or foreign entry is simply not a hit.
func readEntry(path, key string) (cacheEntry, string) {
	var e cacheEntry
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return e, "no entry"
	}
	if err != nil {
		return e, err.Error()
	}
	if !fi.Mode().IsRegular() {
		return e, "entry is not a regular file"
	}
	if err := keystore.CheckPrivate(fi); err != nil {
		return e, err.Error()
	}
	data, err := keystore.ReadSame(path, fi)
	if err != nil {
		return e, err.Error()
	}
	if json.Unmarshal(data, &e) != nil {
		return e, "corrupt entry"
	}
	if e.V != cacheVersion || e.Key != key || e.Exp <= 0 || strings.Count(e.Token, ".") != 2 {
		return e, "foreign or damaged entry"
	}
	return e, ""
}

// cacheDirOK checks that the cache directory is private, creating it when
// create is set. A symlinked or shared directory is refused, not followed.
func (h *Helper) cacheDirOK(create bool) error {
	if h.CacheDir == "" {
		return errors.New("no cache directory")
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
	return keystore.CheckPrivate(fi)
}

// CacheEntry describes one cached token, without the token.
type CacheEntry struct {
	Profile string
	Expiry  time.Time
	Path    string
	Valid   bool
}

// CacheList lists the cache's entries.
func (h *Helper) CacheList() ([]CacheEntry, error) {
	if err := h.cacheDirOK(false); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fail(CodeBadInput, "cache directory: "+err.Error(), "remove it: tdjwt cache clear, or rm -r "+h.CacheDir)
	}
	matches, _ := filepath.Glob(filepath.Join(h.CacheDir, "*.json"))
	sort.Strings(matches)
	var out []CacheEntry
	for _, m := range matches {
		profile, ok := entryProfile(strings.TrimSuffix(filepath.Base(m), ".json"))
		if !ok {
			continue
		}
		ce := CacheEntry{Profile: profile, Path: m}
		var e cacheEntry
		if data, err := os.ReadFile(m); err == nil && json.Unmarshal(data, &e) == nil && e.Exp > 0 {
			ce.Expiry = time.Unix(e.Exp, 0)
			ce.Valid = h.Now().Before(ce.Expiry)
		}
		out = append(out, ce)
	}
	return out, nil
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
// profile is "". It reports how many entries it removed.
func (h *Helper) ClearCache(profile string) int {
	if h.CacheDir == "" {
		return 0
	}
	if _, err := os.Lstat(h.CacheDir); err != nil {
		return 0
	}
	n := 0
	for _, pattern := range []string{"*.json", "*.lock"} {
		matches, _ := filepath.Glob(filepath.Join(h.CacheDir, pattern))
		for _, m := range matches {
			p, ok := entryProfile(strings.TrimSuffix(filepath.Base(m), filepath.Ext(m)))
			if !ok || (profile != "" && p != profile) {
				continue
			}
			if os.Remove(m) == nil && strings.HasSuffix(m, ".json") {
				n++
			}
		}
	}
	h.debugf("cache: removed %d entries of profile %q", n, profile)
	return n
}
