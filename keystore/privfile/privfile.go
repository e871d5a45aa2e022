// Package privfile reads and writes the files that hold or guard tdjwt's
// secrets and settings (the file keystore, the config, the token cache)
// without trusting them: a file may be a FIFO, /dev/zero, a symlink, huge,
// or swapped between a check and a read. Reads open without blocking,
// require a regular file and are bounded; writes are atomic and 0600; locks
// are kernel locks that die with their holder.
package privfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// ErrInsecure: a file or directory that others could read or replace.
var ErrInsecure = errors.New("insecure permissions")

// ErrNotRegular: a FIFO, device, socket or directory where a file belongs.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge: a file larger than its reader accepts.
var ErrTooLarge = errors.New("file too large")

// Read reads path, which must be a regular file of at most limit bytes. The
// open does not block (a FIFO or a device is refused after the open, before
// any read), and a symlink is followed only when follow is set. checked, when
// not nil, is what the caller inspected with Lstat: the file opened must be
// that same file, so nothing was swapped in between.
func Read(path string, limit int64, follow bool, checked fs.FileInfo) ([]byte, fs.FileInfo, error) {
	f, err := openNonblock(path, follow)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fi, fmt.Errorf("%w: %s", ErrNotRegular, filepath.Base(path))
	}
	if checked != nil && !os.SameFile(fi, checked) {
		return nil, fi, errors.New("the file changed while being read")
	}
	if fi.Size() > limit {
		return nil, fi, fmt.Errorf("%w: %s has %d bytes, more than %d", ErrTooLarge, filepath.Base(path), fi.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fi, err
	}
	if int64(len(data)) > limit {
		return nil, fi, fmt.Errorf("%w: %s grew past %d bytes", ErrTooLarge, filepath.Base(path), limit)
	}
	return data, fi, nil
}

// WriteAtomic writes data to path with mode 0600 so that a reader sees the
// old content or the new, never a torn file: a temporary file in the same
// directory, fsync, rename, fsync of the directory.
func WriteAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(name, path); err != nil {
		return err
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: some filesystems refuse fsync on directories
		d.Close()
	}
	return nil
}

// ErrLockTimeout: another process held the lock for longer than the wait.
var ErrLockTimeout = errors.New("timed out waiting for another tdjwt")

// Lock takes an exclusive kernel lock on path (created 0600, never through a
// symlink), waiting at most wait. The kernel drops it when the holder exits,
// even by SIGKILL, so a crashed holder never blocks the others.
func Lock(path string, wait time.Duration) (unlock func(), err error) {
	f, err := openLockFile(path)
	if err != nil {
		return nil, err
	}
	// If the wait ends first, whoever finishes last of the waiter and the
	// locker gives the lock back, so an abandoned flock never outlives its
	// caller's interest in it.
	var mu sync.Mutex
	var lockErr error
	locked, abandoned := false, false
	release := func() { unlockFile(f); f.Close() }
	timedOut, _ := Within(wait, func() error {
		err := lockFile(f)
		mu.Lock()
		defer mu.Unlock()
		lockErr, locked = err, err == nil
		if abandoned {
			if locked {
				release()
			} else {
				f.Close()
			}
		}
		return nil
	})
	if timedOut {
		mu.Lock()
		defer mu.Unlock()
		if !locked && lockErr == nil {
			abandoned = true // the locker cleans up when flock returns
			return nil, ErrLockTimeout
		}
	}
	if lockErr != nil {
		f.Close()
		return nil, lockErr
	}
	return release, nil
}

// Within runs fn, giving up after wait: every blocking call tdjwt makes on
// something it does not control (a lock another process holds, a keychain
// daemon, a caller's stdin) goes through it. On timeout fn keeps running in
// its goroutine, blocked; the process ends soon anyway.
func Within(wait time.Duration, fn func() error) (timedOut bool, err error) {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case err := <-done:
		return false, err
	case <-t.C:
		return true, nil
	}
}
