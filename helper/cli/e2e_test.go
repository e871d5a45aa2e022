//go:build linux

package cli_test

// End-to-end tests: the built binary, run as its callers run it, against a
// real Secret Service (gnome-keyring in the private D-Bus session that
// .ci/run starts), real git, and PyJWT as an independent verifier.

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	e2ePAT  = "PATe2eQ7w9Zr4Lk2Mn8Xb5Vc1"
	e2eUser = "alice_Lower"
	e2eURL  = "https://myorg.innovationlabs.teradata.com"
	pyBin   = "/usr/bin/python3"
)

// strict: the environment that must have every real part (CI).
func strict() bool {
	return os.Getenv("CI") == "true" || os.Getenv("TDJWT_REQUIRE_SECRET_SERVICE") == "1"
}

func need(t testing.TB, what string, ok bool) {
	t.Helper()
	if ok {
		return
	}
	if strict() {
		t.Fatalf("%s is missing: .ci/run installs and starts it", what)
	}
	t.Skipf("%s is missing (run the suite through .ci/run)", what)
}

func needSecretService(t testing.TB) {
	t.Helper()
	ok := false
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		out, _ := exec.Command("dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
			"/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets").Output()
		ok = bytes.Contains(out, []byte("boolean true"))
	}
	need(t, "a Secret Service on the session bus", ok)
}

func needPython(t *testing.T) {
	t.Helper()
	err := exec.Command(pyBin, "-c", "import jwt, cryptography").Run()
	need(t, "Debian's python3-jwt and python3-cryptography", err == nil)
}

// env is one test's world: its own HOME, config and cache.
type env struct {
	t    testing.TB
	home string
	vars map[string]string
}

func newEnv(t testing.TB) *env {
	home := t.TempDir()
	e := &env{t: t, home: home, vars: map[string]string{
		"HOME":                home,
		"PATH":                binDir + ":" + os.Getenv("PATH"),
		"TDJWT_CONFIG":        filepath.Join(home, "cfg", "config.toml"),
		"TDJWT_CACHE_DIR":     filepath.Join(home, "cache"),
		"GIT_CONFIG_NOSYSTEM": "1",
		leakPATVar:            e2ePAT,
		leakKeyVar:            keyBody,
	}}
	if d := os.Getenv("GOCOVERDIR"); d != "" {
		e.vars["GOCOVERDIR"] = d // the CLI's coverage, under go test -cover
	}
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" {
		e.vars["DBUS_SESSION_BUS_ADDRESS"] = a
	}
	return e
}

func (e *env) environ(extra ...string) []string {
	var out []string
	for k, v := range e.vars {
		out = append(out, k+"="+v)
	}
	return append(out, extra...)
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs tdjwt (or another program of binDir) and checks what every run
// must satisfy: no secret on any stream, no panic.
func (e *env) run(stdin string, extraEnv []string, args ...string) result {
	e.t.Helper()
	return e.runCmd(bin, stdin, extraEnv, args...)
}

func (e *env) runCmd(path, stdin string, extraEnv []string, args ...string) result {
	e.t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Env = e.environ(extraEnv...)
	cmd.Dir = e.home
	cmd.Stdin = strings.NewReader(stdin)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	r := result{so.String(), se.String(), 0}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("running %s: %v", filepath.Base(path), err)
	}
	checkNoLeak(e.t, filepath.Base(path)+" "+strings.Join(args, " "), r.stdout+r.stderr)
	return r
}

func checkNoLeak(t testing.TB, what, out string) {
	t.Helper()
	for _, bad := range []string{e2ePAT, "PRIVATE KEY", keyBody, "goroutine ", "panic:"} {
		if strings.Contains(out, bad) {
			// Name what leaked, never print it.
			t.Fatalf("%s: output holds a secret or a crash (%d bytes of output)", what, len(out))
		}
	}
}

func (e *env) login(profile string, extra ...string) {
	e.t.Helper()
	args := append([]string{"login", "--profile", profile, "--pem", keyPEM, "--user", e2eUser, "--base-url", e2eURL}, extra...)
	r := e.run(e2ePAT+"\n", nil, args...)
	if r.code != 0 || r.stdout != "" {
		e.t.Fatalf("login: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	// Keychain items outlive the test's HOME: remove them, so that the
	// next test's login of the same name is not another config's item.
	e.t.Cleanup(func() {
		if r := e.run("", nil, "logout", "--profile", profile); r.code != 0 {
			e.t.Errorf("logout %s: %s", profile, r.stderr)
		}
	})
}

// verify checks a token with PyJWT: signature, header and every claim.
type spec struct {
	PEM      string `json:"pem"`
	Kid      string `json:"kid"`
	Sub      string `json:"sub"`
	Iss      string `json:"iss"`
	OrgClaim string `json:"org_claim"`
	Org      string `json:"org"`
	PAT      string `json:"pat"`
	Lifetime int    `json:"lifetime"`
	IAT      string `json:"iat"`
}

func defaultSpec() spec {
	return spec{PEM: keyPEM, Kid: "KeyForJwtE2E", Sub: e2eUser, Iss: "tdjwt", OrgClaim: "org_id", Org: "myorg", PAT: e2ePAT, Lifetime: 3600, IAT: "backdate:60"}
}

func verify(t *testing.T, token string, s spec) {
	t.Helper()
	needPython(t)
	js, _ := json.Marshal(s)
	cmd := exec.Command(pyBin, "testdata/verify_jwt.py", string(js))
	cmd.Stdin = strings.NewReader(token)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		// PyJWT's messages name claims, not values; still, strip the PAT.
		t.Fatalf("PyJWT rejected the token: %v\n%s", err, strings.ReplaceAll(string(out), e2ePAT, "[pat]"))
	}
}

func wantError(t *testing.T, r result, code int, what string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("%s: exit %d, want %d; stderr: %s", what, r.code, code, r.stderr)
	}
	if !strings.Contains(r.stderr, "tdjwt: error: ") || !strings.Contains(r.stderr, "tdjwt: hint: ") {
		t.Fatalf("%s: stderr lacks error and hint lines: %s", what, r.stderr)
	}
}

func TestKeyringLoginTokenLogout(t *testing.T) {
	needSecretService(t)
	e := newEnv(t)
	e.login("default")
	r := e.run("", nil, "token")
	if r.code != 0 || strings.Count(r.stdout, "\n") != 1 || r.stderr != "" {
		t.Fatalf("token: exit %d, %d bytes, %s", r.code, len(r.stdout), r.stderr)
	}
	verify(t, strings.TrimSpace(r.stdout), defaultSpec())

	r = e.run("", nil, "token", "--format", "json")
	var js struct {
		Token               string `json:"token"`
		ExpirationTimestamp string `json:"expirationTimestamp"`
		ExpiresAt           int64  `json:"expiresAt"`
		Profile             string `json:"profile"`
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&js); err != nil || r.code != 0 {
		t.Fatalf("json: %v %d", err, r.code)
	}
	ts, err := time.Parse(time.RFC3339, js.ExpirationTimestamp)
	if err != nil || ts.Unix() != js.ExpiresAt || !strings.HasSuffix(js.ExpirationTimestamp, "Z") || js.Profile != "default" {
		t.Fatalf("json fields: %+v", js)
	}
	if d := time.Until(ts); d < 59*time.Minute || d > 61*time.Minute {
		t.Fatalf("expiresAt is not the token's exp: %v", d)
	}
	verify(t, js.Token, defaultSpec())

	// The keychain holds one item for the profile, found by secret-tool.
	out, err := exec.Command("secret-tool", "search", "--all", "service", "tdjwt", "username", "default").CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("attribute.username = default")) {
		t.Fatalf("secret-tool search: %v", err)
	}
	val, err := exec.Command("secret-tool", "lookup", "service", "tdjwt", "username", "default").Output()
	if err != nil || !bytes.HasPrefix(val, []byte(`{"v":1,`)) || !bytes.Contains(val, []byte(e2ePAT)) {
		t.Fatalf("secret-tool lookup: the item is not tdjwt's encoding (%v)", err)
	}

	r = e.run("", nil, "profiles")
	if r.code != 0 || !strings.Contains(r.stdout, "default") || !strings.Contains(r.stdout, "present") {
		t.Fatalf("profiles: %s", r.stdout)
	}
	for i := 0; i < 2; i++ {
		if r = e.run("", nil, "logout", "--profile", "default"); r.code != 0 {
			t.Fatalf("logout %d: %s", i, r.stderr)
		}
	}
	if out, _ := exec.Command("secret-tool", "search", "--all", "service", "tdjwt", "username", "default").CombinedOutput(); bytes.Contains(out, []byte("username = default")) {
		t.Fatal("logout left the keychain item")
	}
	wantError(t, e.run("", nil, "token"), exitNotConfigured, "token after logout")
}

func TestClaimOptionsVerifiedByPyJWT(t *testing.T) {
	e := newEnv(t)
	dir := filepath.Join(e.home, "secrets")
	e.login("opts", "--keystore", "file:"+dir, "--kid", "key1", "--org", "0f9e2c", "--org-claim", "org_key",
		"--issuer", "teradataml", "--lifetime", "180", "--issued-at", "zero")
	r := e.run("", nil, "token", "--profile", "opts")
	if r.code != 0 {
		t.Fatalf("token: %s", r.stderr)
	}
	s := defaultSpec()
	s.Kid, s.Org, s.OrgClaim, s.Iss, s.Lifetime, s.IAT = "key1", "0f9e2c", "org_key", "teradataml", 180, "zero"
	verify(t, strings.TrimSpace(r.stdout), s)
}

func TestFileKeystore(t *testing.T) {
	e := newEnv(t)
	dir := filepath.Join(e.home, "secrets")
	e.login("ci", "--keystore", "file:"+dir)
	fi, err := os.Stat(filepath.Join(dir, "ci"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("item file: %v", err)
	}
	r := e.run("", nil, "token", "--profile", "ci")
	if r.code != 0 {
		t.Fatalf("token: %s", r.stderr)
	}
	verify(t, strings.TrimSpace(r.stdout), defaultSpec())

	// Others may list the directory, not change it.
	os.Chmod(dir, 0o777)
	r = e.run("", []string{"TDJWT_PROFILE=ci"}, "token", "--no-cache")
	wantError(t, r, exitKeystore, "loose keystore directory")
	if !strings.Contains(r.stderr, "chmod go-w") || r.stdout != "" {
		t.Fatalf("hint: %s", r.stderr)
	}
	os.Chmod(dir, 0o700)
	if r = e.run("", []string{"TDJWT_PROFILE=ci"}, "token"); r.code != 0 {
		t.Fatalf("after chmod: %s", r.stderr)
	}
}

func TestNoSessionBus(t *testing.T) {
	e := newEnv(t)
	delete(e.vars, "DBUS_SESSION_BUS_ADDRESS")
	e.vars["XDG_RUNTIME_DIR"] = e.home
	r := e.run(e2ePAT, nil, "login", "--pem", keyPEM, "--user", "u", "--org", "o")
	wantError(t, r, exitKeystore, "login without a session bus")
	if !strings.Contains(r.stderr, "file:DIR") {
		t.Fatalf("hint should point to the file keystore: %s", r.stderr)
	}
}

func TestBadInvocations(t *testing.T) {
	e := newEnv(t)
	dir := filepath.Join(e.home, "secrets")
	e.login("good", "--keystore", "file:"+dir)
	encrypted := filepath.Join(e.home, "enc.pem")
	if out, err := exec.Command("openssl", "pkey", "-in", keyPEM, "-aes256", "-passout", "pass:secret", "-out", encrypted).CombinedOutput(); err != nil {
		need(t, "openssl "+string(out), false)
	}
	cases := []struct {
		name  string
		stdin string
		args  []string
		code  int
		hint  string
	}{
		{"no command", "", nil, exitUsage, ""},
		{"unknown command", "", []string{"frobnicate"}, exitUsage, ""},
		{"unknown flag", "", []string{"token", "--nope"}, exitUsage, ""},
		{"pat as argument", e2ePAT, []string{"login", "--pem", keyPEM, "--user", "u", "--org", "o", "extra"}, exitUsage, ""},
		{"empty PAT", "", []string{"login", "--pem", keyPEM, "--user", "u", "--org", "o", "--keystore", "file:" + dir}, exitBadInput, "stdin"},
		{"encrypted key", e2ePAT, []string{"login", "--pem", encrypted, "--user", "u", "--org", "o", "--keystore", "file:" + dir}, exitBadInput, "openssl pkey"},
		{"missing key", e2ePAT, []string{"login", "--pem", "/nonexistent.pem", "--user", "u", "--org", "o"}, exitBadInput, "--pem"},
		{"http url", e2ePAT, []string{"login", "--pem", keyPEM, "--user", "u", "--base-url", "http://x.example.com"}, exitUsage, "https"},
		{"lifetime", e2ePAT, []string{"login", "--pem", keyPEM, "--user", "u", "--org", "o", "--lifetime", "0"}, exitUsage, "8760h"},
		{"unknown profile", "", []string{"token", "--profile", "nope"}, exitNotConfigured, "tdjwt login --profile nope"},
		{"bad format", "", []string{"token", "--format", "xml"}, exitUsage, ""},
		{"bad keystore", e2ePAT, []string{"login", "--pem", keyPEM, "--user", "u", "--org", "o", "--keystore", "vault"}, exitUsage, "file:DIR"},
		{"inspect garbage", "not a token", []string{"inspect"}, exitBadInput, "three base64url parts"},
		{"login over good, bad key", e2ePAT, []string{"login", "--profile", "good", "--pem", encrypted, "--user", "u", "--org", "o", "--keystore", "file:" + dir}, exitBadInput, "openssl"},
		{"login over good, empty PAT", "\n", []string{"login", "--profile", "good", "--pem", keyPEM, "--user", "u", "--org", "o", "--keystore", "file:" + dir}, exitBadInput, "PAT"},
		{"exec huge stdin", `{"kind":"ExecCredential","x":"` + strings.Repeat("a", 2<<20) + `"}`, []string{"exec", "--profile", "good"}, exitBadInput, "request"},
		{"git huge stdin", strings.Repeat("k=v\n", 300000), []string{"--profile", "good", "get"}, exitBadInput, "git"},
		{"git nul", "host=a\x00\n", []string{"--profile", "good", "get"}, exitBadInput, "git"},
		{"git bad utf-8 key", "\xff=1\n", []string{"--profile", "good", "get"}, exitBadInput, "git"},
	}
	snapshot := func() string {
		var b strings.Builder
		for _, p := range []string{e.vars["TDJWT_CONFIG"], filepath.Join(dir, "good")} {
			data, _ := os.ReadFile(p)
			b.Write(data)
		}
		entries, _ := filepath.Glob(filepath.Join(e.vars["TDJWT_CACHE_DIR"], "*.json"))
		for _, p := range entries {
			data, _ := os.ReadFile(p)
			b.Write(data)
		}
		return b.String()
	}
	e.run("", nil, "token", "--profile", "good") // fill the cache
	before := snapshot()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.run(c.stdin, nil, c.args...)
			wantError(t, r, c.code, c.name)
			if r.stdout != "" {
				t.Fatalf("stdout not empty: %q", r.stdout)
			}
			if !strings.Contains(r.stderr, c.hint) {
				t.Fatalf("stderr lacks %q: %s", c.hint, r.stderr)
			}
		})
	}
	// The JSON mode puts a machine-readable error on stdout.
	r := e.run("", nil, "token", "--profile", "nope", "--format", "json")
	var je struct {
		Error struct{ Code, Message, Hint string } `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &je); err != nil || je.Error.Code != "not_configured" || je.Error.Hint == "" || r.code != exitNotConfigured {
		t.Fatalf("json error: %q %d", r.stdout, r.code)
	}
	// Every failure above left the config, the secrets and the cache as they
	// were, and the good profile works.
	if snapshot() != before {
		t.Fatal("a failed command changed the config, the keystore or the cache")
	}
	if r := e.run("", nil, "token", "--profile", "good"); r.code != 0 {
		t.Fatalf("good profile broken: %s", r.stderr)
	}
}

func TestHelpAndVersion(t *testing.T) {
	e := newEnv(t)
	for _, args := range [][]string{{"help"}, {"-h"}, {"token", "-h"}, {"login", "-h"}, {"exec", "-h"}, {"inspect", "-h"}, {"version"}} {
		r := e.run("", nil, args...)
		if r.code != 0 || r.stdout == "" {
			t.Fatalf("%v: %d %q %s", args, r.code, r.stdout, r.stderr)
		}
	}
}
