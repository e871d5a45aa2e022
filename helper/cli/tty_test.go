//go:build linux

package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLoginPromptsWithoutEcho types the PAT at login's prompt on a real
// terminal (tmux) and checks that the screen never shows it.
func TestLoginPromptsWithoutEcho(t *testing.T) {
	need(t, "tmux", exec.Command("tmux", "-V").Run() == nil)
	e := newEnv(t)
	sock := filepath.Join(e.home, "tmux.sock")
	tmux := func(args ...string) string {
		out, err := exec.Command("tmux", append([]string{"-S", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v %s", args[0], err, out)
		}
		return string(out)
	}
	// The environment goes through a 0600 file, not the command line: it
	// holds the values the leak check looks for, and argv is public.
	var envs []string
	for _, kv := range e.environ() {
		k, v, _ := strings.Cut(kv, "=")
		envs = append(envs, k+"="+shellQuote(v))
	}
	envFile := filepath.Join(e.home, "tty.env")
	if err := os.WriteFile(envFile, []byte(strings.Join(envs, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	script := "set -a; . " + shellQuote(envFile) + "; set +a; " + shellQuote(bin) + " login --profile tty --pem " + shellQuote(keyPEM) +
		" --user " + e2eUser + " --org myorg --keystore " + shellQuote("file:"+filepath.Join(e.home, "secrets")) + "; echo EXIT=$?; sleep 30"
	cmd := "env -i /bin/sh -c " + shellQuote(script)
	tmux("new-session", "-d", "-s", "t", "-x", "150", "-y", "20", cmd)
	defer exec.Command("tmux", "-S", sock, "kill-server").Run()
	waitFor := func(what string) string {
		for i := 0; i < 100; i++ {
			if screen := tmux("capture-pane", "-p", "-t", "t"); strings.Contains(screen, what) {
				return screen
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("the screen never showed %q", what)
		return ""
	}
	waitFor("Personal access token for profile tty (input hidden):")
	tmux("send-keys", "-t", "t", "-l", e2ePAT)
	tmux("send-keys", "-t", "t", "Enter")
	screen := waitFor("EXIT=")
	if strings.Contains(screen, e2ePAT) || strings.Contains(screen, e2ePAT[:8]) {
		t.Fatal("the PAT was echoed on the terminal")
	}
	if !strings.Contains(screen, "EXIT=0") {
		t.Fatalf("login failed:\n%s", strings.ReplaceAll(screen, e2ePAT, "[pat]"))
	}
	r := e.run("", nil, "token", "--profile", "tty")
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	verify(t, strings.TrimSpace(r.stdout), defaultSpec())
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
