//go:build !windows

package helper

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// lockFile takes an exclusive kernel lock (flock) on path, waiting at most
// wait. The kernel drops it when the holder exits, even by SIGKILL, so a
// crashed minter never blocks the others.
func lockFile(path string, wait time.Duration) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }()
	select {
	case err := <-done:
		if err != nil {
			f.Close()
			return nil, err
		}
		return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
	case <-time.After(wait):
		// The goroutine stays blocked; the process ends soon anyway.
		return nil, errors.New("timed out waiting for another tdjwt")
	}
}
