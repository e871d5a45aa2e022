//go:build linux

package cli_test

// End-to-end tests of each caller's protocol: real git, the exec credential
// request as client-go sends it, and the README's Python example.

import (
	"encoding/json"
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

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
