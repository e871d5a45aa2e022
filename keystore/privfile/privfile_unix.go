//go:build !windows

package privfile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

func openNonblock(path string, follow bool) (*os.File, error) {
	flags := unix.O_RDONLY | unix.O_NONBLOCK | unix.O_CLOEXEC
	if !follow {
		flags |= unix.O_NOFOLLOW
	}
	fd, err := unix.Open(path, flags, 0)
	if err != nil {
		if err == unix.ELOOP && !follow {
			return nil, fmt.Errorf("%w: %s is a symbolic link", ErrInsecure, filepath.Base(path))
		}
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

func openLockFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
}

func lockFile(f *os.File) error   { return unix.Flock(int(f.Fd()), unix.LOCK_EX) }
func unlockFile(f *os.File) error { return unix.Flock(int(f.Fd()), unix.LOCK_UN) }

func owner(fi fs.FileInfo) (uint32, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return st.Uid, true
}

// CheckPrivate refuses a symlink, anything group- or world-accessible, and
// anything not owned by the current user: what tdjwt writes holds secrets.
func CheckPrivate(fi fs.FileInfo) error {
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%w: %s is a symbolic link", ErrInsecure, fi.Name())
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%w: %s has mode %04o, open to others", ErrInsecure, fi.Name(), perm)
	}
	if uid, ok := owner(fi); ok && int(uid) != os.Geteuid() {
		return fmt.Errorf("%w: %s is owned by uid %d, not by you", ErrInsecure, fi.Name(), uid)
	}
	return nil
}

// CheckReadable is CheckPrivate for a file tdjwt only reads, which may
// also belong to root (as a Kubernetes secret volume's files do).
func CheckReadable(fi fs.FileInfo) error {
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%w: %s has mode %04o, readable by others", ErrInsecure, fi.Name(), perm)
	}
	if uid, ok := owner(fi); ok && int(uid) != os.Geteuid() && uid != 0 {
		return fmt.Errorf("%w: %s is owned by uid %d, neither you nor root", ErrInsecure, fi.Name(), uid)
	}
	return nil
}

// CheckReadDir accepts a directory that others cannot change: owned by the
// user or root, not group- or world-writable unless sticky (others may list
// it: the files' own modes keep them private).
func CheckReadDir(fi fs.FileInfo) error {
	if uid, ok := owner(fi); ok && int(uid) != os.Geteuid() && uid != 0 {
		return fmt.Errorf("%w: %s is owned by uid %d, neither you nor root", ErrInsecure, fi.Name(), uid)
	}
	if fi.Mode().Perm()&0o022 != 0 && fi.Mode()&fs.ModeSticky == 0 {
		return fmt.Errorf("%w: %s has mode %04o: others can replace its files", ErrInsecure, fi.Name(), fi.Mode().Perm())
	}
	return nil
}

// CheckAncestors checks, as OpenSSH's StrictModes does, every existing
// directory from dir up to the root, after resolving symlinks: each must be
// owned by you or root and not writable by others (a sticky directory such
// as /tmp is fine: others cannot rename what is yours in it). A parent that
// another user controls could swap the directory under tdjwt.
func CheckAncestors(dir string) error {
	if !filepath.IsAbs(dir) {
		return fmt.Errorf("%s is not an absolute path", dir)
	}
	p := filepath.Clean(dir)
	for {
		if _, err := os.Lstat(p); err == nil {
			break
		}
		parent := filepath.Dir(p)
		if parent == p {
			return nil
		}
		p = parent
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return err
	}
	for {
		fi, err := os.Lstat(real)
		if err != nil {
			return err
		}
		if err := CheckReadDir(fi); err != nil {
			return fmt.Errorf("%w (in %s)", err, real)
		}
		parent := filepath.Dir(real)
		if parent == real {
			return nil
		}
		real = parent
	}
}
