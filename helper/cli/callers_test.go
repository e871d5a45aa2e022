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
	"strconv"
	"strings"
	"testing"
	"time"
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

func TestGitCredentialFillWithRealGit(t *testing.T) {
	need(t, "git", exec.Command("git", "--version").Run() == nil)
	e := newEnv(t)
	e.fileLogin("gp")
	// setup git --apply writes the helper with git config --global.
	r := e.run("", nil, "setup", "git", "--profile", "gp", "--url", "https://acme.example.com", "--apply")
	if r.code != 0 {
		t.Fatalf("setup git --apply: %s", r.stderr)
	}
	cfg := git(t, e, "", "config", "--global", "--get-all", "credential.https://acme.example.com.helper")
	if !strings.Contains(cfg, bin+" --profile gp") {
		t.Fatalf("helper entry: %q", cfg)
	}
	out := git(t, e, "protocol=https\nhost=acme.example.com\npath=repo.git\n\n", "credential", "fill")
	got := parseLines(out)
	if got["username"] != e2eUser || got["host"] != "acme.example.com" {
		t.Fatalf("git credential fill: %v", keys(got))
	}
	verify(t, got["password"], defaultSpec())

	// Other URLs are not answered by tdjwt.
	cmd := exec.Command("git", "credential", "fill")
	cmd.Env = e.environ("GIT_TERMINAL_PROMPT=0")
	cmd.Stdin = strings.NewReader("protocol=https\nhost=other.example.com\n\n")
	if out, err := cmd.CombinedOutput(); err == nil || strings.Contains(string(out), "password=") {
		t.Fatalf("a credential for another host: %v", err)
	}

	// approve and reject reach store and erase; git shows nothing.
	cred := "protocol=https\nhost=acme.example.com\nusername=" + e2eUser + "\npassword=" + got["password"] + "\n\n"
	if out := git(t, e, cred, "credential", "approve"); out != "" {
		t.Fatalf("approve printed %d bytes", len(out))
	}
	if out := git(t, e, cred, "credential", "reject"); out != "" {
		t.Fatalf("reject printed %d bytes", len(out))
	}
}

func TestGitHelperByNameThroughLink(t *testing.T) {
	need(t, "git", exec.Command("git", "--version").Run() == nil)
	e := newEnv(t)
	e.fileLogin("default")
	git(t, e, "", "config", "--global", "credential.helper", "tdjwt")
	got := parseLines(git(t, e, "protocol=https\nhost=myorg.innovationlabs.teradata.com\n\n", "credential", "fill"))
	if got["username"] != e2eUser {
		t.Fatalf("fill through git-credential-tdjwt: %v", keys(got))
	}
	verify(t, got["password"], defaultSpec())
}

func TestGitProtocolAsNewerGitSpeaksIt(t *testing.T) {
	e := newEnv(t)
	e.fileLogin("gp")
	before := time.Now().Unix()
	// git 2.46+ advertises authtype: tdjwt answers a Bearer credential.
	r := e.run("capability[]=authtype\ncapability[]=state\nprotocol=https\nhost=myorg.innovationlabs.teradata.com\nwwwauth[]=Bearer realm=\"lake\"\n\n", nil, "--profile", "gp", "get")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if r.code != 0 || len(lines) != 5 {
		t.Fatalf("bearer answer: exit %d, %d lines, %s", r.code, len(lines), r.stderr)
	}
	want := []string{"capability[]=authtype", "authtype=Bearer", "credential=", "ephemeral=true", "password_expiry_utc="}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Fatalf("line %d is not %s...", i, w)
		}
	}
	verify(t, strings.TrimPrefix(lines[2], "credential="), defaultSpec())
	exp, _ := strconv.ParseInt(strings.TrimPrefix(lines[4], "password_expiry_utc="), 10, 64)
	// exp - margin, where the margin of a 1h lifetime is 6 minutes.
	if d := exp - before; d < 3600-360-5 || d > 3600-360+5 {
		t.Fatalf("password_expiry_utc is %d s away, want 54 minutes", d)
	}
	// Without the capability: username, password, expiry, nothing else.
	r = e.run("protocol=https\nhost=myorg.innovationlabs.teradata.com\n", nil, "--profile", "gp", "get")
	lines = strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 3 || lines[0] != "username="+e2eUser || !strings.HasPrefix(lines[1], "password=") || !strings.HasPrefix(lines[2], "password_expiry_utc=") {
		t.Fatalf("basic answer: %d lines", len(lines))
	}
	// Unknown actions and store are silent successes; a bad request or an
	// unknown profile prints nothing on stdout.
	for _, args := range [][]string{{"store"}, {"erase"}, {"frobnicate"}} {
		if r := e.runCmd(filepath.Join(binDir, "git-credential-tdjwt"), "protocol=https\n\n", nil, append([]string{"--profile", "gp"}, args...)...); r.code != 0 || r.stdout != "" {
			t.Fatalf("%v: exit %d, stdout %q", args, r.code, r.stdout)
		}
	}
	for name, c := range map[string]struct{ stdin, profile string }{
		"no equals":       {"protocol\n", "gp"},
		"nul":             {"host=a\x00b\n", "gp"},
		"long line":       {"host=" + strings.Repeat("a", 70000) + "\n", "gp"},
		"unknown profile": {"protocol=https\n\n", "nope"},
	} {
		r := e.run(c.stdin, nil, "--profile", c.profile, "get")
		if r.code == 0 || r.stdout != "" || !strings.Contains(r.stderr, "tdjwt: error:") {
			t.Fatalf("%s: exit %d, stdout %q", name, r.code, r.stdout)
		}
	}
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

func TestExecCredential(t *testing.T) {
	e := newEnv(t)
	e.fileLogin("default")
	e.login("cluster2", "--keystore", "file:"+filepath.Join(e.home, "secrets"), "--lifetime", "2h")
	for _, v := range []string{"client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"} {
		info := `{"kind":"ExecCredential","apiVersion":"` + v + `","spec":{"interactive":false}}`
		start := time.Now()
		ec := decodeExec(t, e.run("", []string{"KUBERNETES_EXEC_INFO=" + info}, "exec"))
		if ec.APIVersion != v {
			t.Fatalf("answered %s to %s", ec.APIVersion, v)
		}
		verify(t, ec.Status.Token, defaultSpec())
		ts, _ := time.Parse(time.RFC3339, ec.Status.ExpirationTimestamp)
		if d := ts.Sub(start); d < 54*time.Minute-5*time.Second || d > 54*time.Minute+5*time.Second {
			t.Fatalf("expirationTimestamp is %v away, want exp - 6m margin", d)
		}
	}
	// The request on stdin, for callers that pass it there.
	ec := decodeExec(t, e.run(`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1"}`, nil, "exec"))
	if ec.APIVersion != "client.authentication.k8s.io/v1beta1" {
		t.Fatal(ec.APIVersion)
	}
	// No request at all: v1, or --api-version.
	if ec := decodeExec(t, e.run("", nil, "exec")); ec.APIVersion != "client.authentication.k8s.io/v1" {
		t.Fatal(ec.APIVersion)
	}
	if ec := decodeExec(t, e.run("", nil, "exec", "--api-version", "client.authentication.k8s.io/v1beta1")); ec.APIVersion != "client.authentication.k8s.io/v1beta1" {
		t.Fatal(ec.APIVersion)
	}
	// The profile from the cluster's exec extension (provideClusterInfo).
	info := `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false,"cluster":{"server":"https://k.example.com","config":{"profile":"cluster2"}}}}`
	start := time.Now()
	ec = decodeExec(t, e.run("", []string{"KUBERNETES_EXEC_INFO=" + info}, "exec"))
	ts, _ := time.Parse(time.RFC3339, ec.Status.ExpirationTimestamp)
	if d := ts.Sub(start); d < 108*time.Minute-5*time.Second || d > 108*time.Minute+5*time.Second {
		t.Fatalf("cluster profile not used: expiry %v away", d)
	}
	// --profile wins over the request's.
	ec = decodeExec(t, e.run("", []string{"KUBERNETES_EXEC_INFO=" + info}, "exec", "--profile", "default"))
	ts, _ = time.Parse(time.RFC3339, ec.Status.ExpirationTimestamp)
	if d := ts.Sub(start); d > 55*time.Minute {
		t.Fatalf("--profile did not win: %v", d)
	}
	// Malformed requests: an error, nothing on stdout.
	for name, bad := range map[string]string{
		"garbage":     "hello",
		"wrong kind":  `{"kind":"Pod","apiVersion":"client.authentication.k8s.io/v1"}`,
		"v1alpha1":    `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1alpha1"}`,
		"truncated":   `{"kind":"ExecCredential",`,
		"bad profile": `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"cluster":{"config":{"profile":7}}}}`,
	} {
		for _, viaEnv := range []bool{true, false} {
			var r result
			if viaEnv {
				r = e.run("", []string{"KUBERNETES_EXEC_INFO=" + bad}, "exec")
			} else {
				r = e.run(bad, nil, "exec")
			}
			wantError(t, r, exitBadInput, name)
			if r.stdout != "" {
				t.Fatalf("%s: stdout %q", name, r.stdout)
			}
		}
	}
	wantError(t, e.run("", nil, "exec", "--api-version", "v2"), exitUsage, "bad --api-version")
}

func TestSetupKubeconfig(t *testing.T) {
	e := newEnv(t)
	wantError(t, e.run("", nil, "setup", "kubeconfig", "--profile", "prod"), exitNotConfigured, "setup kubeconfig of an unknown profile")
	e.fileLogin("prod")
	r := e.run("", nil, "setup", "kubeconfig", "--profile", "prod")
	for _, want := range []string{"apiVersion: client.authentication.k8s.io/v1", "command: \"" + bin + "\"", `args: ["exec", "--profile", "prod"]`, "interactiveMode: Never", "installHint:", "credentialPluginAllowlist"} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("missing %q in:\n%s", want, r.stdout)
		}
	}
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
