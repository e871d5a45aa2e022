package keystore

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFileRoundTripAndPermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "secrets")
	s, err := Open("file:"+dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("p"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing dir: %v", err)
	}
	if err := s.Set("p", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Set("p", []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get("p"); err != nil || string(v) != "v2" {
		t.Fatalf("%q %v", v, err)
	}
	fi, _ := os.Stat(filepath.Join(dir, "p"))
	di, _ := os.Stat(dir)
	if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
		t.Fatalf("modes %v %v", fi.Mode(), di.Mode())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temp files left: %v", entries)
	}

	os.Chmod(filepath.Join(dir, "p"), 0o644)
	_, err = s.Get("p")
	var ke *Error
	if !errors.Is(err, ErrInsecure) || !errors.As(err, &ke) || !strings.Contains(ke.Hint, "chmod 600") {
		t.Fatalf("loose file: %v", err)
	}
	if strings.Contains(err.Error(), "v2") {
		t.Fatal("error quotes the secret")
	}
	os.Chmod(filepath.Join(dir, "p"), 0o600)
	// Others may list a directory tdjwt reads from (the files' modes keep
	// them private), but not change it; tdjwt writes only into a 0700 one.
	os.Chmod(dir, 0o755)
	if _, err := s.Get("p"); err != nil {
		t.Fatalf("0755 dir: %v", err)
	}
	if err := s.Set("p", []byte("v3")); !errors.Is(err, ErrInsecure) {
		t.Fatalf("write into loose dir: %v", err)
	}
	os.Chmod(dir, 0o777)
	if _, err := s.Get("p"); !errors.Is(err, ErrInsecure) {
		t.Fatalf("world-writable dir: %v", err)
	}
	os.Chmod(dir, 0o700)

	// A link that leaves the directory is refused; one inside is followed.
	target := filepath.Join(t.TempDir(), "elsewhere")
	os.WriteFile(target, []byte("x"), 0o600)
	os.Symlink(target, filepath.Join(dir, "link"))
	if _, err := s.Get("link"); !errors.Is(err, ErrInsecure) {
		t.Fatalf("escaping symlink: %v", err)
	}
	os.Symlink("p", filepath.Join(dir, "inner"))
	if v, err := s.Get("inner"); err != nil || string(v) != "v2" {
		t.Fatalf("inner symlink: %q %v", v, err)
	}

	if err := s.Delete("p"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("p"); err != nil {
		t.Fatalf("second delete: %v", err)
	}
}

func TestOpenSpecs(t *testing.T) {
	for _, bad := range []string{"", "file:", "file:relative/dir", "vault", "Keyring"} {
		if _, err := Open(bad, nil); !errors.Is(err, ErrBadSpec) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestKeyringWithoutBusFailsFast(t *testing.T) {
	k, err := Open("keyring", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	_, err = k.Get("x")
	var ke *Error
	if !errors.Is(err, ErrUnavailable) || !errors.As(err, &ke) || !strings.Contains(ke.Hint, "file:DIR") {
		t.Fatalf("%v", err)
	}
}

func TestKeyringSettings(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, bad := range []map[string]string{{"TDJWT_KEYRING_TIMEOUT": "soon"}, {"TDJWT_KEYRING_TIMEOUT": "-1s"}, {"TDJWT_KEYRING_ITEM_LIMIT": "12"}} {
		if err := CheckEnv(env(bad)); !errors.Is(err, ErrBadSpec) {
			t.Errorf("%v: %v", bad, err)
		}
		if _, err := Open("file:/x", env(bad)); !errors.Is(err, ErrBadSpec) {
			t.Errorf("%v: a file store opened with a bad keyring setting: %v", bad, err)
		}
	}
	s, err := Open("keyring", env(map[string]string{"TDJWT_KEYRING_TIMEOUT": "3", "TDJWT_KEYRING_ITEM_LIMIT": "2560"}))
	if err != nil {
		t.Fatal(err)
	}
	if k := s.(*Keyring); k.timeout != 3*time.Second || k.MaxValue() != 2560 {
		t.Fatalf("settings: %v %d", k.timeout, k.MaxValue())
	}
}

func TestOneDeadlineForAllKeychainCalls(t *testing.T) {
	// Without a bus each call fails at once; with a deadline in the past,
	// a call is refused before it starts, whatever the per-call timeout.
	open := NewOpener(func(k string) string {
		if k == "DBUS_SESSION_BUS_ADDRESS" {
			return "unix:path=/nonexistent"
		}
		return ""
	})
	s, _ := open("keyring")
	past := time.Now().Add(-time.Second)
	*s.(*Keyring).deadline = past
	start := time.Now()
	_, err := s.Get("x")
	if !errors.Is(err, ErrUnavailable) || time.Since(start) > 100*time.Millisecond || !strings.Contains(err.Error(), "no answer") {
		t.Fatalf("a call past the command's deadline: %v after %v", err, time.Since(start))
	}
	s2, _ := open("keyring")
	if *s2.(*Keyring).deadline != past {
		t.Fatal("two keyrings of one opener do not share the deadline")
	}
}
