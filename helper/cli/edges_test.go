//go:build linux

package cli_test

// End-to-end tests of the edges: where a token may go, profiles that must
// not be lost or broken, inputs that must not hang tdjwt, and a CLI a
// newcomer cannot misuse. Each reproduces a defect found by trying tdjwt
// as a new user and as an adversary would.

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// recorder is a plain-http server on 127.0.0.1 that asks for credentials
// and records every Authorization header it is sent.
func recorder(t *testing.T) (*httptest.Server, func() []string) {
	var mu sync.Mutex
	var auths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("WWW-Authenticate", `Basic realm="x"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), auths...)
	}
}

func TestGitHelperAnswersOnlyBoundHostsOverHTTPS(t *testing.T) {
	need(t, "git", exec.Command("git", "--version").Run() == nil)
	e := newEnv(t)
	e.fileLogin("default")
	// README's shortcut: tdjwt answers every host git asks about.
	git(t, e, "", "config", "--global", "credential.helper", "tdjwt")
	srv, auths := recorder(t)
	cmd := exec.Command("git", "ls-remote", srv.URL+"/x.git")
	cmd.Env = e.environ("GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "SSH_ASKPASS=")
	cmd.Dir = e.home
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatal("git ls-remote of an unrelated server succeeded")
	}
	checkNoLeak(t, "git ls-remote", string(out))
	for _, a := range auths() {
		if a != "" {
			t.Fatalf("an unrelated plain-http server was sent credentials (%d bytes)", len(a))
		}
	}
	if len(auths()) == 0 {
		t.Fatal("git never reached the server: the test proves nothing")
	}
	// Driven directly: silent (nothing on stdout, exit 0) for plain http on
	// the bound host, for other hosts, and for no host; a debug line says why.
	for _, req := range []string{
		"protocol=http\nhost=myorg.innovationlabs.teradata.com\n\n",
		"protocol=https\nhost=other.example.com\n\n",
		"protocol=https\n\n",
	} {
		r := e.run(req, nil, "--debug", "get")
		if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "not answering") {
			t.Fatalf("%q: exit %d, stdout %d bytes, stderr %s", req, r.code, len(r.stdout), r.stderr)
		}
	}
	// The base URL's host, over https, is answered.
	r := e.run("protocol=https\nhost=myorg.innovationlabs.teradata.com\n\n", nil, "get")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "username="+e2eUser+"\npassword=") {
		t.Fatalf("bound host: exit %d, %s", r.code, r.stderr)
	}
	// setup git binds more URLs to the profile, also without --apply.
	if r := e.run("", nil, "setup", "git", "--profile", "default", "--url", "https://git.example.com/team"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if !strings.Contains(string(mustRead(t, e.vars["TDJWT_CONFIG"])), `git_urls = ["https://git.example.com/team"]`) {
		t.Fatal("setup git did not record the URL in the profile")
	}
	for req, answered := range map[string]bool{
		"protocol=https\nhost=git.example.com\npath=team/repo.git\n\n":  true,
		"protocol=https\nhost=git.example.com\n\n":                      true,
		"protocol=https\nhost=git.example.com\npath=other/repo.git\n\n": false,
		"protocol=http\nhost=git.example.com\n\n":                       false,
	} {
		r := e.run(req, nil, "get")
		if got := strings.Contains(r.stdout, "password="); got != answered || r.code != 0 {
			t.Fatalf("%q: answered %v, want %v (%s)", req, got, answered, r.stderr)
		}
	}
}

func TestDoctorWarnsOfStoringHelpers(t *testing.T) {
	need(t, "git", exec.Command("git", "--version").Run() == nil)
	e := newEnv(t)
	e.fileLogin("default")
	git(t, e, "", "config", "--global", "--add", "credential.helper", "store")
	git(t, e, "", "config", "--global", "--add", "credential.helper", "tdjwt")
	r := e.run("", nil, "doctor")
	if !strings.Contains(r.stdout, "WARN  git        helper store also runs for https://myorg.innovationlabs.teradata.com") ||
		!strings.Contains(r.stdout, "--apply") {
		t.Fatalf("no warning about store:\n%s", r.stdout)
	}
	// setup git resets the list for the URL: the warning goes away.
	if r := e.run("", nil, "setup", "git", "--url", "https://myorg.innovationlabs.teradata.com", "--apply"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if r := e.run("", nil, "doctor"); strings.Contains(r.stdout, "WARN") {
		t.Fatalf("warning after setup git:\n%s", r.stdout)
	}
}

func TestChildrenGetNoSecretVariables(t *testing.T) {
	e := newEnv(t)
	e.fileLogin("default")
	// A git that records its environment, first on PATH.
	fake := filepath.Join(e.home, "fakebin")
	os.MkdirAll(fake, 0o700)
	dump := filepath.Join(e.home, "git-env")
	if err := os.WriteFile(filepath.Join(fake, "git"), []byte("#!/bin/sh\nenv >> "+dump+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	e.vars["PATH"] = fake + ":" + e.vars["PATH"]
	secretEnv := []string{"TDJWT_PAT=" + e2ePAT, "TDJWT_PRIVATE_KEY=" + string(mustRead(t, keyPEM))}
	e.run("", secretEnv, "doctor")
	e.run("", secretEnv, "setup", "git", "--url", "https://g.example.com", "--apply")
	got := string(mustRead(t, dump))
	if !strings.Contains(got, "HOME=") {
		t.Fatal("the fake git did not run: the test proves nothing")
	}
	if strings.Contains(got, "TDJWT_PAT") || strings.Contains(got, keyBody) || strings.Contains(got, e2ePAT) {
		t.Fatal("a git child inherited tdjwt's secret variables")
	}
}

func TestDoctorOnlineRefusesPlainHTTPAndNonLakeAnswers(t *testing.T) {
	e := newEnv(t)
	e.fileLogin("default", "--base-url", "https://myorg.example.com/api/accounts/env1")
	if cfg := string(mustRead(t, e.vars["TDJWT_CONFIG"])); !strings.Contains(cfg, `account_url = "https://myorg.example.com/api/accounts/env1"`) {
		t.Fatalf("login did not record the account URL:\n%s", cfg)
	}
	srv, auths := recorder(t)
	// Hand-edited to plain http.
	cfgPath := e.vars["TDJWT_CONFIG"]
	cfg := strings.ReplaceAll(string(mustRead(t, cfgPath)), "https://myorg.example.com", srv.URL)
	os.WriteFile(cfgPath, []byte(cfg), 0o600)
	r := e.run("", nil, "doctor", "--online")
	if r.code == 0 || !strings.Contains(r.stdout, "FAIL  online") || !strings.Contains(r.stdout, "not an https URL") || len(auths()) != 0 {
		t.Fatalf("doctor --online over http: exit %d, %d requests\n%s", r.code, len(auths()), r.stdout)
	}
	// An https server that answers 200 with a web page is not Lake.
	page := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html>hello</html>"))
	}))
	defer page.Close()
	ca := filepath.Join(e.home, "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: page.Certificate().Raw}), 0o600)
	os.WriteFile(cfgPath, []byte(strings.ReplaceAll(cfg, srv.URL, page.URL)), 0o600)
	r = e.run("", []string{"SSL_CERT_FILE=" + ca}, "doctor", "--online")
	if r.code != exitBadInput || !strings.Contains(r.stdout, "GET "+page.URL+"/api/accounts/env1: HTTP 200") || !strings.Contains(r.stdout, "not JSON") {
		t.Fatalf("doctor --online against a web page: exit %d\n%s", r.code, r.stdout)
	}
	// A console URL names no environment: --online says what to log in with.
	e.fileLogin("console", "--base-url", "https://myorg.example.com")
	r = e.run("", nil, "doctor", "--profile", "console", "--online")
	if r.code != exitUsage || !strings.Contains(r.stdout, "/api/accounts/ENV_ID") {
		t.Fatalf("doctor --online with a console URL: exit %d\n%s", r.code, r.stdout)
	}
}

// otherUsersDir makes a 0777 directory owned by another user (nobody).
func otherUsersDir(t *testing.T) string {
	if os.Geteuid() != 0 {
		need(t, "root, to make a directory owned by another user", false)
	}
	d := filepath.Join(t.TempDir(), "theirs")
	if err := os.Mkdir(d, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(d, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestCacheDirMustBeAbsoluteAndOurs(t *testing.T) {
	e := newEnv(t)
	e.fileLogin("default")
	r := e.run("", []string{"TDJWT_CACHE_DIR=rel/cache"}, "token")
	wantError(t, r, exitUsage, "relative TDJWT_CACHE_DIR")
	if _, err := os.Stat(filepath.Join(e.home, "rel")); err == nil {
		t.Fatal("a relative cache directory was created")
	}
	// A parent reached through a symlink into another user's 0777 directory.
	theirs := otherUsersDir(t)
	os.Symlink(theirs, filepath.Join(e.home, "link"))
	r = e.run("", []string{"TDJWT_CACHE_DIR=" + filepath.Join(e.home, "link", "cache")}, "--debug", "token")
	if r.code != 0 || !strings.Contains(r.stderr, "cache: unusable") {
		t.Fatalf("token: exit %d\n%s", r.code, r.stderr)
	}
	if got, _ := os.ReadDir(theirs); len(got) != 0 {
		t.Fatal("tdjwt wrote into a directory another user controls")
	}
	r = e.run("", []string{"TDJWT_CACHE_DIR=" + filepath.Join(e.home, "link", "cache")}, "doctor")
	if !strings.Contains(r.stdout, "FAIL  cache") || !strings.Contains(r.stdout, "uid 65534") {
		t.Fatalf("doctor:\n%s", r.stdout)
	}
	// cache clear never follows a symlinked cache directory.
	e.run("", nil, "token")
	entries, _ := filepath.Glob(filepath.Join(e.vars["TDJWT_CACHE_DIR"], "*.json"))
	if len(entries) != 1 {
		t.Fatalf("%d entries", len(entries))
	}
	link := filepath.Join(e.home, "cachelink")
	os.Symlink(e.vars["TDJWT_CACHE_DIR"], link)
	r = e.run("", []string{"TDJWT_CACHE_DIR=" + link}, "cache", "clear")
	wantError(t, r, exitBadInput, "cache clear on a symlink")
	if _, err := os.Stat(entries[0]); err != nil {
		t.Fatal("cache clear deleted entries through a symlink")
	}
}

func TestDebugNeverEchoesAnUnknownGitAction(t *testing.T) {
	e := newEnv(t)
	e.fileLogin("default")
	r := e.runCmd(filepath.Join(binDir, "git-credential-tdjwt"), "", nil, "--debug", "--profile", "default", "PATsecretAsAction0000")
	if r.code != 0 || strings.Contains(r.stderr, "PATsecretAsAction") || !strings.Contains(r.stderr, "(21 bytes)") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
}

func TestOrphanedAndExpiredEntriesAreRemoved(t *testing.T) {
	e := newEnv(t)
	e.fileLogin("default")
	e.fileLogin("other")
	e.run("", nil, "token")
	e.run("", nil, "token", "--profile", "other")
	cfgPath := e.vars["TDJWT_CONFIG"]
	cfg := string(mustRead(t, cfgPath))
	// A hand edit of the default profile orphans its entry.
	edited := strings.Replace(cfg, `issuer = "tdjwt"`, `issuer = "edited"`, 1)
	if edited == cfg {
		t.Fatal("edit failed")
	}
	os.WriteFile(cfgPath, []byte(edited), 0o600)
	r := e.run("", nil, "cache", "list")
	if strings.Count(r.stdout, "orphaned") != 1 || strings.Count(r.stdout, "valid") != 1 {
		t.Fatalf("cache list:\n%s", r.stdout)
	}
	e.run("", nil, "token")
	r = e.run("", nil, "cache", "list")
	if strings.Contains(r.stdout, "orphaned") || strings.Count(r.stdout, "valid") != 2 {
		t.Fatalf("the orphaned entry stayed:\n%s", r.stdout)
	}
	// --profile and $TDJWT_PROFILE filter list and clear.
	if r := e.run("", nil, "cache", "list", "--profile", "other"); strings.Count(r.stdout, "\n") != 2 || !strings.Contains(r.stdout, "other") {
		t.Fatalf("cache list --profile other:\n%s", r.stdout)
	}
	if r := e.run("", []string{"TDJWT_PROFILE=other"}, "cache", "clear"); !strings.Contains(r.stderr, "removed 1 cached tokens of profile other") {
		t.Fatalf("cache clear with TDJWT_PROFILE: %s", r.stderr)
	}
	if r := e.run("", nil, "cache", "list"); strings.Count(r.stdout, "\n") != 2 || !strings.Contains(r.stdout, "default") {
		t.Fatalf("TDJWT_PROFILE=other cache clear removed other profiles' entries:\n%s", r.stdout)
	}
}

func runAll(n int, f func(i int)) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); f(i) }()
	}
	wg.Wait()
}

func keychainItems(t *testing.T, username string) int {
	out, _ := exec.Command("secret-tool", "search", "--all", "service", "tdjwt").CombinedOutput()
	n := 0
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(l, "attribute.username = "); ok && (username == "" || v == username || strings.HasPrefix(v, username+"#")) {
			n++
		}
	}
	return n
}

func TestParallelLoginsLoseNothing(t *testing.T) {
	needSecretService(t)
	e := newEnv(t)
	before := keychainItems(t, "")
	runAll(20, func(i int) {
		name := fmt.Sprintf("par%02d", i)
		r := e.run(e2ePAT+"\n", nil, "login", "--profile", name, "--pem", keyPEM, "--user", e2eUser, "--org", "myorg")
		if r.code != 0 {
			t.Errorf("login %s: %s", name, r.stderr)
		}
	})
	t.Cleanup(func() {
		for i := 0; i < 20; i++ {
			e.run("", nil, "logout", "--profile", fmt.Sprintf("par%02d", i))
		}
	})
	r := e.run("", nil, "profiles")
	if n := strings.Count(r.stdout, "present"); n != 20 {
		t.Fatalf("%d of 20 profiles in the config after parallel logins:\n%s", n, r.stdout)
	}
	if n := keychainItems(t, "") - before; n != 20 {
		t.Fatalf("%d keychain items for 20 profiles", n)
	}

	// 20 parallel logins to one profile with two keys: it works afterwards
	// with one of them, and one item is left.
	dir := t.TempDir()
	other := filepath.Join(dir, "KeyForJwtE2E.pem")
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	os.WriteFile(other, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	keys := []string{keyPEM, other}
	runAll(20, func(i int) {
		r := e.run(e2ePAT+"\n", nil, "login", "--profile", "one", "--pem", keys[i%2], "--user", e2eUser, "--base-url", e2eURL)
		if r.code != 0 {
			t.Errorf("login one: %s", r.stderr)
		}
	})
	t.Cleanup(func() { e.run("", nil, "logout", "--profile", "one") })
	r = e.run("", nil, "token", "--profile", "one")
	if r.code != 0 {
		t.Fatalf("profile one is broken: %s", r.stderr)
	}
	s := defaultSpec()
	cfg := string(mustRead(t, e.vars["TDJWT_CONFIG"]))
	one := cfg[strings.Index(cfg, "[profiles.one]"):]
	if !strings.Contains(one[:strings.Index(one, "pat_sha256")], fingerprintOf(t, keyPEM)) {
		s.PEM = other
	}
	verify(t, strings.TrimSpace(r.stdout), s)
	if n := keychainItems(t, "one"); n != 1 {
		t.Fatalf("%d keychain items for profile one", n)
	}
}

func fingerprintOf(t *testing.T, pemFile string) string {
	block, _ := pem.Decode(mustRead(t, pemFile))
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.(*rsa.PrivateKey).PublicKey)
	return fmt.Sprintf("%x", sha256Sum(der))
}

func TestBadValuesNeverReachTheConfig(t *testing.T) {
	e := newEnv(t)
	e.fileLogin("good")
	before := string(mustRead(t, e.vars["TDJWT_CONFIG"]))
	dir := filepath.Join(e.home, "secrets")
	base := []string{"login", "--profile", "bad", "--pem", keyPEM, "--user", e2eUser, "--org", "myorg", "--keystore", "file:" + dir}
	for name, c := range map[string]struct {
		pat   string
		extra []string
		code  int
	}{
		"kid not utf-8":      {e2ePAT, []string{"--kid", "k\xff"}, exitUsage},
		"user not utf-8":     {e2ePAT, []string{"--user", "al\xffice"}, exitUsage},
		"org not utf-8":      {e2ePAT, []string{"--org", "\xfe"}, exitUsage},
		"issuer not utf-8":   {e2ePAT, []string{"--issuer", "i\xc3"}, exitUsage},
		"user with newline":  {e2ePAT, []string{"--user", "al\nice"}, exitUsage},
		"kid with escape":    {e2ePAT, []string{"--kid", "k\x1b[31m"}, exitUsage},
		"kid too long":       {e2ePAT, []string{"--kid", strings.Repeat("k", 300)}, exitUsage},
		"pat not utf-8":      {"PAT\xff0000", nil, exitBadInput},
		"pat with escape":    {"PAT\x1b0000", nil, exitBadInput},
		"pat with del":       {"PAT\x7f0000", nil, exitBadInput},
		"pat with nul":       {"PAT\x000000", nil, exitBadInput},
		"pat not ascii":      {"PATé0000", nil, exitBadInput},
		"lifetime too short": {e2ePAT, []string{"--lifetime", "30s"}, exitUsage},
	} {
		args := append(append([]string{}, base...), c.extra...)
		wantError(t, e.run(c.pat+"\n", nil, args...), c.code, name)
		if got := string(mustRead(t, e.vars["TDJWT_CONFIG"])); got != before {
			t.Fatalf("%s changed the config", name)
		}
	}
	if r := e.run("", nil, "token", "--profile", "good"); r.code != 0 {
		t.Fatalf("good profile broken: %s", r.stderr)
	}
	// A hand-edited config: a NUL in kid, a newline in user, or bytes that
	// are not UTF-8 are bad input, with the line.
	cfgPath := e.vars["TDJWT_CONFIG"]
	for name, c := range map[string]struct{ from, to, want string }{
		"nul in kid":      {`kid = "KeyForJwtE2E"`, `kid = "Key\u0000"`, "control character"},
		"newline in user": {`user = "alice_Lower"`, `user = "alice\nLower"`, "control character"},
		"not utf-8":       {`issuer = "tdjwt"`, "issuer = \"td\xffjwt\"", "not valid UTF-8 (line"},
	} {
		os.WriteFile(cfgPath, []byte(strings.Replace(before, c.from, c.to, 1)), 0o600)
		r := e.run("", nil, "token", "--profile", "good", "--no-cache")
		wantError(t, r, exitBadInput, name)
		if !strings.Contains(r.stderr, c.want) {
			t.Fatalf("%s: %s", name, r.stderr)
		}
	}
	os.WriteFile(cfgPath, []byte(before), 0o600)
}

func TestLoginKeepsAnotherConfigsItem(t *testing.T) {
	needSecretService(t)
	a := newEnv(t)
	a.login("shared")
	b := newEnv(t)
	r := b.run(e2ePAT+"\n", nil, "login", "--profile", "shared", "--pem", keyPEM, "--user", "bob", "--org", "o")
	wantError(t, r, exitUsage, "login over another config's item")
	if !strings.Contains(r.stderr, a.vars["TDJWT_CONFIG"]) || !strings.Contains(r.stderr, "--replace") {
		t.Fatalf("message: %s", r.stderr)
	}
	if r := a.run("", nil, "token", "--profile", "shared", "--no-cache"); r.code != 0 {
		t.Fatalf("the first config's profile broke: %s", r.stderr)
	}
	r = b.run(e2ePAT+"\n", nil, "login", "--profile", "shared", "--pem", keyPEM, "--user", "bob", "--org", "o", "--replace")
	if r.code != 0 {
		t.Fatalf("login --replace: %s", r.stderr)
	}
	// The first config's logout leaves the second one's item alone.
	a.run("", nil, "logout", "--profile", "shared")
	if r := b.run("", nil, "token", "--profile", "shared", "--no-cache"); r.code != 0 {
		t.Fatalf("logout of the first config removed the second's item: %s", r.stderr)
	}
	b.run("", nil, "logout", "--profile", "shared")
}

func TestLogoutWhileMintingLeavesNoEntry(t *testing.T) {
	e := newEnv(t)
	for round := 0; round < 5; round++ {
		e.fileLogin("race")
		runAll(9, func(i int) {
			if i == 4 {
				if r := e.run("", nil, "logout", "--profile", "race"); r.code != 0 {
					t.Errorf("logout: %s", r.stderr)
				}
				return
			}
			e.run("", nil, "token", "--profile", "race", "--force-refresh")
		})
		if left, _ := filepath.Glob(filepath.Join(e.vars["TDJWT_CACHE_DIR"], "race-*.json")); len(left) != 0 {
			t.Fatalf("round %d: %d PAT-bearing entries outlived the logout", round, len(left))
		}
	}
}

func TestLoginAgainstAStoppedKeyringHasOneBound(t *testing.T) {
	needSecretService(t)
	e := newEnv(t)
	e.login("stopped")
	// The keychain stops answering (as a SIGSTOPped daemon does): a login
	// makes several calls, bounded together by the one timeout.
	start := time.Now()
	r := e.run(e2ePAT+"\n", []string{"DBUS_SESSION_BUS_ADDRESS=" + silentBus(t), "TDJWT_KEYRING_TIMEOUT=2s"},
		"login", "--profile", "stopped", "--pem", keyPEM, "--user", e2eUser, "--base-url", e2eURL)
	wantError(t, r, exitKeystore, "login against a silent keychain")
	if d := time.Since(start); d > 3500*time.Millisecond {
		t.Fatalf("login took %v with a 2s bound", d)
	}
}

func TestSymlinkedConfigStaysALink(t *testing.T) {
	e := newEnv(t)
	dotfiles := filepath.Join(e.home, "dotfiles")
	os.MkdirAll(dotfiles, 0o700)
	target := filepath.Join(dotfiles, "tdjwt.toml")
	os.WriteFile(target, nil, 0o600)
	link := filepath.Join(e.home, "cfglink.toml")
	os.Symlink(target, link)
	e.vars["TDJWT_CONFIG"] = link
	e.fileLogin("default")
	fi, err := os.Lstat(link)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("login replaced the config link with a file")
	}
	if !strings.Contains(string(mustRead(t, target)), "[profiles.default]") {
		t.Fatal("the link's target was not written")
	}
	if r := e.run("", nil, "token"); r.code != 0 {
		t.Fatal(r.stderr)
	}
}

// runBounded runs tdjwt with a deadline: a hang is a failure, not a stuck
// test.
func (e *env) runBounded(d time.Duration, extraEnv []string, args ...string) (result, time.Duration) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = e.environ(extraEnv...)
	cmd.Dir = e.home
	cmd.Stdin = strings.NewReader(e2ePAT + "\n")
	var so, se strings.Builder
	cmd.Stdout, cmd.Stderr = &so, &se
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if ctx.Err() != nil {
		e.t.Fatalf("tdjwt %v hung (killed after %v)", args, d)
	}
	r := result{so.String(), se.String(), 0}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	}
	checkNoLeak(e.t, strings.Join(args, " "), r.stdout+r.stderr)
	return r, took
}

func sparse(t *testing.T, path string, size int64) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func TestHostileFilesAreRefusedQuickly(t *testing.T) {
	e := newEnv(t)
	e.fileLogin("default")
	fifo := filepath.Join(e.home, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// A FIFO as --pem.
	r, _ := e.runBounded(10*time.Second, nil, "login", "--profile", "p2", "--pem", fifo, "--user", "u", "--org", "o", "--keystore", "file:"+filepath.Join(e.home, "s2"))
	if r.code != exitBadInput || !strings.Contains(r.stderr, "not a regular file") {
		t.Fatalf("FIFO as --pem: exit %d %s", r.code, r.stderr)
	}
	// Cache entries: a FIFO, a /dev/zero link, a 4 GB sparse file.
	cache := e.vars["TDJWT_CACHE_DIR"]
	os.MkdirAll(cache, 0o700)
	syscall.Mkfifo(filepath.Join(cache, "default-"+strings.Repeat("a", 32)+".json"), 0o600)
	os.Symlink("/dev/zero", filepath.Join(cache, "default-"+strings.Repeat("b", 32)+".json"))
	sparse(t, filepath.Join(cache, "default-"+strings.Repeat("c", 32)+".json"), 4<<30)
	r, _ = e.runBounded(10*time.Second, nil, "cache", "list")
	if r.code != 0 || strings.Count(r.stdout, "unreadable") != 3 {
		t.Fatalf("cache list: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r, _ = e.runBounded(10*time.Second, nil, "token"); r.code != 0 {
		t.Fatalf("token beside hostile entries: %s", r.stderr)
	}
	// Kubeconfig: a FIFO and /dev/zero.
	for _, kc := range []string{fifo, "/dev/zero"} {
		r, _ = e.runBounded(10*time.Second, []string{"KUBECONFIG=" + kc}, "doctor")
		if !strings.Contains(r.stdout, "FAIL  kubeconfig") {
			t.Fatalf("doctor with KUBECONFIG=%s: exit %d\n%s", kc, r.code, r.stdout)
		}
	}
	// The config: a 3 GB sparse file, /dev/zero, a FIFO.
	big := filepath.Join(e.home, "big.toml")
	sparse(t, big, 3<<30)
	for _, cfg := range []string{big, "/dev/zero", fifo} {
		r, _ = e.runBounded(10*time.Second, []string{"TDJWT_CONFIG=" + cfg}, "token")
		wantError(t, r, exitBadInput, "config "+cfg)
	}
	// Deeply nested arrays and inline tables: refused before the parser.
	for name, body := range map[string]string{
		"200 kB arrays":        "x = " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000),
		"3 MB inline tables":   "x = " + strings.Repeat("{a=", 1<<20) + "1" + strings.Repeat("}", 1<<20),
		"40 kB nested arrays":  "x = " + strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
		"40 kB nested inlines": "x = " + strings.Repeat("{a=", 10000) + "1" + strings.Repeat("}", 10000),
	} {
		p := filepath.Join(e.home, "nested.toml")
		os.WriteFile(p, []byte(body), 0o600)
		r, _ = e.runBounded(10*time.Second, []string{"TDJWT_CONFIG=" + p}, "token")
		wantError(t, r, exitBadInput, name)
	}
}

func TestShortLifetimesStillWork(t *testing.T) {
	e := newEnv(t)
	wantError(t, e.run(e2ePAT+"\n", nil, "login", "--profile", "s", "--pem", keyPEM, "--user", "u", "--org", "o", "--lifetime", "30s",
		"--keystore", "file:"+filepath.Join(e.home, "secrets")), exitUsage, "lifetime 30s")
	e.fileLogin("short", "--lifetime", "60s")
	before := time.Now()
	ex := decodeExec(t, e.run("", []string{`KUBERNETES_EXEC_INFO={"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}`}, "exec", "--profile", "short"))
	ts, err := time.Parse(time.RFC3339, ex.Status.ExpirationTimestamp)
	if err != nil || !ts.After(before.Add(20*time.Second)) {
		t.Fatalf("exec expiry %s is not in the future", ex.Status.ExpirationTimestamp)
	}
	// The cache hits: the second call returns the same token.
	a := e.run("", nil, "token", "--profile", "short")
	b := e.run("", nil, "token", "--profile", "short")
	if a.code != 0 || a.stdout != b.stdout {
		t.Fatal("a 60s profile never hits the cache")
	}
}

func TestGitRequestWithoutEndIsBounded(t *testing.T) {
	e := newEnv(t)
	e.fileLogin("default")
	cmd := exec.Command(bin, "get")
	cmd.Env = e.environ()
	stdin, _ := cmd.StdinPipe()
	var se strings.Builder
	cmd.Stderr = &se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdin.Write([]byte("protocol=https\nhost=myorg.innovationlabs.teradata.com\n")) // no blank line, stdin stays open
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatal("git get hangs on a request that never ends")
	}
	if !strings.Contains(se.String(), "no complete git request") {
		t.Fatalf("stderr: %s", se.String())
	}
}

func TestNewcomerMistakes(t *testing.T) {
	e := newEnv(t)
	e.fileLogin("default")
	tok := strings.TrimSpace(e.run("", nil, "token").stdout)

	r := e.run("", nil)
	if r.code != exitUsage || !strings.Contains(r.stderr, "Usage:") || r.stdout != "" {
		t.Fatalf("no arguments: exit %d, %s", r.code, r.stderr)
	}
	if r = e.run("", nil, "help", "token"); r.code != 0 || !strings.Contains(r.stdout, "Usage: tdjwt token") || !strings.Contains(r.stdout, "-min-valid") {
		t.Fatalf("help token: %d %s", r.code, r.stdout)
	}
	r = e.run("", nil, "tokne")
	if r.code != exitUsage || !strings.Contains(r.stderr, "did you mean tdjwt token?") {
		t.Fatalf("tokne: %s", r.stderr)
	}
	r = e.run("", nil, "login", "--pem-file", keyPEM)
	if r.code != exitUsage || !strings.Contains(r.stderr, "unknown flag --pem-file") || !strings.Contains(r.stderr, "did you mean --pem?") ||
		!strings.Contains(r.stderr, "usage: tdjwt login") || strings.Contains(r.stderr, "flag provided but not defined") {
		t.Fatalf("--pem-file: %s", r.stderr)
	}
	// Flags after the argument.
	r = e.run("", nil, "inspect", tok, "--pem", keyPEM)
	if r.code != 0 || !strings.Contains(r.stdout, "signature: valid") {
		t.Fatalf("inspect TOKEN --pem: %d %s %s", r.code, r.stdout, r.stderr)
	}
	// Plain seconds for every duration flag.
	if r = e.run("", nil, "token", "--min-valid", "300"); r.code != 0 {
		t.Fatalf("--min-valid 300: %s", r.stderr)
	}
	// JSON mode: even a flag error before --format is a JSON error object.
	r = e.run("", nil, "token", "--nope", "--format", "json")
	var je struct {
		Error struct{ Code, Message, Hint string } `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &je); err != nil || je.Error.Code != "usage" || r.code != exitUsage {
		t.Fatalf("json flag error: %q %d", r.stdout, r.code)
	}
	// --profile only where it does something.
	for _, args := range [][]string{{"profiles", "--profile", "x"}, {"inspect", "--profile", "x", tok}} {
		if r = e.run("", nil, args...); r.code != exitUsage || !strings.Contains(r.stderr, "unknown flag --profile") {
			t.Fatalf("%v: %d %s", args, r.code, r.stderr)
		}
	}
	// setup for a profile that does not exist.
	for _, args := range [][]string{{"setup", "git", "--profile", "nope", "--url", "https://a.example.com"}, {"setup", "kubeconfig", "--profile", "nope"}} {
		r = e.run("", nil, args...)
		wantError(t, r, exitNotConfigured, strings.Join(args, " "))
		if !strings.Contains(r.stderr, "tdjwt login --profile nope") {
			t.Fatalf("%v: %s", args, r.stderr)
		}
	}
	// Readable keystore messages, naming $TDJWT_KEYSTORE when it is the cause.
	for spec, want := range map[string]string{"file:fks": "absolute path", "file:~/secrets": "does not expand ~", "keychain": "did you mean keyring?"} {
		r = e.run(e2ePAT+"\n", nil, "login", "--profile", "k", "--pem", keyPEM, "--user", "u", "--org", "o", "--keystore", spec)
		wantError(t, r, exitUsage, spec)
		if !strings.Contains(r.stderr, want) || strings.Contains(r.stderr, "open :") {
			t.Fatalf("--keystore %s: %s", spec, r.stderr)
		}
	}
	r = e.run("", []string{"TDJWT_KEYSTORE=keychain"}, "token", "--no-cache")
	if r.code != exitUsage || !strings.Contains(r.stderr, "$TDJWT_KEYSTORE") {
		t.Fatalf("TDJWT_KEYSTORE=keychain: %s", r.stderr)
	}
	// Without D-Bus, profiles shows a short status.
	e.login("kr", "--org", "o")
	r = e.run("", []string{"DBUS_SESSION_BUS_ADDRESS=", "XDG_RUNTIME_DIR=" + e.home}, "profiles")
	if r.code != 0 || !strings.Contains(r.stdout, "unavailable") || strings.Contains(r.stdout, "D-Bus") {
		t.Fatalf("profiles without D-Bus:\n%s", r.stdout)
	}
}

func TestInspectVerifiesWithPublicKeysAndCertificates(t *testing.T) {
	e := newEnv(t)
	e.fileLogin("default")
	tok := strings.TrimSpace(e.run("", nil, "token").stdout)
	block, _ := pem.Decode(mustRead(t, keyPEM))
	k, _ := x509.ParsePKCS8PrivateKey(block.Bytes)
	key := k.(*rsa.PrivateKey)
	spki, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	otherSPKI, _ := x509.MarshalPKIXPublicKey(&other.PublicKey)
	for name, c := range map[string]struct {
		typ   string
		der   []byte
		valid bool
	}{
		"spki":      {"PUBLIC KEY", spki, true},
		"pkcs1":     {"RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&key.PublicKey), true},
		"cert":      {"CERTIFICATE", cert, true},
		"other key": {"PUBLIC KEY", otherSPKI, false},
	} {
		p := filepath.Join(e.home, name+".pem")
		os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: c.typ, Bytes: c.der}), 0o600)
		r := e.run(tok, nil, "inspect", "--pem", p)
		if c.valid && (r.code != 0 || !strings.Contains(r.stdout, "signature: valid")) {
			t.Fatalf("%s: exit %d %s %s", name, r.code, r.stdout, r.stderr)
		}
		if !c.valid && (r.code != exitBadInput || !strings.Contains(r.stdout, "signature: INVALID")) {
			t.Fatalf("%s: exit %d %s", name, r.code, r.stdout)
		}
	}
}

func TestLoginKidAndEnvKeystoreMistakes(t *testing.T) {
	e := newEnv(t)
	// A browser-renamed download: the kid is probably wrong; say so.
	renamed := filepath.Join(e.home, "key1(1).pem")
	os.WriteFile(renamed, mustRead(t, keyPEM), 0o600)
	r := e.run(e2ePAT+"\n", nil, "login", "--pem", renamed, "--user", "u", "--org", "o", "--keystore", "file:"+filepath.Join(e.home, "s"))
	if r.code != 0 || !strings.Contains(r.stderr, `tdjwt: warning: the kid will be "key1(1)"`) || !strings.Contains(r.stderr, "--kid") {
		t.Fatalf("renamed key: %d %s", r.code, r.stderr)
	}
	// The env keystore takes the key from $TDJWT_PRIVATE_KEY: --pem there
	// would name a kid for another key.
	env := []string{"TDJWT_PAT=" + e2ePAT, "TDJWT_PRIVATE_KEY=" + string(mustRead(t, keyPEM))}
	r = e.run("", env, "login", "--profile", "ci", "--keystore", "env", "--pem", renamed, "--user", "u", "--org", "o")
	wantError(t, r, exitUsage, "--pem with the env keystore")
	r = e.run("", append(env, "TDJWT_KEYSTORE=env"), "login", "--profile", "ci", "--pem", renamed, "--user", "u", "--org", "o")
	if r.code != exitUsage || !strings.Contains(r.stderr, "$TDJWT_KEYSTORE") {
		t.Fatalf("--pem with TDJWT_KEYSTORE=env: %s", r.stderr)
	}
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }
