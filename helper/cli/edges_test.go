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
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }
