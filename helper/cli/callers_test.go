//go:build linux

package cli_test

// End-to-end tests of each caller's protocol: real git, the exec credential
// request as client-go sends it, and the README's Python example.

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fileLogin logs in profile with a file keystore (no keychain needed).
func (e *env) fileLogin(profile string, extra ...string) {
	e.t.Helper()
	e.login(profile, append([]string{"--keystore", "file:" + filepath.Join(e.home, "secrets")}, extra...)...)
}

func git(t *testing.T, e *env, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Env = e.environ("GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "SSH_ASKPASS=")
	cmd.Dir = e.home
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	checkNoLeak(t, "git "+strings.Join(args, " "), strings.ReplaceAll(string(out), e2ePAT, ""))
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args[0], err, redactCredentials(string(out)))
	}
	return string(out)
}

// redactCredentials hides token-bearing lines of git's output in failure
// messages.
func redactCredentials(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if k, _, ok := strings.Cut(l, "="); ok && (k == "password" || k == "credential") {
			lines[i] = k + "=[redacted]"
		}
	}
	return strings.Join(lines, "\n")
}

func parseLines(s string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			m[k] = v
		}
	}
	return m
}

type execCredential struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Status     struct {
		Token               string `json:"token"`
		ExpirationTimestamp string `json:"expirationTimestamp"`
	} `json:"status"`
}

func decodeExec(t *testing.T, r result) execCredential {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exec: exit %d: %s", r.code, r.stderr)
	}
	var ec execCredential
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ec); err != nil || dec.More() {
		t.Fatalf("exec output is not one ExecCredential: %v", err)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).MatchString(ec.Status.ExpirationTimestamp) || ec.Kind != "ExecCredential" {
		t.Fatalf("exec fields: %s %s", ec.Kind, ec.Status.ExpirationTimestamp)
	}
	return ec
}

// TestReadmePythonExample runs the README's Python block with Debian's
// python3 against the built binary; only teradataml.set_auth_token is a
// stub, and the token it receives is verified with PyJWT.
func TestReadmePythonExample(t *testing.T) {
	needPython(t)
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- python-example -->\\s*```python\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no python-example block")
	}
	e := newEnv(t)
	e.fileLogin("lake")
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "teradataml"), 0o755)
	os.WriteFile(filepath.Join(dir, "teradataml", "__init__.py"), []byte(
		"calls = []\ndef set_auth_token(base_url=None, auth_token=None, **kw):\n    calls.append((base_url, auth_token))\n    return True\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "example.py"), m[1], 0o644)
	os.WriteFile(filepath.Join(dir, "harness.py"), []byte(`
import json, sys, teradataml, example
example.connect("https://myorg.innovationlabs.teradata.com", profile="lake")
base_url, token = teradataml.calls[0]
assert base_url == "https://myorg.innovationlabs.teradata.com"
try:
    example.lake_token(profile="nope")
    raise SystemExit("no exception for an unknown profile")
except example.TdjwtError as e:
    assert e.code == "not_configured", e.code
    assert "nope" in e.message
print(token)
`), 0o644)
	cmd := exec.Command(pyBin, filepath.Join(dir, "harness.py"))
	cmd.Env = e.environ("PYTHONPATH=" + dir)
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = strings.ReplaceAll(string(ee.Stderr), e2ePAT, "[pat]")
		}
		t.Fatalf("python example: %v\n%s", err, stderr)
	}
	verify(t, strings.TrimSpace(string(out)), defaultSpec())
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
