//go:build linux

package cli_test

// End-to-end tests of failures: keychains that are missing, empty, silent or
// tampered with, big keys, debug output that must not leak, and process
// hardening.

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// markedProcs counts the processes whose environment holds marker: the
// descendants of a run that was given it, whatever they are called.
func markedProcs(t *testing.T, marker string) []string {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, d := range entries {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", d.Name(), "environ"))
		if err == nil && bytes.Contains(env, []byte(marker)) {
			comm, _ := os.ReadFile(filepath.Join("/proc", d.Name(), "comm"))
			found = append(found, strings.TrimSpace(string(comm)))
		}
	}
	return found
}

func TestNoSessionBusStartsNoDaemons(t *testing.T) {
	e := newEnv(t)
	e.fileLogin("default")
	delete(e.vars, "DBUS_SESSION_BUS_ADDRESS")
	e.vars["XDG_RUNTIME_DIR"] = e.home
	// Every process these runs start inherits the marker: a bus or a
	// keyring daemon that outlives tdjwt would still carry it.
	marker := "TDJWT_TEST_MARKER=" + filepath.Base(e.home)
	for i := 0; i < 3; i++ {
		r := e.run("", []string{"TDJWT_KEYSTORE=keyring", marker}, "token", "--no-cache")
		wantError(t, r, exitKeystore, "token without a session bus")
		if !strings.Contains(r.stderr, "no D-Bus session bus") {
			t.Fatalf("message: %s", r.stderr)
		}
	}
	if left := markedProcs(t, marker); len(left) != 0 {
		t.Fatalf("tdjwt left processes behind: %v", left)
	}
}

// bareBus starts a session bus with no Secret Service and returns its address.
func bareBus(t *testing.T) string {
	need(t, "dbus-daemon", exec.Command("dbus-daemon", "--version").Run() == nil)
	cmd := exec.Command("dbus-daemon", "--config-file=testdata/bare-session.conf", "--nofork", "--print-address")
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon: %v", err)
	}
	return strings.TrimSpace(line)
}

// TestDebugNeverLeaks runs every command, successes and failures, with
// debug on, and then searches every output and every file tdjwt may have
// written outside the keystore and the cache for the PAT and the key.
func TestDebugNeverLeaks(t *testing.T) {
	e := newEnv(t)
	e.vars["TDJWT_DEBUG"] = "1"
	e.fileLogin("default")
	tok := strings.TrimSpace(e.run("", nil, "token").stdout)
	runs := []struct {
		stdin string
		env   []string
		args  []string
	}{
		{"", nil, []string{"token", "--format", "json", "--min-valid", "10m"}},
		{"", nil, []string{"token", "--force-refresh"}},
		{"", nil, []string{"token", "--no-cache"}},
		{"", nil, []string{"token", "--profile", "nope", "--format", "json"}},
		{"", []string{"KUBERNETES_EXEC_INFO={\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1\"}"}, []string{"exec"}},
		{"{bad", nil, []string{"exec"}},
		{"protocol=https\nhost=a\n\n", nil, []string{"get"}},
		{"capability[]=authtype\nprotocol=https\n\n", nil, []string{"get"}},
		{"protocol=https\n\n", nil, []string{"erase"}},
		{"bad line\n", nil, []string{"get"}},
		{tok, nil, []string{"inspect"}},
		{tok, nil, []string{"inspect", "--pem", keyPEM}},
		{"", nil, []string{"profiles"}},
		{"", nil, []string{"cache", "list"}},
		{"", nil, []string{"setup", "kubeconfig"}},
		{"", nil, []string{"setup", "git", "--url", "https://a.example.com"}},
		{e2ePAT, nil, []string{"login", "--profile", "bad", "--pem", "/nonexistent", "--user", "u", "--org", "o"}},
		{e2ePAT + " x", nil, []string{"login", "--profile", "bad", "--pem", keyPEM, "--user", "u", "--org", "o", "--keystore", "file:" + filepath.Join(e.home, "secrets")}},
		{"", []string{"TDJWT_KEYSTORE=keyring", "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent"}, []string{"token", "--no-cache"}},
		{"", nil, []string{"cache", "clear"}},
		{"", nil, []string{"logout"}},
		{"", nil, []string{"token"}},
	}
	for _, r := range runs {
		res := e.run(r.stdin, r.env, r.args...)
		// The token may appear only where it was asked for: on stdout of
		// token, exec and get.
		asked := map[string]bool{"token": true, "exec": true, "get": true}[r.args[0]]
		if strings.Contains(res.stderr, tok[len(tok)-40:]) || (!asked && strings.Contains(res.stdout, tok[len(tok)-40:])) {
			t.Fatalf("%v: the token appears where it was not asked for", r.args)
		}
		if !strings.Contains(res.stderr, "tdjwt: debug:") && r.args[0] != "setup" && r.args[0] != "inspect" {
			t.Fatalf("%v: no debug output", r.args)
		}
	}
	// Files: only the keystore and the cache may hold secrets.
	secrets, cache := filepath.Join(e.home, "secrets"), e.vars["TDJWT_CACHE_DIR"]
	filepath.WalkDir(e.home, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(p, secrets) || strings.HasPrefix(p, cache) {
			return nil
		}
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, []byte(e2ePAT)) || bytes.Contains(b, []byte(keyBody)) || bytes.Contains(b, []byte("PRIVATE KEY")) {
			t.Fatalf("%s holds a secret", p)
		}
		return nil
	})
}

func TestCoreDumpsDisabled(t *testing.T) {
	e := newEnv(t)
	e.fileLogin("default")
	// A tdjwt that hangs on a silent keychain, long enough to look at it.
	cmd := exec.Command(bin, "token", "--no-cache", "--debug")
	cmd.Env = e.environ("TDJWT_KEYSTORE=keyring", "DBUS_SESSION_BUS_ADDRESS="+silentBus(t), "TDJWT_KEYRING_TIMEOUT=20s")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	// The first debug line comes after Harden: from then on the limits
	// are what they will stay.
	sc := bufio.NewScanner(stderr)
	if !sc.Scan() || !strings.Contains(sc.Text(), "tdjwt: debug:") {
		t.Fatal("tdjwt printed no debug line")
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/limits")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "Max core file size") {
			if f := strings.Fields(l); f[4] != "0" || f[5] != "0" {
				t.Fatalf("core limit: %s", l)
			}
			return
		}
	}
	t.Fatal("could not read the process's limits")
}

// TestLockedKeyring: a gnome-keyring that was never unlocked (headless)
// answers at once; tdjwt says how to unlock it.
func TestLockedKeyring(t *testing.T) {
	need(t, "gnome-keyring-daemon", exec.Command("gnome-keyring-daemon", "--version").Run() == nil)
	addr := bareBus(t)
	home := t.TempDir()
	gk := exec.Command("gnome-keyring-daemon", "--start", "--foreground", "--components=secrets")
	gk.Env = []string{"DBUS_SESSION_BUS_ADDRESS=" + addr, "HOME=" + home, "XDG_DATA_HOME=" + home + "/share", "PATH=" + os.Getenv("PATH")}
	if err := gk.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gk.Process.Kill(); gk.Wait() })
	owned := false
	for i := 0; i < 100 && !owned; i++ {
		out, _ := exec.Command("dbus-send", "--bus="+addr, "--print-reply", "--dest=org.freedesktop.DBus",
			"/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets").Output()
		owned = bytes.Contains(out, []byte("boolean true"))
		time.Sleep(50 * time.Millisecond)
	}
	if !owned {
		t.Fatal("gnome-keyring did not take the name")
	}
	e := newEnv(t)
	e.vars["DBUS_SESSION_BUS_ADDRESS"] = addr
	start := time.Now()
	r := e.run(e2ePAT, nil, "login", "--pem", keyPEM, "--user", "u", "--org", "o")
	wantError(t, r, exitKeystore, "locked keyring")
	if !strings.Contains(r.stderr, "locked") || !strings.Contains(r.stderr, "gnome-keyring-daemon --replace --unlock") || time.Since(start) > 5*time.Second {
		t.Fatalf("locked keyring: %s", r.stderr)
	}
	if _, err := os.Stat(e.vars["TDJWT_CONFIG"]); err == nil {
		t.Fatal("config written although the secrets were not stored")
	}
}
