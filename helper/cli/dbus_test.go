//go:build linux

package cli_test

import (
	"bufio"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestKeychainReadIsThreeCalls watches the session bus with dbus-monitor
// while a miss reads the keychain: after the bus's Hello, tdjwt makes three
// method calls to the Secret Service (SearchItems, OpenSession, GetSecrets),
// where go-keyring's Get made eight.
func TestKeychainReadIsThreeCalls(t *testing.T) {
	needSecretService(t)
	e := newEnv(t)
	e.login("dbus")
	mon := exec.Command("dbus-monitor", "--session")
	mon.Env = e.environ()
	out, err := mon.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := mon.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { mon.Process.Kill(); mon.Wait() }()
	lines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func() string {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("dbus-monitor ended")
			}
			return l
		case <-time.After(10 * time.Second):
			t.Fatal("dbus-monitor fell silent")
		}
		return ""
	}
	// dbus-monitor is listening once it reports its own name.
	for !strings.Contains(next(), "NameAcquired") {
	}
	if r := e.run("", nil, "token", "--profile", "dbus", "--no-cache"); r.code != 0 {
		t.Fatalf("token: %s", r.stderr)
	}
	// A marker call after tdjwt exited: the bus delivers in order, so once
	// the monitor shows it, it has shown all of tdjwt's messages.
	marker := exec.Command("dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/tdjwt/test/end", "org.freedesktop.DBus.GetId")
	marker.Env = e.environ()
	if out, err := marker.CombinedOutput(); err != nil {
		t.Fatalf("dbus-send: %v %s", err, out)
	}
	var calls, headers []string
	sender := ""
	for l := next(); !strings.Contains(l, "/tdjwt/test/end"); l = next() {
		for _, kind := range []string{"method call ", "method return ", "signal ", "error "} {
			if strings.HasPrefix(l, kind) {
				headers = append(headers, l)
			}
		}
		if !strings.HasPrefix(l, "method call ") {
			continue
		}
		member := l[strings.LastIndex(l, "member=")+len("member="):]
		if strings.Contains(l, "destination=org.freedesktop.secrets") {
			calls = append(calls, member)
			from := l[strings.Index(l, "sender=")+len("sender="):]
			sender = from[:strings.Index(from, " ")]
		}
	}
	if strings.Join(calls, ",") != "SearchItems,OpenSession,GetSecrets" {
		t.Fatalf("tdjwt's calls to the Secret Service: %v", calls)
	}
	messages := 0
	for _, h := range headers {
		if strings.Contains(h, "sender="+sender+" ") || strings.HasSuffix(h, "destination="+sender) || strings.Contains(h, "destination="+sender+" ") {
			messages++
		}
	}
	// Hello and its reply, NameAcquired, three calls and their replies, and
	// NameLost as the connection closes (go-keyring's Get: 18).
	for _, h := range headers {
		t.Log(h[:strings.Index(h, " time=")] + h[strings.Index(h, " sender="):])
	}
	if messages > 10 {
		t.Fatalf("%d messages to and from tdjwt, want at most 10", messages)
	}
	t.Logf("a keychain read: Hello, then %d calls to the Secret Service (%v); %d messages in all", len(calls), calls, messages)
}
