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

func mustRead(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fileLogin logs in profile with a file keystore (no keychain needed).
func (e *env) fileLogin(profile string, extra ...string) {
	e.t.Helper()
	e.login(profile, append([]string{"--keystore", "file:" + filepath.Join(e.home, "secrets")}, extra...)...)
}
