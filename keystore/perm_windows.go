package keystore

import (
	"fmt"
	"io/fs"
)

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

func checkReadDir(fs.FileInfo) error { return nil }
