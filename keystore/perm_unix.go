//go:build !windows

package keystore

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// CheckPrivate refuses a symlink, anything group- or world-accessible, and
// anything not owned by the current user: the file keystore holds keys.
func CheckPrivate(fi fs.FileInfo) error {
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%w: %s is a symbolic link", ErrInsecure, fi.Name())
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%w: %s has mode %04o, readable by others", ErrInsecure, fi.Name(), perm)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("%w: %s is owned by uid %d, not by you", ErrInsecure, fi.Name(), st.Uid)
	}
	return nil
}
