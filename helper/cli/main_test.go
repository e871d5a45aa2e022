package cli_test

// The test binary is tdjwt too: testscript puts copies of it named tdjwt,
// git-credential-tdjwt and git-credential-tdjwt.exe on PATH, and runs
// tdjwtMain when started under one of those names. So every end-to-end test,
// script or Go, runs the real CLI in its own process (argv[0] dispatch
// included), and `go test -cover` counts what it runs.

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/term"

	"tdjwt/helper/cli"
)

// Exit codes, as README documents them (main.go chooses them).
const (
	exitOK            = 0
	exitInternal      = 1
	exitUsage         = 2
	exitNotConfigured = 3
	exitKeystore      = 4
	exitBadInput      = 5
	exitLeak          = 99 // tdjwtMain: a secret or a trace in the output
)

var exitCodes = map[string]int{"internal": exitInternal, "usage": exitUsage, "not_configured": exitNotConfigured,
	"keystore_unavailable": exitKeystore, "bad_input": exitBadInput}

var (
	binDir  string // testscript's PATH directory: tdjwt and the git-credential-tdjwt link
	bin     string // the CLI, as the test binary
	realBin string // the shipped binary, built, for the benchmarks
	helloBn string
	keyPEM  string // PKCS#8 key file named KeyForJwtE2E.pem
	keyBody string // one line of the key's base64, to catch leaks
)

// Variables through which tests tell tdjwtMain what must never appear in
// its output. tdjwtMain removes them before the CLI runs.
const (
	leakPATVar = "TDJWT_TEST_LEAK_PAT"
	leakKeyVar = "TDJWT_TEST_LEAK_KEY"
)

func TestMain(m *testing.M) {
	testscript.Main(setup{m}, map[string]func(){
		"tdjwt":                    tdjwtMain,
		"git-credential-tdjwt":     tdjwtMain,
		"git-credential-tdjwt.exe": tdjwtMain,
	})
}

// tdjwtMain is main.go's main with a check: stdout and stderr are passed
// through as they are written, and at the end they must hold neither the
// test's PAT, nor a line of its key, nor a panic or a stack trace.
func tdjwtMain() {
	var leaks []string
	for _, v := range []string{leakPATVar, leakKeyVar} {
		if s := os.Getenv(v); s != "" {
			leaks = append(leaks, s)
		}
		os.Unsetenv(v)
	}
	var out, errOut bytes.Buffer
	err := cli.Run(&cli.Process{
		Args:         os.Args,
		Stdin:        os.Stdin,
		Stdout:       io.MultiWriter(os.Stdout, &out),
		Stderr:       io.MultiWriter(os.Stderr, &errOut),
		Getenv:       os.Getenv,
		Environ:      os.Environ,
		StdinTTY:     term.IsTerminal(int(os.Stdin.Fd())),
		ReadPassword: func() ([]byte, error) { return term.ReadPassword(int(os.Stdin.Fd())) },
		Executable: func() (string, error) {
			p, err := os.Executable()
			if err != nil {
				return "", err
			}
			return filepath.EvalSymlinks(p)
		},
		Now:           time.Now,
		Harden:        cli.Harden,
		Command:       exec.Command,
		UserConfigDir: os.UserConfigDir,
		UserCacheDir:  os.UserCacheDir,
		Version:       "test",
	})
	all := out.String() + errOut.String()
	for _, bad := range append(leaks, "panic:", "goroutine ") {
		if strings.Contains(all, bad) {
			fmt.Fprintf(os.Stderr, "TEST FAILURE: tdjwt's output holds a secret or a trace (%d bytes)\n", len(all))
			os.Exit(exitLeak)
		}
	}
	code := 0
	if err != nil {
		code = exitCodes[cli.Code(err)]
	}
	os.Exit(code)
}

type setup struct{ m *testing.M }

func (s setup) Run() int {
	// Under go test -cover, the CLI's processes write their coverage where
	// go test collects the test binary's own (-test.gocoverdir).
	flag.Parse()
	if f := flag.Lookup("test.gocoverdir"); f != nil && f.Value.String() != "" {
		os.Setenv("GOCOVERDIR", f.Value.String())
	}
	dir, err := os.MkdirTemp("", "tdjwt-e2e-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	if err := s.prepare(dir); err != nil {
		fmt.Fprintln(os.Stderr, "test setup:", err)
		return 1
	}
	return s.m.Run()
}

func (setup) prepare(dir string) error {
	p, err := exec.LookPath("tdjwt")
	if err != nil {
		return err
	}
	binDir, bin = filepath.Dir(p), p
	// git-credential-tdjwt beside tdjwt is a link, as install.sh makes it.
	link := filepath.Join(binDir, "git-credential-tdjwt")
	if err := os.Remove(link); err != nil {
		return err
	}
	if err := os.Symlink("tdjwt", link); err != nil {
		return err
	}
	if other := os.Getenv("TDJWT_TEST_BIN"); other != "" {
		// Run the suite against another build (an older commit, to show
		// that a test catches what it was written for).
		data, err := os.ReadFile(other)
		if err != nil {
			return err
		}
		if err := os.WriteFile(bin, data, 0o755); err != nil {
			return err
		}
	}
	realBin, helloBn = filepath.Join(dir, "tdjwt"), filepath.Join(dir, "hello")
	for _, b := range [][]string{{"-o", realBin, "tdjwt"}, {"-o", helloBn, "./testdata/hello"}} {
		cmd := exec.Command("go", append([]string{"build", "-trimpath"}, b...)...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build: %v\n%s", err, out)
		}
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	keyPEM = filepath.Join(dir, "KeyForJwtE2E.pem")
	keyBody = strings.Split(string(pemBytes), "\n")[2]
	return os.WriteFile(keyPEM, pemBytes, 0o600)
}
