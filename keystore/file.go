package keystore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// File keeps one file per item in a private directory: for headless
// servers, CI runners and containers with a mounted secret volume.
type File struct {
	Dir string
}

var _ Store = (*File)(nil)

// NewFile returns the file store in dir, which must be an absolute path so
// that the profile remembers the same place from any working directory.
func NewFile(dir string) (*File, error) {
	if !filepath.IsAbs(dir) {
		return nil, &Error{Op: "open", Store: "file:" + dir, Err: ErrBadSpec, Hint: "give file: an absolute directory, e.g. file:$HOME/.tdjwt-secrets"}
	}
	return &File{Dir: filepath.Clean(dir)}, nil
}

func (f *File) Spec() string { return "file:" + f.Dir }

func (f *File) path(item string) string { return filepath.Join(f.Dir, item) }

func (f *File) fail(op, item string, err error, hint string) error {
	return &Error{Op: op, Store: f.Spec(), Item: item, Err: err, Hint: hint}
}

func (f *File) Get(item string) ([]byte, error) {
	if err := f.checkDir(); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, f.fail("read", item, ErrNotFound, "run tdjwt login with --keystore "+f.Spec())
		}
		return nil, f.fail("read", item, err, f.dirHint(err))
	}
	p := f.path(item)
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, f.fail("read", item, ErrNotFound, "run tdjwt login again for this profile")
	}
	if err != nil {
		return nil, f.fail("read", item, wrapped{ErrUnavailable, err}, "check that the file is readable by you")
	}
	if err := CheckPrivate(fi); err != nil {
		return nil, f.fail("read", item, err, "fix it with: chmod 600 "+p)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, f.fail("read", item, wrapped{ErrUnavailable, err}, "check that the file is readable by you")
	}
	return b, nil
}

func (f *File) Set(item string, value []byte) error {
	if err := os.MkdirAll(f.Dir, 0o700); err != nil {
		return f.fail("write", item, wrapped{ErrUnavailable, err}, "check that you can create "+f.Dir)
	}
	if err := f.checkDir(); err != nil {
		return f.fail("write", item, err, f.dirHint(err))
	}
	if err := WriteFileAtomic(f.path(item), value); err != nil {
		return f.fail("write", item, wrapped{ErrUnavailable, err}, "check free space and permissions in "+f.Dir)
	}
	return nil
}

func (f *File) Delete(item string) error {
	err := os.Remove(f.path(item))
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return f.fail("delete", item, wrapped{ErrUnavailable, err}, "remove the file by hand: rm "+f.path(item))
}

func (f *File) checkDir() error {
	fi, err := os.Lstat(f.Dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w: %s is not a directory", ErrInsecure, f.Dir)
	}
	return CheckPrivate(fi)
}

func (f *File) dirHint(err error) string {
	if errors.Is(err, ErrInsecure) {
		return "fix it with: chmod 700 " + f.Dir
	}
	return "check that " + f.Dir + " exists and is yours"
}

// WriteFileAtomic writes data to path with mode 0600 so that a reader sees
// the old content or the new, never a torn file: a temporary file in the
// same directory, fsync, rename, fsync of the directory.
func WriteFileAtomic(path string, data []byte) error {
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
