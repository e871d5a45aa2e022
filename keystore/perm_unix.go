//go:build !windows

package keystore

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

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

// checkReadDir accepts a directory that others cannot change: owned by the
// user or root, not group- or world-writable unless sticky (others may
// list it: the files' own modes keep them private).
func checkReadDir(fi fs.FileInfo) error {
	if uid, ok := owner(fi); ok && int(uid) != os.Geteuid() && uid != 0 {
		return fmt.Errorf("%w: %s is owned by uid %d, neither you nor root", ErrInsecure, fi.Name(), uid)
	}
	if fi.Mode().Perm()&0o022 != 0 && fi.Mode()&fs.ModeSticky == 0 {
		return fmt.Errorf("%w: %s has mode %04o: others can replace its files", ErrInsecure, fi.Name(), fi.Mode().Perm())
	}
	return nil
}
