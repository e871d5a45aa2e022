//go:build linux

package cli_test

// The CLI's end-to-end behaviour as testscript scripts
// (testdata/script/*.txtar): each runs tdjwt (this test binary under the
// name tdjwt, so argv[0] dispatch runs in-process) against real parts.
// What scripts cannot say is a command here:
//
//	code N PROG ARGS...       run PROG; its exit code must be exactly N
//	verifyjwt FILE [k=v ...]  PyJWT checks the token in FILE (or stdout)
//	lakestub SUB|-html [OFFSET]  HTTPS Lake stub (or a web page): $LAKE_URL, $LAKE_CA
//	httprecorder              plain-http server that asks for credentials: $REC_URL
//	recorded N                it received N requests, none with credentials
//	secretvolume DIR FILE MODE  a kubelet secret volume in DIR holding FILE
//	silentbus VAR / barebus VAR  a D-Bus that never answers / without a Secret Service
//	fifo PATH / sparse PATH SIZE / othersdir PATH  hostile files
//	genkey FILE BITS          an RSA key in PKCS#8 PEM
//	noleak FILE...            FILE holds neither the PAT nor the key
//	keychainitems USER N      the Secret Service holds N items of USER (and its parts)
//
// Conditions: [secretservice], [pyjwt], [git], [root]. Under CI a missing
// part fails the script instead of skipping it.

import (
	"bufio"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestScripts(t *testing.T) {
	p := testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup:               scriptSetup,
		Condition:           scriptCondition,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"code":          cmdCode,
			"verifyjwt":     cmdVerifyJWT,
			"lakestub":      cmdLakeStub,
			"httprecorder":  cmdHTTPRecorder,
			"recorded":      cmdRecorded,
			"secretvolume":  cmdSecretVolume,
			"silentbus":     cmdBus(true),
			"barebus":       cmdBus(false),
			"fifo":          cmdFIFO,
			"sparse":        cmdSparse,
			"othersdir":     cmdOthersDir,
			"genkey":        cmdGenKey,
			"noleak":        cmdNoLeak,
			"keychainitems": cmdKeychainItems,
		},
	}
	if d, ok := t.Deadline(); ok {
		p.Deadline = d
	}
	testscript.RunT(redactingT{t}, p)
}

// redactingT is the *testing.T of the scripts, with every line it logs
// cleared of tokens, the PAT and key material: testscript logs each
// command's stdout, and a token carries the PAT.
type redactingT struct{ *testing.T }

var jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*`)

func redact(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		s := jwtPattern.ReplaceAllString(fmt.Sprint(a), "[token]")
		for _, secret := range []string{e2ePAT, keyBody} {
			s = strings.ReplaceAll(s, secret, "[secret]")
		}
		out[i] = s
	}
	return out
}

func (t redactingT) Log(args ...any)   { t.T.Helper(); t.T.Log(redact(args)...) }
func (t redactingT) Fatal(args ...any) { t.T.Helper(); t.T.Fatal(redact(args)...) }
func (t redactingT) Skip(args ...any)  { t.T.Helper(); t.T.Skip(redact(args)...) }
func (t redactingT) Verbose() bool     { return testing.Verbose() }
func (t redactingT) Run(name string, f func(testscript.T)) {
	t.T.Run(name, func(t *testing.T) { f(redactingT{t}) })
}

// scriptSetup gives each script its own HOME, config and cache, the test
// key as $WORK/KeyForJwtE2E.pem and the PAT as $WORK/pat.txt (both 0600),
// and tells tdjwtMain what must never appear in its output.
func scriptSetup(env *testscript.Env) error {
	w := env.WorkDir
	set := func(k, v string) { env.Vars = append(env.Vars, k+"="+v) }
	set("HOME", w)
	set("TDJWT_CONFIG", filepath.Join(w, "cfg", "config.toml"))
	set("TDJWT_CACHE_DIR", filepath.Join(w, "cache"))
	set("GIT_CONFIG_NOSYSTEM", "1")
	set("GIT_TERMINAL_PROMPT", "0")
	set("BIN", binDir)
	set("USER_NAME", e2eUser)
	set("LAKE_HOST", "myorg.innovationlabs.teradata.com")
	set("PAT", e2ePAT)
	// Bytes a script cannot type: for values that must be refused.
	set("BADBYTE", "\xff")
	set("NEWLINE", "\n")
	set("ESC", "\x1b")
	set("LONGKID", strings.Repeat("k", 300))
	set(leakPATVar, e2ePAT)
	set(leakKeyVar, keyBody)
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" {
		set("DBUS_SESSION_BUS_ADDRESS", a)
		set("DBUS", a) // to put it back after a step without it
	}
	key, err := os.ReadFile(keyPEM)
	if err != nil {
		return err
	}
	set("KEY_PEM_TEXT", string(key)) // for the env keystore
	if err := os.WriteFile(filepath.Join(w, "KeyForJwtE2E.pem"), key, 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(w, "pat.txt"), []byte(e2ePAT+"\n"), 0o600)
}

func scriptCondition(cond string) (bool, error) {
	var ok bool
	var what string
	switch cond {
	case "secretservice":
		what = "a Secret Service on the session bus"
		if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
			out, _ := exec.Command("dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
				"/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets").Output()
			ok = strings.Contains(string(out), "boolean true")
		}
	case "pyjwt":
		what = "Debian's python3-jwt and python3-cryptography"
		ok = exec.Command(pyBin, "-c", "import jwt, cryptography").Run() == nil
	case "git":
		what = "git"
		ok = exec.Command("git", "--version").Run() == nil
	case "root":
		// Not a part that can be missing: some scripts need root to make
		// files of another user.
		return os.Geteuid() == 0, nil
	default:
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	if !ok && strict() {
		return false, fmt.Errorf("%s is missing: .ci/run installs and starts it", what)
	}
	return ok, nil
}

func cmdCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: code N PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("code: %v", err)
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		got = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("%s: %v", args[1], err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// cmdVerifyJWT checks a token with PyJWT, independently of tdjwt's code:
// signature, header and every claim. Arguments override the defaults of
// the test profile: pem, kid, sub, iss, org_claim, org, lifetime, iat.
func cmdVerifyJWT(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: verifyjwt FILE [key=value...]")
	}
	tok := strings.TrimSpace(ts.ReadFile(args[0]))
	for _, prefix := range []string{"credential=", "password="} {
		for _, l := range strings.Split(tok, "\n") {
			if v, ok := strings.CutPrefix(l, prefix); ok {
				tok = v
			}
		}
	}
	if strings.HasPrefix(tok, "{") {
		var v struct {
			Token  string                 `json:"token"`
			Status struct{ Token string } `json:"status"`
		}
		json.Unmarshal([]byte(tok), &v)
		tok = v.Token + v.Status.Token
	}
	s := defaultSpec()
	s.PEM = ts.MkAbs("KeyForJwtE2E.pem")
	for _, kv := range args[1:] {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "pem":
			s.PEM = ts.MkAbs(v)
		case "kid":
			s.Kid = v
		case "sub":
			s.Sub = v
		case "iss":
			s.Iss = v
		case "org_claim":
			s.OrgClaim = v
		case "org":
			s.Org = v
		case "lifetime":
			s.Lifetime, _ = strconv.Atoi(v)
		case "iat":
			s.IAT = v
		default:
			ts.Fatalf("verifyjwt: unknown field %s", k)
		}
	}
	js, _ := json.Marshal(s)
	cmd := exec.Command(pyBin, "testdata/verify_jwt.py", string(js))
	cmd.Stdin = strings.NewReader(tok)
	out, err := cmd.CombinedOutput()
	ok := err == nil && strings.TrimSpace(string(out)) == "ok"
	if ok == neg {
		// PyJWT's messages name claims, not values; still, hide the PAT.
		ts.Fatalf("PyJWT: %v %s", err, strings.ReplaceAll(string(out), e2ePAT, "[pat]"))
	}
}

// cmdLakeStub starts a local HTTPS server that checks a bearer token as
// Lake would, at /api/accounts/env1: RS256 with the test key, sub, pat,
// multi-use and exp. Its Date header runs OFFSET (a Go duration) ahead.
func cmdLakeStub(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: lakestub SUB [OFFSET]")
	}
	var offset time.Duration
	if len(args) > 1 {
		offset, _ = time.ParseDuration(args[1])
	}
	html := args[0] == "-html" // a web page that answers 200 to anything
	block, _ := pem.Decode(mustReadFile(ts, keyPEM))
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	ts.Check(err)
	pub := &k.(*rsa.PrivateKey).PublicKey
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", time.Now().Add(offset).UTC().Format(http.TimeFormat))
		if html {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>hello</html>"))
			return
		}
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
		exp, _ := claims["exp"].(float64)
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) != nil || claims["sub"] != args[0] || claims["pat"] != e2ePAT ||
			claims["multi-use"] != true || exp < float64(time.Now().Unix()) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"env1"}`))
	}))
	ts.Defer(srv.Close)
	ca := ts.MkAbs("lake-ca.pem")
	ts.Check(os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))
	ts.Setenv("LAKE_URL", srv.URL+"/api/accounts/env1")
	ts.Setenv("LAKE_CA", ca)
}

type recorderKey struct{}

type httpRecorder struct {
	mu    sync.Mutex
	auths []string
}

func cmdHTTPRecorder(ts *testscript.TestScript, neg bool, args []string) {
	rec := &httpRecorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.auths = append(rec.auths, r.Header.Get("Authorization"))
		rec.mu.Unlock()
		w.Header().Set("WWW-Authenticate", `Basic realm="x"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	ts.Defer(srv.Close)
	recorders.Store(ts, rec)
	ts.Setenv("REC_URL", srv.URL)
}

var recorders sync.Map // *TestScript -> *httpRecorder

func cmdRecorded(ts *testscript.TestScript, neg bool, args []string) {
	v, ok := recorders.Load(ts)
	if !ok || len(args) != 1 {
		ts.Fatalf("usage: recorded N|+ (after httprecorder)")
	}
	rec := v.(*httpRecorder)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, a := range rec.auths {
		if a != "" {
			ts.Fatalf("the recorder was sent credentials (%d bytes)", len(a))
		}
	}
	if args[0] == "+" {
		if len(rec.auths) == 0 {
			ts.Fatalf("the recorder received no request")
		}
		return
	}
	if n, _ := strconv.Atoi(args[0]); n != len(rec.auths) {
		ts.Fatalf("the recorder received %d requests, want %s", len(rec.auths), args[0])
	}
}

// cmdSecretVolume lays out DIR as kubelet does: a timestamped directory
// with FILE in it (mode MODE, octal), a ..data link to it, and a link to
// ..data/FILE under FILE's name.
func cmdSecretVolume(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: secretvolume DIR FILE MODE")
	}
	dir, name := ts.MkAbs(args[0]), filepath.Base(args[1])
	mode, err := strconv.ParseUint(args[2], 8, 32)
	ts.Check(err)
	stamp := "..2026_11_26_09_00_00.123456789"
	ts.Check(os.MkdirAll(filepath.Join(dir, stamp), 0o755))
	ts.Check(os.Chmod(dir, 0o755))
	p := filepath.Join(dir, stamp, name)
	ts.Check(os.WriteFile(p, mustReadFile(ts, ts.MkAbs(args[1])), 0o600))
	ts.Check(os.Chmod(p, os.FileMode(mode)))
	ts.Check(os.Symlink(filepath.Join("..data", name), filepath.Join(dir, name)))
	ts.Check(os.Symlink(stamp, filepath.Join(dir, "..data")))
}

// cmdBus starts a private bus, silent (never answers) or bare (no Secret
// Service), and puts its address in VAR.
func cmdBus(silent bool) func(ts *testscript.TestScript, neg bool, args []string) {
	return func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 1 {
			ts.Fatalf("usage: silentbus|barebus VAR")
		}
		if silent {
			dir, err := os.MkdirTemp("", "bus") // a socket path has at most 107 bytes
			ts.Check(err)
			ts.Defer(func() { os.RemoveAll(dir) })
			sock := filepath.Join(dir, "bus")
			l, err := listenUnix(sock)
			ts.Check(err)
			ts.Defer(func() { l.Close() })
			ts.Setenv(args[0], "unix:path="+sock)
			return
		}
		cmd := exec.Command("dbus-daemon", "--config-file=testdata/bare-session.conf", "--nofork", "--print-address")
		out, err := cmd.StdoutPipe()
		ts.Check(err)
		ts.Check(cmd.Start())
		ts.Defer(func() { cmd.Process.Kill(); cmd.Wait() })
		line, err := bufio.NewReader(out).ReadString('\n')
		ts.Check(err)
		ts.Setenv(args[0], strings.TrimSpace(line))
	}
}

func cmdFIFO(ts *testscript.TestScript, neg bool, args []string) {
	for _, a := range args {
		ts.Check(syscall.Mkfifo(ts.MkAbs(a), 0o600))
	}
}

func cmdSparse(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: sparse PATH SIZE")
	}
	size, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	f, err := os.OpenFile(ts.MkAbs(args[0]), os.O_CREATE|os.O_WRONLY, 0o600)
	ts.Check(err)
	ts.Check(f.Truncate(size))
	ts.Check(f.Close())
}

// cmdOthersDir makes a 0777 directory that belongs to another user.
func cmdOthersDir(ts *testscript.TestScript, neg bool, args []string) {
	d := ts.MkAbs(args[0])
	ts.Check(os.Mkdir(d, 0o777))
	ts.Check(os.Chmod(d, 0o777))
	ts.Check(os.Chown(d, 65534, 65534))
}

func cmdGenKey(ts *testscript.TestScript, neg bool, args []string) {
	bits, err := strconv.Atoi(args[1])
	ts.Check(err)
	k, err := rsa.GenerateKey(rand.Reader, bits)
	ts.Check(err)
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600))
}

func cmdNoLeak(ts *testscript.TestScript, neg bool, args []string) {
	for _, a := range args {
		data := ts.ReadFile(a)
		if strings.Contains(data, e2ePAT) || strings.Contains(data, keyBody) || strings.Contains(data, "PRIVATE KEY") {
			ts.Fatalf("%s holds the PAT or the key", a)
		}
	}
}

func cmdKeychainItems(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: keychainitems USER N|+")
	}
	out, _ := exec.Command("secret-tool", "search", "--all", "service", "tdjwt").CombinedOutput()
	n := 0
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(l, "attribute.username = "); ok && (v == args[0] || strings.HasPrefix(v, args[0]+"#")) {
			n++
		}
	}
	if args[1] == "+" {
		if n < 2 {
			ts.Fatalf("%d keychain items of %s, want a split item", n, args[0])
		}
		return
	}
	if want, _ := strconv.Atoi(args[1]); n != want {
		ts.Fatalf("%d keychain items of %s, want %d", n, args[0], want)
	}
}

func mustReadFile(ts *testscript.TestScript, p string) []byte {
	b, err := os.ReadFile(p)
	ts.Check(err)
	return b
}
