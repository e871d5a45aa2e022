//go:build linux

package cli_test

// End-to-end tests of the token cache across processes, against the real
// Secret Service: single flight, a killed lock holder, unsafe and unusable
// cache directories.

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// parallelTokens starts n `tdjwt token --debug` processes at once and
// returns their tokens and how many of them read the keychain.
func parallelTokens(t *testing.T, e *env, n int) (tokens []string, keychainReads int) {
	t.Helper()
	type out struct {
		r   result
		err error
	}
	results := make([]out, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(bin, "token", "--debug")
			cmd.Env = e.environ()
			var so, se bytes.Buffer
			cmd.Stdout, cmd.Stderr = &so, &se
			<-start
			err := cmd.Run()
			results[i] = out{result{so.String(), se.String(), 0}, err}
		}()
	}
	close(start)
	wg.Wait()
	for i, o := range results {
		if o.err != nil {
			t.Fatalf("process %d: %v: %s", i, o.err, o.r.stderr)
		}
		checkNoLeak(t, "parallel token", o.r.stdout+o.r.stderr)
		tokens = append(tokens, strings.TrimSpace(o.r.stdout))
		keychainReads += strings.Count(o.r.stderr, "keystore: read item")
	}
	return tokens, keychainReads
}

func TestParallelColdCallsReadTheKeychainOnce(t *testing.T) {
	needSecretService(t)
	e := newEnv(t)
	e.login("default")
	tokens, reads := parallelTokens(t, e, 200)
	for _, tok := range tokens {
		if tok != tokens[0] {
			t.Fatal("parallel calls returned different tokens")
		}
	}
	if reads != 1 {
		t.Fatalf("200 parallel cold calls read the keychain %d times, want 1", reads)
	}
	verify(t, tokens[0], defaultSpec())
}

// silentBus is a unix socket that accepts D-Bus clients and never answers:
// a keychain that hangs.
// silentBus is a D-Bus address whose listener accepts connections and
// never answers, as a stopped daemon does.
func silentBus(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "bus")
	l, err := listenUnix(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return "unix:path=" + path
}

// listenUnix listens on path and holds every connection open, silent,
// until the listener closes.
func listenUnix(path string) (net.Listener, error) {
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	return l, nil
}

func TestKilledLockHolderReleasesTheLock(t *testing.T) {
	needSecretService(t)
	e := newEnv(t)
	e.login("default")
	// The holder: a real tdjwt that takes the entry's lock, then hangs on a
	// keychain that never answers.
	holder := exec.Command(bin, "token", "--debug")
	holder.Env = e.environ("DBUS_SESSION_BUS_ADDRESS="+silentBus(t), "TDJWT_KEYRING_TIMEOUT=60s")
	stderr, _ := holder.StderrPipe()
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	locked := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "cache: lock held") {
				locked <- true
			}
		}
		close(locked)
	}()
	select {
	case ok := <-locked:
		if !ok {
			t.Fatal("the holder exited before taking the lock")
		}
	case <-time.After(10 * time.Second):
		holder.Process.Kill()
		t.Fatal("the holder never took the lock")
	}
	// Waiters queue behind the holder; kill it midway.
	done := make(chan struct{})
	var tokens []string
	var reads int
	go func() {
		tokens, reads = parallelTokens(t, e, 20)
		close(done)
	}()
	// All 20 are blocked on the holder's lock: the kernel lists them as
	// waiters of the lock file's inode in /proc/locks.
	locks, _ := filepath.Glob(filepath.Join(e.vars["TDJWT_CACHE_DIR"], "default-*.lock"))
	if len(locks) != 1 {
		t.Fatalf("%d lock files", len(locks))
	}
	fi, err := os.Stat(locks[0])
	if err != nil {
		t.Fatal(err)
	}
	inode := ":" + strconv.FormatUint(fi.Sys().(*syscall.Stat_t).Ino, 10) + " "
	deadline := time.Now().Add(20 * time.Second)
	for waiters := 0; waiters < 20; {
		select {
		case <-done:
			t.Fatal("waiters finished while the lock was held")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 20 waiters queued on the lock", waiters)
		}
		b, err := os.ReadFile("/proc/locks")
		if err != nil {
			t.Fatal(err)
		}
		waiters = 0
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, "->") && strings.Contains(l, inode) {
				waiters++
			}
		}
		time.Sleep(5 * time.Millisecond) // a poll interval: the condition above is what is awaited
	}
	holder.Process.Signal(syscall.SIGKILL)
	holder.Wait()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("waiters still blocked after the holder was killed")
	}
	if reads != 1 {
		t.Fatalf("keychain read %d times after the holder died, want 1", reads)
	}
	for _, tok := range tokens {
		if tok != tokens[0] {
			t.Fatal("different tokens")
		}
	}
	if r := e.run("", nil, "token"); r.code != 0 || strings.TrimSpace(r.stdout) != tokens[0] {
		t.Fatalf("next call: %d %s", r.code, r.stderr)
	}
}

func TestCacheDirectoryAttacksAndFailures(t *testing.T) {
	e := newEnv(t)
	e.fileLogin("default")
	cache := e.vars["TDJWT_CACHE_DIR"]

	// A symlinked cache directory: not followed, tokens still come.
	target := t.TempDir()
	os.Symlink(target, cache)
	for i := 0; i < 2; i++ {
		r := e.run("", nil, "token", "--debug")
		if r.code != 0 || !strings.Contains(r.stderr, "cache: unusable") {
			t.Fatalf("symlinked dir: %d %s", r.code, r.stderr)
		}
	}
	if got, _ := os.ReadDir(target); len(got) != 0 {
		t.Fatal("tdjwt wrote through a symlinked cache directory")
	}
	os.Remove(cache)

	// A group-accessible directory is refused.
	os.Mkdir(cache, 0o770)
	os.Chmod(cache, 0o770)
	if r := e.run("", nil, "token", "--debug"); r.code != 0 || !strings.Contains(r.stderr, "cache: unusable") {
		t.Fatalf("shared dir: %d %s", r.code, r.stderr)
	}
	if got, _ := os.ReadDir(cache); len(got) != 0 {
		t.Fatal("tdjwt wrote into a group-accessible cache directory")
	}
	os.Chmod(cache, 0o700)

	// Entries are 0600 in a 0700 directory.
	if r := e.run("", nil, "token"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	entries, _ := filepath.Glob(filepath.Join(cache, "default-*.json"))
	if len(entries) != 1 {
		t.Fatalf("entries: %v", entries)
	}
	fi, _ := os.Stat(entries[0])
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("entry mode %v", fi.Mode())
	}

	// An entry that cannot be written (read-only directory; as root, whose
	// writes ignore modes, a directory standing where the entry goes).
	os.Remove(entries[0])
	if os.Geteuid() == 0 {
		os.Mkdir(entries[0], 0o700)
	} else {
		os.Chmod(cache, 0o500)
		defer os.Chmod(cache, 0o700)
	}
	for i := 0; i < 2; i++ {
		r := e.run("", nil, "token", "--debug")
		if r.code != 0 || !strings.Contains(r.stdout, ".") {
			t.Fatalf("read-only cache: %d %s", r.code, r.stderr)
		}
		verify(t, strings.TrimSpace(r.stdout), defaultSpec())
	}
	// cache list / clear, and --force-refresh.
	os.Remove(entries[0])
	os.Chmod(cache, 0o700)
	a := e.run("", nil, "token")
	b := e.run("", nil, "token")
	if a.stdout != b.stdout {
		t.Fatal("second call was not served from the cache")
	}
	// --force-refresh signs anew (the same second and claims can give the
	// same bytes: RS256 is deterministic), so look for the keystore read.
	if c := e.run("", nil, "token", "--force-refresh", "--debug"); !strings.Contains(c.stderr, "keystore: read item") {
		t.Fatalf("--force-refresh served the cache: %s", c.stderr)
	}
	l := e.run("", nil, "cache", "list")
	if !strings.Contains(l.stdout, "default") || !strings.Contains(l.stdout, "valid") || strings.Contains(l.stdout, strings.TrimSpace(a.stdout)) {
		t.Fatalf("cache list: %s", l.stdout)
	}
	e.run("", nil, "cache", "clear")
	if l := e.run("", nil, "cache", "list"); strings.Contains(l.stdout, "default") {
		t.Fatal("cache clear left entries")
	}
}
