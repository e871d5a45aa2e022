package privfile

import (
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/windows"
)

// On Windows a FIFO cannot sit at a file path and opens do not block on
// devices the way they do on Unix; Read still requires a regular file.
func openNonblock(path string, follow bool) (*os.File, error) {
	if !follow {
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("%w: %s is a symbolic link", ErrInsecure, fi.Name())
		}
	}
	return os.Open(path)
}

func openLockFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}

func lockFile(f *os.File) error {
	return windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK, 0, 1, 0, new(windows.Overlapped))
}

func unlockFile(f *os.File) error {
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, new(windows.Overlapped))
}

// On Windows access is governed by ACLs, which tdjwt does not inspect: the
// user profile directory is private by default (README says so). Only
// symlinks are refused.

func CheckPrivate(fi fs.FileInfo) error {
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%w: %s is a symbolic link", ErrInsecure, fi.Name())
	}
	return nil
}

func CheckReadable(fs.FileInfo) error { return nil }
func CheckReadDir(fs.FileInfo) error  { return nil }
func CheckAncestors(dir string) error { return nil }
