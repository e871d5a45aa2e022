package helper

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"tdjwt/keystore"
	"tdjwt/keystore/keystoretest"
)

const testPAT = "PATtestABCdef0123456789xyz"

var (
	keyOnce sync.Once
	key2048 *rsa.PrivateKey
)

func testKey(t testing.TB) *rsa.PrivateKey {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		key2048 = k
	})
	return key2048
}

func writePEM(t testing.TB, dir, name, typ string, der []byte, headers map[string]string) string {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Headers: headers, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func pkcs8(t testing.TB, k any) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// fakeClock is a settable clock.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

type testEnv struct {
	h     *Helper
	store *keystoretest.Memory
	clock *fakeClock
	dir   string
	pem   string
	env   map[string]string
}

func newEnv(t *testing.T) *testEnv {
	t.Helper()
	dir := t.TempDir()
	e := &testEnv{store: keystoretest.NewMemory(), clock: &fakeClock{time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)}, dir: dir, env: map[string]string{}}
	e.pem = writePEM(t, dir, "KeyForJwtForPAT02.pem", "PRIVATE KEY", pkcs8(t, testKey(t)), nil)
	e.h = &Helper{
		Getenv:     func(k string) string { return e.env[k] },
		Now:        e.clock.Now,
		ConfigPath: filepath.Join(dir, "cfg", "config.toml"),
		OpenStore: func(spec string) (keystore.Store, error) {
			if spec == "keyring" || spec == "memory" {
				return e.store, nil
			}
			return keystore.Open(spec, func(string) string { return "" })
		},
	}
	return e
}

func (e *testEnv) login(t *testing.T, mod func(*LoginRequest)) *Profile {
	t.Helper()
	r := LoginRequest{Profile: "default", PEMFile: e.pem, User: "alice_Lower", BaseURL: "https://myorg.innovationlabs.teradata.com/console", PAT: NewSecret(testPAT)}
	if mod != nil {
		mod(&r)
	}
	p, err := e.h.Login(r)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	return p
}

// decode returns a token's header and claims without verifying.
func decode(t *testing.T, tok string) (map[string]any, map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	var out [2]map[string]any
	for i := range out {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out[0], out[1]
}

func TestLoginAndTokenClaims(t *testing.T) {
	e := newEnv(t)
	p := e.login(t, nil)
	if p.Kid != "KeyForJwtForPAT02" || p.Org != "myorg" || p.OrgClaim != "org_id" || p.Issuer != "tdjwt" || p.Lifetime != "1h" || p.IssuedAt != "60s" {
		t.Fatalf("defaults: %+v", p)
	}
	tok, err := e.h.Token(TokenRequest{Profile: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if err := verifySignature(tok.Value.Reveal(), &testKey(t).PublicKey); err != nil {
		t.Fatalf("signature: %v", err)
	}
	hdr, cl := decode(t, tok.Value.Reveal())
	if fmt.Sprint(hdr) != "map[alg:RS256 kid:KeyForJwtForPAT02 typ:JWT]" {
		t.Fatalf("header %v", hdr)
	}
	now := e.clock.t.Unix()
	want := map[string]any{
		"aud": []any{"td:service:authentication"}, "iss": "tdjwt", "multi-use": true, "org_id": "myorg",
		"pat": testPAT, "sub": "alice_Lower", "exp": float64(now + 3600), "iat": float64(now - 60),
	}
	if fmt.Sprint(cl) != fmt.Sprint(want) {
		t.Fatalf("claims\n got %v\nwant %v", cl, want)
	}
	if !tok.Expiry.Equal(e.clock.t.Add(time.Hour)) || tok.Margin != 6*time.Minute {
		t.Fatalf("expiry %v margin %v", tok.Expiry, tok.Margin)
	}
}

func TestClaimSettings(t *testing.T) {
	tests := []struct {
		name  string
		mod   func(*LoginRequest)
		check func(t *testing.T, hdr, cl map[string]any)
	}{
		{"org_key and explicit org", func(r *LoginRequest) { r.OrgClaim, r.Org, r.BaseURL = "org_key", "0f9e-uuid", "" }, func(t *testing.T, _, cl map[string]any) {
			if cl["org_key"] != "0f9e-uuid" || cl["org_id"] != nil {
				t.Fatalf("%v", cl)
			}
		}},
		{"kid override and issuer", func(r *LoginRequest) { r.Kid, r.Issuer = "key1", "teradataml" }, func(t *testing.T, hdr, cl map[string]any) {
			if hdr["kid"] != "key1" || cl["iss"] != "teradataml" {
				t.Fatalf("%v %v", hdr, cl)
			}
		}},
		{"iat zero", func(r *LoginRequest) { r.IssuedAt = "zero" }, func(t *testing.T, _, cl map[string]any) {
			if cl["iat"] != float64(0) {
				t.Fatalf("%v", cl)
			}
		}},
		{"iat omit", func(r *LoginRequest) { r.IssuedAt = "omit" }, func(t *testing.T, _, cl map[string]any) {
			if _, ok := cl["iat"]; ok {
				t.Fatalf("%v", cl)
			}
		}},
		{"iat now, lifetime seconds", func(r *LoginRequest) { r.IssuedAt, r.Lifetime = "now", "180" }, func(t *testing.T, _, cl map[string]any) {
			if cl["iat"].(float64)+180 != cl["exp"].(float64) {
				t.Fatalf("%v", cl)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.login(t, tt.mod)
			tok, err := e.h.Token(TokenRequest{Profile: "default"})
			if err != nil {
				t.Fatal(err)
			}
			hdr, cl := decode(t, tok.Value.Reveal())
			if len(cl) > 8 {
				t.Fatalf("extra claims: %v", cl)
			}
			tt.check(t, hdr, cl)
		})
	}
}

func TestKidFromPath(t *testing.T) {
	for in, want := range map[string]string{
		"KeyForJwtForPAT02.pem": "KeyForJwtForPAT02", "/x/a.b.pem": "a.b", "noext": "noext", "/d/.hidden": ".hidden", "key1(1).pem": "key1(1)",
	} {
		if got := KidFromPath(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

func TestOrgFromBaseURL(t *testing.T) {
	if org, err := orgFromBaseURL("https://myorg.innovationlabs.teradata.com/api/x"); err != nil || org != "myorg" {
		t.Fatalf("%q %v", org, err)
	}
	for _, bad := range []string{"http://myorg.example.com", "https://", "myorg.example.com", "https://10.0.0.1/", "https://u:p@h.example.com", ":::"} {
		if _, err := orgFromBaseURL(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestParseLifetime(t *testing.T) {
	for in, want := range map[string]time.Duration{"1h": time.Hour, "3600": time.Hour, "90s": 90 * time.Second, "8760h": MaxLifetime, "31536000": MaxLifetime} {
		if got, err := parseLifetime(in); err != nil || got != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"0", "0s", "-1h", "8761h", "31536001", "abc", "", "1.5s", "99999999999999999999"} {
		if _, err := parseLifetime(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestMargin(t *testing.T) {
	cases := []struct {
		setting  string
		lifetime time.Duration
		want     time.Duration
	}{
		{"", time.Hour, 6 * time.Minute}, {"", 3 * time.Minute, time.Minute}, {"", 12 * time.Hour, 72 * time.Minute}, {"5m", time.Hour, 5 * time.Minute}, {"0s", time.Hour, 0},
	}
	for _, c := range cases {
		if got, err := Margin(c.setting, c.lifetime); err != nil || got != c.want {
			t.Errorf("%q/%v: %v %v", c.setting, c.lifetime, got, err)
		}
	}
	if _, err := Margin("1h", time.Hour); err == nil {
		t.Error("a margin as long as the lifetime was accepted")
	}
}

func TestBadKeys(t *testing.T) {
	dir := t.TempDir()
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalECPrivateKey(ec)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	pub, _ := x509.MarshalPKIXPublicKey(&testKey(t).PublicKey)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "x"}, NotAfter: time.Now().Add(time.Hour)}
	cert, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &testKey(t).PublicKey, testKey(t))
	good := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8(t, testKey(t))})
	files := map[string]string{
		"encrypted pkcs8": writePEM(t, dir, "enc8.pem", "ENCRYPTED PRIVATE KEY", []byte{1, 2, 3}, nil),
		"encrypted pkcs1": writePEM(t, dir, "enc1.pem", "RSA PRIVATE KEY", []byte{1, 2, 3}, map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,00"}),
		"ec sec1":         writePEM(t, dir, "ec.pem", "EC PRIVATE KEY", ecDER, nil),
		"ec pkcs8":        writePEM(t, dir, "ec8.pem", "PRIVATE KEY", pkcs8(t, ec), nil),
		"ed25519":         writePEM(t, dir, "ed.pem", "PRIVATE KEY", pkcs8(t, ed), nil),
		"1024 bits":       writePEM(t, dir, "small.pem", "PRIVATE KEY", pkcs8(t, small), nil),
		"public key":      writePEM(t, dir, "pub.pem", "PUBLIC KEY", pub, nil),
		"certificate":     writePEM(t, dir, "cert.pem", "CERTIFICATE", cert, nil),
		"garbage der":     writePEM(t, dir, "garbage.pem", "PRIVATE KEY", []byte("not der"), nil),
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, data, 0o600)
		return p
	}
	files["truncated"] = write("trunc.pem", good[:len(good)/2])
	files["two keys"] = write("two.pem", append(append([]byte{}, good...), good...))
	files["empty"] = write("empty.pem", nil)
	files["text"] = write("text.pem", []byte("hello"))
	files["missing"] = filepath.Join(dir, "nope.pem")
	for name, path := range files {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.h.Login(LoginRequest{Profile: "default", PEMFile: path, User: "u", Org: "o", PAT: NewSecret(testPAT)})
			var he *Error
			if !errors.As(err, &he) || he.Code != CodeBadInput || he.Hint == "" {
				t.Fatalf("err = %#v", err)
			}
			if strings.Contains(he.Msg, "BEGIN") || strings.Contains(he.Msg, testPAT) {
				t.Fatal("message quotes the key or the PAT")
			}
			if len(e.store.Items()) != 0 {
				t.Fatal("something was stored")
			}
		})
	}
	// PKCS#1 is accepted.
	e := newEnv(t)
	p1 := writePEM(t, dir, "pkcs1.pem", "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(testKey(t)), nil)
	e.login(t, func(r *LoginRequest) { r.PEMFile = p1 })
}

func TestLoginRejectsBadSettingsAndStoresNothing(t *testing.T) {
	mods := map[string]func(*LoginRequest){
		"empty PAT":      func(r *LoginRequest) { r.PAT = NewSecret("") },
		"PAT with space": func(r *LoginRequest) { r.PAT = NewSecret("a b") },
		"no user":        func(r *LoginRequest) { r.User = "" },
		"no org":         func(r *LoginRequest) { r.BaseURL = "" },
		"http url":       func(r *LoginRequest) { r.BaseURL = "http://myorg.example.com" },
		"bad claim":      func(r *LoginRequest) { r.OrgClaim = "org" },
		"lifetime 0":     func(r *LoginRequest) { r.Lifetime = "0" },
		"lifetime 2y":    func(r *LoginRequest) { r.Lifetime = "17520h" },
		"bad iat":        func(r *LoginRequest) { r.IssuedAt = "yesterday" },
		"bad profile":    func(r *LoginRequest) { r.Profile = "../etc" },
		"no pem":         func(r *LoginRequest) { r.PEMFile = "" },
	}
	for name, mod := range mods {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			r := LoginRequest{Profile: "default", PEMFile: e.pem, User: "u", BaseURL: "https://o.example.com", PAT: NewSecret(testPAT)}
			mod(&r)
			_, err := e.h.Login(r)
			var he *Error
			if !errors.As(err, &he) || he.Hint == "" {
				t.Fatalf("err = %v", err)
			}
			if len(e.store.Items()) != 0 {
				t.Fatal("something was stored")
			}
			if _, err := os.Stat(e.h.ConfigPath); err == nil {
				t.Fatal("config was written")
			}
		})
	}
}

func TestReloginKeepsOldProfileWhenConfigWriteFails(t *testing.T) {
	e := newEnv(t)
	e.login(t, nil)
	before, _ := e.h.Token(TokenRequest{Profile: "default"})
	// Make the config file unwritable by turning its directory read-only.
	cfgDir := filepath.Dir(e.h.ConfigPath)
	os.Chmod(cfgDir, 0o500)
	defer os.Chmod(cfgDir, 0o700)
	if os.Geteuid() == 0 {
		// root ignores modes: replace the directory's config path with a directory instead.
		os.Chmod(cfgDir, 0o700)
		e.h.ConfigPath = filepath.Join(cfgDir, "config.toml", "sub")
		defer func() { e.h.ConfigPath = filepath.Join(cfgDir, "config.toml") }()
	}
	_, err := e.h.Login(LoginRequest{Profile: "default", PEMFile: e.pem, User: "bob", Org: "other", PAT: NewSecret("PATother")})
	if err == nil {
		t.Fatal("login succeeded with an unwritable config")
	}
	e.h.ConfigPath = filepath.Join(cfgDir, "config.toml")
	after, err := e.h.Token(TokenRequest{Profile: "default"})
	if err != nil {
		t.Fatalf("old profile broken: %v", err)
	}
	_, c1 := decode(t, before.Value.Reveal())
	_, c2 := decode(t, after.Value.Reveal())
	if c2["sub"] != "alice_Lower" || c2["pat"] != c1["pat"] {
		t.Fatalf("old profile changed: %v", c2)
	}
}

func TestItemMismatchAndDamage(t *testing.T) {
	e := newEnv(t)
	e.login(t, nil)
	// Another login elsewhere replaced the item.
	cfg, _ := loadConfig(e.h.ConfigPath)
	other, _ := encodeItem("othergen", NewSecret("PATx"), testKey(t), "")
	e.store.Set("default", other)
	_, err := e.h.Token(TokenRequest{Profile: "default"})
	if AsError(err).Code != CodeNotConfigured {
		t.Fatalf("mismatch: %v", err)
	}
	e.store.Set("default", []byte("garbage"))
	_, err = e.h.Token(TokenRequest{Profile: "default"})
	if AsError(err).Code != CodeBadInput || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("damaged: %v", err)
	}
	e.store.Delete("default")
	_, err = e.h.Token(TokenRequest{Profile: "default"})
	if AsError(err).Code != CodeNotConfigured || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing: %v", err)
	}
	_ = cfg
}

func TestKeystoreUnavailable(t *testing.T) {
	e := newEnv(t)
	e.login(t, nil)
	e.store.Fail = keystore.ErrUnavailable
	_, err := e.h.Token(TokenRequest{Profile: "default"})
	if AsError(err).Code != CodeKeystore {
		t.Fatalf("%v", err)
	}
}

func TestLogoutIdempotent(t *testing.T) {
	e := newEnv(t)
	e.login(t, nil)
	for i := 0; i < 2; i++ {
		removed, err := e.h.Logout("default")
		if err != nil || removed != (i == 0) {
			t.Fatalf("logout %d: %v %v", i, removed, err)
		}
	}
	if len(e.store.Items()) != 0 {
		t.Fatal("item left behind")
	}
	if _, err := e.h.Token(TokenRequest{Profile: "default"}); AsError(err).Code != CodeNotConfigured {
		t.Fatalf("%v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]struct {
		data string
		mode os.FileMode
	}{
		"not toml":      {"[profiles\n", 0o600},
		"unknown key":   {"[profiles.a]\nuser='x'\nlifetim='1h'\n", 0o600},
		"wrong type":    {"[profiles.a]\nuser=3\n", 0o600},
		"bad name":      {"[profiles.'a b']\nuser='x'\n", 0o600},
		"loose mode":    {"", 0o644},
		"profiles list": {"profiles = [1]\n", 0o600},
	}
	for name, c := range cases {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		os.WriteFile(p, []byte(c.data), c.mode)
		os.Chmod(p, c.mode)
		_, err := loadConfig(p)
		var he *Error
		if !errors.As(err, &he) || he.Code != CodeBadInput || he.Hint == "" {
			t.Errorf("%s: %v", name, err)
		}
	}
	if c, err := loadConfig(filepath.Join(dir, "missing")); err != nil || len(c.Profiles) != 0 {
		t.Fatalf("missing config: %v", err)
	}
}

func TestSecretRedacts(t *testing.T) {
	s := NewSecret(testPAT)
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q %x", s, s, s, s, s, s), fmt.Sprintf("%v", struct{ P Secret }{s})} {
		if strings.Contains(out, testPAT) || !strings.Contains(out, "[redacted]") {
			t.Fatalf("leaked: %s", out)
		}
	}
	b, _ := json.Marshal(struct{ P Secret }{s})
	if strings.Contains(string(b), testPAT) {
		t.Fatal("json leaked")
	}
}

func TestInspect(t *testing.T) {
	e := newEnv(t)
	e.login(t, nil)
	tok, _ := e.h.Token(TokenRequest{Profile: "default"})
	in, err := Inspect(tok.Value.Reveal(), e.clock.t)
	if err != nil || in.Expired || !in.Expiry.Equal(tok.Expiry) || strings.Contains(string(in.Claims), testPAT) || !strings.Contains(string(in.Claims), redacted) {
		t.Fatalf("%v %+v", err, in)
	}
	in, _ = Inspect(tok.Value.Reveal(), e.clock.t.Add(2*time.Hour))
	if !in.Expired {
		t.Fatal("not expired two hours later")
	}
	for _, bad := range []string{"", "a.b", "a.b.c", "!!.!!.!!"} {
		if _, err := Inspect(bad, e.clock.t); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	if err := verifySignature(tok.Value.Reveal(), &other.PublicKey); err == nil {
		t.Fatal("verified with the wrong key")
	}
}

func BenchmarkMint(b *testing.B) {
	k := testKey(b)
	c := Claims{User: "u", Org: "o", OrgClaim: "org_id", Issuer: "tdjwt", Kid: "k", Lifetime: time.Hour, IssuedAt: IssuedAt{Backdate: time.Minute}}
	now := time.Now()
	for b.Loop() {
		if _, _, err := signToken(c, k, NewSecret(testPAT), now); err != nil {
			b.Fatal(err)
		}
	}
}

func TestProfileNames(t *testing.T) {
	for _, ok := range []string{"default", "a", "prod-eu.1_x", strings.Repeat("a", 64), "9lives"} {
		if checkProfileName(ok) != nil {
			t.Errorf("%q refused", ok)
		}
	}
	for _, bad := range []string{"", "-a", ".a", "_a", "a b", "a/b", "../x", strings.Repeat("a", 65), "é", "a\n"} {
		if checkProfileName(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestRSA4096SplitsAcrossItemsUnderWindowsLimit(t *testing.T) {
	e := newEnv(t)
	e.store.Limit = 2560 // Windows' CRED_MAX_CREDENTIAL_BLOB_SIZE
	big, err := rsa.GenerateKey(rand.Reader, 4096)
	if err != nil {
		t.Fatal(err)
	}
	pemFile := writePEM(t, e.dir, "big.pem", "PRIVATE KEY", pkcs8(t, big), nil)
	e.login(t, func(r *LoginRequest) { r.PEMFile = pemFile })
	items := e.store.Items()
	if len(items) < 3 {
		t.Fatalf("items %v: expected an index and at least two parts", items)
	}
	tok, err := e.h.Token(TokenRequest{Profile: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if err := verifySignature(tok.Value.Reveal(), &big.PublicKey); err != nil {
		t.Fatal(err)
	}
	// A re-login replaces the parts; the old ones are gone.
	e.login(t, func(r *LoginRequest) { r.PEMFile = pemFile; r.User = "bob" })
	if got := e.store.Items(); len(got) != len(items) {
		t.Fatalf("after re-login %d items, want %d", len(got), len(items))
	}
	// A changed part is caught.
	for _, it := range e.store.Items() {
		if strings.HasSuffix(it, ".1") {
			v, _ := e.store.Get(it)
			v[10] ^= 1
			e.store.Set(it, v)
		}
	}
	if _, err := e.h.Token(TokenRequest{Profile: "default"}); err == nil || !strings.Contains(err.Error(), "do not fit together") {
		t.Fatalf("tampered part: %v", err)
	}
	if _, err := e.h.Logout("default"); err != nil {
		t.Fatal(err)
	}
	if got := e.store.Items(); len(got) != 0 {
		t.Fatalf("logout left %v", got)
	}
}
