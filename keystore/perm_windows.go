package keystore

import (
	"fmt"
	"io/fs"
)

// CheckPrivate on Windows refuses symlinks only: access is governed by ACLs,
// which tdjwt does not inspect (README says so). A user profile directory is
// private by default.
func CheckPrivate(fi fs.FileInfo) error {
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%w: %s is a symbolic link", ErrInsecure, fi.Name())
	}
	return nil
}
