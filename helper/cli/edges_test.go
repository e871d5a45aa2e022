//go:build linux

package cli_test

// End-to-end tests of the edges that need many real processes at once or
// a process held open: parallel logins, a logout racing token calls, a
// stopped keychain, a git request that never ends. (The other edges are
// scripts in testdata/script.) Each reproduces a defect found by trying
// tdjwt as an adversary would.

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

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
