//go:build linux

package cli_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// lakeStub is a local HTTPS server that checks a bearer token as Lake
// would: RS256 signature with the key's public half, then the claims.
func lakeStub(t *testing.T, wantSub string, clockOffset time.Duration) (url, caFile string) {
	block, _ := pem.Decode(mustRead(t, keyPEM))
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pub := &k.(*rsa.PrivateKey).PublicKey
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", time.Now().Add(clockOffset).UTC().Format(http.TimeFormat))
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		parts := strings.Split(tok, ".")
		if !ok || len(parts) != 3 || r.URL.Path != "/api/accounts/env1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		var claims map[string]any
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		json.Unmarshal(payload, &claims)
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) != nil || claims["sub"] != wantSub || claims["pat"] != e2ePAT ||
			claims["multi-use"] != true || claims["exp"].(float64) < float64(time.Now().Unix()) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"env1"}`))
	}))
	t.Cleanup(srv.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)
	return srv.URL + "/api/accounts/env1", caFile
}

func mustRead(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDoctor(t *testing.T) {
	e := newEnv(t)
	good, ca := lakeStub(t, e2eUser, 0)
	e.fileLogin("default", "--org", "myorg", "--base-url", good)
	r := e.run("", []string{"SSL_CERT_FILE=" + ca}, "doctor", "--online")
	if r.code != 0 {
		t.Fatalf("doctor: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"ok    path", "ok    config", "ok    keystore", "ok    key        RSA 2048 bits, kid KeyForJwtE2E", "ok    token", "ok    cache", "ok    clock", "ok    online", "HTTP 200", "token accepted"} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("missing %q in:\n%s", want, r.stdout)
		}
	}
	if !regexp.MustCompile(`server clock \+[01]s`).MatchString(r.stdout) {
		t.Fatalf("clock offset:\n%s", r.stdout)
	}

	// A server that rejects the user, with a clock 5 minutes ahead.
	bad, ca2 := lakeStub(t, "SOMEONE_ELSE", 5*time.Minute)
	e.fileLogin("rejected", "--org", "myorg", "--base-url", bad)
	r = e.run("", []string{"SSL_CERT_FILE=" + ca2}, "doctor", "--profile", "rejected", "--online")
	if r.code != exitBadInput || !strings.Contains(r.stdout, "FAIL  online") || !regexp.MustCompile(`server clock \+30[01]s`).MatchString(r.stdout) {
		t.Fatalf("doctor against a rejecting server: exit %d\n%s", r.code, r.stdout)
	}

	// A git entry that points elsewhere, and a missing profile.
	os.WriteFile(filepath.Join(e.home, ".gitconfig"), []byte("[credential \"https://x.example.com\"]\n\thelper = /opt/old/tdjwt --profile default\n"), 0o600)
	r = e.run("", nil, "doctor")
	if r.code != exitNotConfigured || !strings.Contains(r.stdout, "FAIL  git") {
		t.Fatalf("stale git entry: exit %d\n%s", r.code, r.stdout)
	}
	r = e.run("", nil, "doctor", "--profile", "nope")
	if r.code != exitNotConfigured || !strings.Contains(r.stdout, "FAIL  profile") || !strings.Contains(r.stderr, "tdjwt: hint:") {
		t.Fatalf("unknown profile: exit %d\n%s", r.code, r.stdout)
	}
}
