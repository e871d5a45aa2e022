package helper

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func cacheEnv(t *testing.T) *testEnv {
	e := newEnv(t)
	e.h.CacheDir = filepath.Join(e.dir, "cache")
	e.login(t, nil)
	e.store.Gets = 0
	return e
}

func (e *testEnv) token(t *testing.T, r TokenRequest) Token {
	t.Helper()
	if r.Profile == "" {
		r.Profile = "default"
	}
	tok, err := e.h.Token(r)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestCacheValidityAndMargin(t *testing.T) {
	e := cacheEnv(t)
	first := e.token(t, TokenRequest{})
	if e.store.Gets != 1 {
		t.Fatalf("cold call read the keystore %d times", e.store.Gets)
	}
	// Within the lifetime minus the 6-minute margin: the same token, no read.
	e.clock.t = e.clock.t.Add(53 * time.Minute)
	if tok := e.token(t, TokenRequest{}); tok.Value != first.Value || e.store.Gets != 1 {
		t.Fatalf("not a hit at 53m (reads %d)", e.store.Gets)
	}
	// --min-valid larger than what is left: a new token.
	if tok := e.token(t, TokenRequest{MinValid: 10 * time.Minute}); tok.Value == first.Value || e.store.Gets != 2 {
		t.Fatal("min-valid did not force a new token")
	}
	// Inside the margin of the new token: a new one again.
	second := e.token(t, TokenRequest{})
	e.clock.t = e.clock.t.Add(55 * time.Minute)
	if tok := e.token(t, TokenRequest{}); tok.Value == second.Value || e.store.Gets != 3 {
		t.Fatalf("token inside its margin was reused (reads %d)", e.store.Gets)
	}
	// --force-refresh and --no-cache always mint.
	e.token(t, TokenRequest{ForceRefresh: true})
	e.token(t, TokenRequest{NoCache: true})
	if e.store.Gets != 5 {
		t.Fatalf("reads %d, want 5", e.store.Gets)
	}
}

func TestCacheKeyCoversEveryInput(t *testing.T) {
	e := cacheEnv(t)
	data, err := readConfig(e.h.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	base := e.h.cacheKey("default", data)
	if e.h.cacheKey("other", data) == base {
		t.Fatal("the profile name is not in the key")
	}
	// Every field of the profile lives in the config's bytes: any change of
	// any byte is another key.
	for i := range data {
		changed := append([]byte(nil), data...)
		changed[i] ^= 1
		if e.h.cacheKey("default", changed) == base {
			t.Fatalf("byte %d of the config does not change the key", i)
		}
	}
	e.env["TDJWT_PAT"] = "PATrotated"
	if e.h.cacheKey("default", data) == base {
		t.Fatal("the env keystore's secrets do not change the key")
	}
	if strings.Contains(base, "alice") {
		t.Fatal("the key holds an input verbatim")
	}
}

func TestCacheReloginNeverServesOldIdentity(t *testing.T) {
	e := cacheEnv(t)
	first := e.token(t, TokenRequest{})
	e.login(t, func(r *LoginRequest) { r.User = "bob" })
	tok := e.token(t, TokenRequest{})
	if _, cl := decode(t, tok.Value.Reveal()); cl["sub"] != "bob" || tok.Value == first.Value {
		t.Fatalf("old token after re-login: %v", cl["sub"])
	}
	entries, _ := e.h.CacheList("")
	if len(entries) != 1 {
		t.Fatalf("login did not drop the old entry: %d entries", len(entries))
	}
}

func TestCacheCorruptEntriesAreReplaced(t *testing.T) {
	e := cacheEnv(t)
	e.token(t, TokenRequest{})
	entries, _ := e.h.CacheList("")
	path := entries[0].Path
	for _, bad := range []string{"", "{", `{"v":1}`, `{"v":1,"key":"x","exp":99999999999,"token":"a.b.c"}`, "\x00\x01garbage"} {
		os.WriteFile(path, []byte(bad), 0o600)
		before := e.store.Gets
		tok := e.token(t, TokenRequest{})
		if e.store.Gets != before+1 || verifySignature(tok.Value.Reveal(), &testKey(t).PublicKey) != nil {
			t.Fatalf("corrupt entry %q was served", bad)
		}
		if e.token(t, TokenRequest{}); e.store.Gets != before+1 {
			t.Fatalf("entry %q was not replaced", bad)
		}
	}
}

func TestCacheRefusesUnsafePlaces(t *testing.T) {
	e := cacheEnv(t)
	e.token(t, TokenRequest{})
	entries, _ := e.h.CacheList("")
	path := entries[0].Path

	// A group-readable entry is not trusted.
	os.Chmod(path, 0o644)
	before := e.store.Gets
	e.token(t, TokenRequest{})
	if e.store.Gets != before+1 {
		t.Fatal("a group-readable entry was served")
	}

	// A symlinked cache directory is neither followed nor written.
	target := t.TempDir()
	link := filepath.Join(e.dir, "linkcache")
	os.Symlink(target, link)
	e.h.CacheDir = link
	e.token(t, TokenRequest{})
	e.token(t, TokenRequest{})
	if got, _ := os.ReadDir(target); len(got) != 0 {
		t.Fatalf("wrote through a symlinked cache dir: %v", got)
	}

	// A shared directory is refused; a token still comes back.
	shared := filepath.Join(e.dir, "shared")
	os.Mkdir(shared, 0o777)
	os.Chmod(shared, 0o777)
	e.h.CacheDir = shared
	e.token(t, TokenRequest{})
	if got, _ := os.ReadDir(shared); len(got) != 0 {
		t.Fatal("wrote into a world-writable cache dir")
	}

	// A symlinked entry is not followed.
	e.h.CacheDir = filepath.Join(e.dir, "cache")
	os.Remove(path)
	decoy := filepath.Join(e.dir, "decoy")
	os.WriteFile(decoy, []byte(`{"v":1}`), 0o600)
	os.Symlink(decoy, path)
	before = e.store.Gets
	e.token(t, TokenRequest{})
	if e.store.Gets != before+1 {
		t.Fatal("a symlinked entry was read")
	}
	if b, _ := os.ReadFile(decoy); string(b) != `{"v":1}` {
		t.Fatal("wrote through a symlinked entry")
	}
}

func TestCacheUnusableDirStillYieldsTokens(t *testing.T) {
	e := cacheEnv(t)
	file := filepath.Join(e.dir, "afile")
	os.WriteFile(file, nil, 0o600)
	e.h.CacheDir = filepath.Join(file, "sub") // cannot be created
	if tok := e.token(t, TokenRequest{}); verifySignature(tok.Value.Reveal(), &testKey(t).PublicKey) != nil {
		t.Fatal("bad token")
	}
}

func TestCacheSingleFlightInProcess(t *testing.T) {
	e := cacheEnv(t)
	var wg sync.WaitGroup
	toks := make([]string, 20)
	for i := range toks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := e.h.Token(TokenRequest{Profile: "default"})
			if err == nil {
				toks[i] = tok.Value.Reveal()
			}
		}()
	}
	wg.Wait()
	for _, tok := range toks {
		if tok == "" || tok != toks[0] {
			t.Fatal("parallel calls returned different tokens")
		}
	}
	if e.store.Gets != 1 {
		t.Fatalf("keystore read %d times by 20 parallel calls", e.store.Gets)
	}
}

func TestCacheClearAndLogout(t *testing.T) {
	e := cacheEnv(t)
	e.login(t, func(r *LoginRequest) { r.Profile = "a-b" })
	e.token(t, TokenRequest{})
	e.token(t, TokenRequest{Profile: "a-b"})
	if n, _ := e.h.ClearCache("a"); n != 0 {
		t.Fatalf("clearing profile a removed %d entries", n)
	}
	if n, _ := e.h.ClearCache("a-b"); n != 1 {
		t.Fatalf("removed %d", n)
	}
	e.h.Logout("default")
	if l, _ := e.h.CacheList(""); len(l) != 0 {
		t.Fatalf("logout left %d entries", len(l))
	}
}

func TestCacheDirResolution(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if d, _ := CacheDir(env(map[string]string{"TDJWT_CACHE_DIR": "/c", "XDG_RUNTIME_DIR": "/r"}), noDir); d != "/c" {
		t.Fatal(d)
	}
	if d, _ := CacheDir(env(map[string]string{"XDG_RUNTIME_DIR": "/run/user/1"}), noDir); d != "/run/user/1/tdjwt" {
		t.Fatal(d)
	}
	if d, _ := CacheDir(env(map[string]string{"HOME": "/h"}), noDir); d != "/h/.cache/tdjwt" {
		t.Fatal(d)
	}
}

func TestCacheNeverServesATokenFromTheFuture(t *testing.T) {
	for _, ahead := range []time.Duration{2 * time.Hour, 48 * time.Hour} {
		for _, policy := range []string{"60s", "now", "zero", "omit"} {
			e := cacheEnv(t)
			e.login(t, func(r *LoginRequest) { r.IssuedAt, r.Lifetime = policy, "8760h" })
			e.store.Gets = 0
			right := e.clock.t
			e.clock.t = right.Add(ahead) // the clock runs ahead while a token is signed
			ahead1 := e.token(t, TokenRequest{})
			e.clock.t = right // and is corrected
			tok := e.token(t, TokenRequest{})
			if tok.Value == ahead1.Value || e.store.Gets != 2 {
				t.Fatalf("ahead %v, iat %s: the token signed in the future was served", ahead, policy)
			}
			if _, cl := decode(t, tok.Value.Reveal()); cl["iat"] != nil && cl["iat"].(float64) > float64(right.Unix()) {
				t.Fatalf("iat in the future")
			}
			// The new one is a hit again.
			if e.token(t, TokenRequest{}); e.store.Gets != 2 {
				t.Fatal("the corrected token is not cached")
			}
		}
	}
}

func TestCacheWriteRemovesExpiredAndOrphanedEntries(t *testing.T) {
	e := cacheEnv(t)
	e.token(t, TokenRequest{})
	e.login(t, func(r *LoginRequest) { r.Profile = "other" })
	e.token(t, TokenRequest{Profile: "other"})
	// An entry of a setting since changed (its key no longer comes out of
	// the config) and an expired one.
	cfg, _ := loadConfig(e.h.ConfigPath)
	cfg.Profiles["default"].Issuer = "changed"
	if err := cfg.Save(e.h.ConfigPath); err != nil {
		t.Fatal(err)
	}
	if l, _ := e.h.CacheList("default"); len(l) != 1 || l[0].State != StateOrphaned {
		t.Fatalf("list: %+v", l)
	}
	e.clock.t = e.clock.t.Add(2 * time.Hour)
	if l, _ := e.h.CacheList("other"); len(l) != 1 || l[0].State != StateExpired {
		t.Fatalf("list: %+v", l)
	}
	e.token(t, TokenRequest{})
	e.token(t, TokenRequest{Profile: "other"})
	for _, name := range []string{"default", "other"} {
		l, _ := e.h.CacheList(name)
		if len(l) != 1 || l[0].State != StateValid {
			t.Fatalf("%s: %+v", name, l)
		}
	}
}

func TestShortLifetimeMargin(t *testing.T) {
	for lifetime, want := range map[time.Duration]time.Duration{time.Minute: 30 * time.Second, 3 * time.Minute: time.Minute, time.Hour: 6 * time.Minute} {
		if got, err := Margin("", lifetime); err != nil || got != want {
			t.Fatalf("margin of %v: %v %v", lifetime, got, err)
		}
	}
	if _, err := Margin("31s", time.Minute); err == nil {
		t.Fatal("a margin over half the lifetime was accepted")
	}
	if _, err := parseLifetime("59"); err == nil {
		t.Fatal("a lifetime under a minute was accepted")
	}
}

func noDir() (string, error) { return "", errors.New("no OS directory in this test") }
