//go:build !windows

package privfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestReadRefusesWhatIsNotASmallRegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	f, _ := os.Create(big)
	f.Truncate(1 << 30)
	f.Close()
	good := filepath.Join(dir, "good")
	os.WriteFile(good, []byte("hello"), 0o600)
	link := filepath.Join(dir, "link")
	os.Symlink(good, link)
	zero := filepath.Join(dir, "zero")
	os.Symlink("/dev/zero", zero)

	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, _, err := Read(fifo, 10, false, nil); !errors.Is(err, ErrNotRegular) {
			t.Errorf("fifo: %v", err)
		}
		if _, _, err := Read(zero, 10, true, nil); !errors.Is(err, ErrNotRegular) {
			t.Errorf("/dev/zero: %v", err)
		}
		if _, _, err := Read(big, 1024, false, nil); !errors.Is(err, ErrTooLarge) {
			t.Errorf("big: %v", err)
		}
		if _, _, err := Read(link, 10, false, nil); !errors.Is(err, ErrInsecure) {
			t.Errorf("link without follow: %v", err)
		}
		if b, _, err := Read(link, 10, true, nil); err != nil || string(b) != "hello" {
			t.Errorf("link with follow: %q %v", b, err)
		}
		other, _ := os.Lstat(big)
		if _, _, err := Read(good, 10, false, other); err == nil {
			t.Error("a file other than the one checked was read")
		}
		if _, _, err := Read(good, 4, false, nil); !errors.Is(err, ErrTooLarge) {
			t.Errorf("over the limit: %v", err)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Read blocked")
	}
}

func TestWriteAtomicAndLock(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := WriteAtomic(p, []byte("a")); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("temporary files left: %d entries", len(entries))
	}
	unlock, err := Lock(p+".lock", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// flock is per open file: a second open in this process waits too.
	start := time.Now()
	if _, err := Lock(p+".lock", 100*time.Millisecond); !errors.Is(err, ErrLockTimeout) || time.Since(start) > 2*time.Second {
		t.Fatalf("second lock: %v", err)
	}
	unlock()
	unlock2, err := Lock(p+".lock", time.Second)
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	unlock2()
}

func TestCheckAncestors(t *testing.T) {
	dir := t.TempDir()
	if err := CheckAncestors(filepath.Join(dir, "a", "b")); err != nil {
		t.Fatalf("a private temp dir (under sticky /tmp): %v", err)
	}
	if err := CheckAncestors("relative"); err == nil {
		t.Fatal("a relative path was accepted")
	}
	open := filepath.Join(dir, "open")
	os.Mkdir(open, 0o777)
	os.Chmod(open, 0o777)
	if err := CheckAncestors(filepath.Join(open, "cache")); !errors.Is(err, ErrInsecure) {
		t.Fatalf("a world-writable parent: %v", err)
	}
	os.Symlink(open, filepath.Join(dir, "via"))
	if err := CheckAncestors(filepath.Join(dir, "via", "cache")); !errors.Is(err, ErrInsecure) {
		t.Fatalf("a world-writable parent through a link: %v", err)
	}
}
