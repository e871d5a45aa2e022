//go:build linux

package cli_test

// End-to-end tests for CI runners and pods: a file keystore laid out as a
// Kubernetes secret volume, and the env keystore.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// secretVolume lays out dir as kubelet does: a timestamped directory with
// the files, a ..data link to it, and a link per key.
func secretVolume(t *testing.T, dir string, files map[string][]byte, mode os.FileMode) {
	t.Helper()
	ts := "..2026_11_26_09_00_00.123456789"
	if err := os.MkdirAll(filepath.Join(dir, ts), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	for k, v := range files {
		p := filepath.Join(dir, ts, k)
		os.WriteFile(p, v, mode)
		os.Chmod(p, mode)
		os.Symlink(filepath.Join("..data", k), filepath.Join(dir, k))
	}
	os.Symlink(ts, filepath.Join(dir, "..data"))
}

func TestKubernetesSecretVolume(t *testing.T) {
	e := newEnv(t)
	// On a workstation: log in into a staging directory and a dedicated config.
	staging := filepath.Join(e.home, "staging")
	e.fileLogin("lake")
	os.Rename(filepath.Join(e.home, "secrets"), staging)
	item := mustRead(t, filepath.Join(staging, "lake"))

	// In the pod: the item arrives as a secret volume, read-only, mode 0400.
	vol := filepath.Join(e.home, "var", "run", "secrets", "tdjwt")
	secretVolume(t, vol, map[string][]byte{"lake": item}, 0o400)
	r := e.run("", nil, "token", "--profile", "lake", "--keystore", "file:"+vol)
	if r.code != 0 {
		t.Fatalf("token from a secret volume: %s", r.stderr)
	}
	verify(t, strings.TrimSpace(r.stdout), defaultSpec())
	// As an exec credential too, with TDJWT_KEYSTORE.
	decodeExec(t, e.run("", []string{"TDJWT_KEYSTORE=file:" + vol, "TDJWT_PROFILE=lake"}, "exec", "--keystore", "file:"+vol))

	// The default mode 0644 is refused, with the defaultMode hint.
	loose := filepath.Join(e.home, "loose")
	secretVolume(t, loose, map[string][]byte{"lake": item}, 0o644)
	r = e.run("", nil, "token", "--profile", "lake", "--keystore", "file:"+loose, "--no-cache")
	wantError(t, r, exitKeystore, "0644 secret volume")
	if !strings.Contains(r.stderr, "defaultMode: 0400") {
		t.Fatalf("hint: %s", r.stderr)
	}

	// A link that leaves the volume is refused.
	escape := filepath.Join(e.home, "escape")
	os.MkdirAll(escape, 0o700)
	outside := filepath.Join(e.home, "outside-item")
	os.WriteFile(outside, item, 0o400)
	os.Symlink(outside, filepath.Join(escape, "lake"))
	r = e.run("", nil, "token", "--profile", "lake", "--keystore", "file:"+escape, "--no-cache")
	wantError(t, r, exitKeystore, "escaping link")
	if !strings.Contains(r.stderr, "links outside") {
		t.Fatalf("message: %s", r.stderr)
	}
}

func TestEnvKeystore(t *testing.T) {
	e := newEnv(t)
	pemText := string(mustRead(t, keyPEM))
	e.vars["TDJWT_PAT"] = e2ePAT
	e.vars["TDJWT_PRIVATE_KEY"] = pemText
	r := e.run("", nil, "login", "--profile", "ci", "--keystore", "env", "--kid", "KeyForJwtE2E", "--user", e2eUser, "--base-url", e2eURL)
	if r.code != 0 {
		t.Fatalf("login --keystore env: %s", r.stderr)
	}
	r = e.run("", nil, "token", "--profile", "ci")
	if r.code != 0 {
		t.Fatalf("token: %s", r.stderr)
	}
	verify(t, strings.TrimSpace(r.stdout), defaultSpec())
	if r := e.run("", nil, "profiles"); !strings.Contains(r.stdout, "present") {
		t.Fatalf("profiles: %s", r.stdout)
	}
	// A rotated PAT in the environment is never served an old token.
	e.vars["TDJWT_PAT"] = "PATrotated0000000000000"
	r = e.run("", nil, "token", "--profile", "ci")
	wantError(t, r, exitNotConfigured, "rotated env PAT")
	if !strings.Contains(r.stderr, "--keystore env again") || strings.Contains(r.stderr, "PATrotated") {
		t.Fatalf("message: %s", r.stderr)
	}
	// Missing variables.
	delete(e.vars, "TDJWT_PAT")
	r = e.run("", nil, "token", "--profile", "ci")
	wantError(t, r, exitNotConfigured, "no TDJWT_PAT")
	if !strings.Contains(r.stderr, "TDJWT_PAT") {
		t.Fatalf("hint: %s", r.stderr)
	}
	// Garbage in the key variable.
	e.vars["TDJWT_PAT"] = e2ePAT
	e.vars["TDJWT_PRIVATE_KEY"] = "not a key"
	wantError(t, e.run("", nil, "token", "--profile", "ci"), exitBadInput, "bad env key")
	// The env keystore is read-only; logout forgets the profile only.
	if r := e.run("", nil, "logout", "--profile", "ci"); r.code != 0 {
		t.Fatal(r.stderr)
	}
}

func TestGitHelperNameWithExeSuffix(t *testing.T) {
	e := newEnv(t)
	e.fileLogin("default")
	exe := filepath.Join(t.TempDir(), "git-credential-tdjwt.exe")
	os.Symlink(bin, exe)
	r := e.runCmd(exe, "protocol=https\nhost=myorg.innovationlabs.teradata.com\n\n", nil, "get")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "username="+e2eUser+"\npassword=") {
		t.Fatalf("git-credential-tdjwt.exe: %d %s", r.code, r.stderr)
	}
}
