package keystore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"tdjwt/keystore/privfile"
)

// MaxItem bounds an item file read: a split-free RSA-8192 item is under 8 KB.
const MaxItem = 64 << 10

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
		why, hint := "the directory must be an absolute path", "give file: an absolute directory, e.g. file:$HOME/.tdjwt-secrets"
		if strings.HasPrefix(dir, "~") {
			why, hint = "tdjwt does not expand ~", "write file:$HOME"+strings.TrimPrefix(dir, "~")+" and let the shell expand $HOME"
		}
		return nil, &Error{Op: "open", Store: "file:" + clip(dir), Err: fmt.Errorf("%w: %s", ErrBadSpec, why), Hint: hint}
	}
	return &File{Dir: filepath.Clean(dir)}, nil
}

func (f *File) Spec() string { return "file:" + f.Dir }

func (f *File) path(item string) string { return filepath.Join(f.Dir, item) }

func (f *File) fail(op, item string, err error, hint string) error {
	return &Error{Op: op, Store: f.Spec(), Item: item, Err: err, Hint: hint}
}

// Get reads DIR/item. It follows a symlink only when it stays inside DIR,
// as in a Kubernetes secret volume (item -> ..data/item, ..data ->
// ..2026_11_26_...), and refuses files that others can read.
func (f *File) Get(item string) ([]byte, error) {
	di, err := os.Lstat(f.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, f.fail("read", item, ErrNotFound, "run tdjwt login with --keystore "+f.Spec())
	}
	if err != nil {
		return nil, f.fail("read", item, wrapped{ErrUnavailable, err}, "check that "+f.Dir+" is readable by you")
	}
	if !di.IsDir() {
		return nil, f.fail("read", item, fmt.Errorf("%w: %s is not a directory", ErrInsecure, f.Dir), "give file: a directory")
	}
	if err := privfile.CheckReadDir(di); err != nil {
		return nil, f.fail("read", item, err, "fix it with: chmod go-w "+f.Dir)
	}
	p := f.path(item)
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, f.fail("read", item, ErrNotFound, "run tdjwt login again for this profile")
	}
	if err != nil {
		return nil, f.fail("read", item, wrapped{ErrUnavailable, err}, "check that the file is readable by you")
	}
	linked := fi.Mode()&fs.ModeSymlink != 0
	if linked {
		real, err := f.inside(p)
		if err != nil {
			return nil, f.fail("read", item, err, "the link must point inside "+f.Dir+" (as Kubernetes secret volumes do)")
		}
		p = real
		if fi, err = os.Lstat(p); err != nil {
			return nil, f.fail("read", item, wrapped{ErrUnavailable, err}, "check the link")
		}
	}
	if !fi.Mode().IsRegular() {
		return nil, f.fail("read", item, fmt.Errorf("%w: %s is not a regular file", ErrInsecure, item), "remove it and run tdjwt login again")
	}
	if err := privfile.CheckReadable(fi); err != nil {
		hint := "fix it with: chmod 600 " + p
		if linked {
			hint = "mount the secret volume read-only with defaultMode: 0400 (or 0600), or chmod 400 the files"
		}
		return nil, f.fail("read", item, err, hint)
	}
	b, _, err := privfile.Read(p, MaxItem, false, fi)
	if err != nil {
		return nil, f.fail("read", item, wrapped{ErrUnavailable, err}, "check that the file is readable by you")
	}
	return b, nil
}

// inside resolves the link p and checks that the target stays in DIR.
func (f *File) inside(p string) (string, error) {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", wrapped{ErrUnavailable, err}
	}
	base, err := filepath.EvalSymlinks(f.Dir)
	if err != nil {
		return "", wrapped{ErrUnavailable, err}
	}
	rel, err := filepath.Rel(base, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", fmt.Errorf("%w: %s links outside %s", ErrInsecure, filepath.Base(p), f.Dir)
	}
	return real, nil
}

func (f *File) Set(item string, value []byte) error {
	if err := os.MkdirAll(f.Dir, 0o700); err != nil {
		return f.fail("write", item, wrapped{ErrUnavailable, err}, "check that you can create "+f.Dir)
	}
	if err := f.checkDir(); err != nil {
		return f.fail("write", item, err, f.dirHint(err))
	}
	if err := privfile.WriteAtomic(f.path(item), value); err != nil {
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
	return privfile.CheckPrivate(fi)
}

func (f *File) dirHint(err error) string {
	if errors.Is(err, ErrInsecure) {
		return "fix it with: chmod 700 " + f.Dir
	}
	return "check that " + f.Dir + " exists and is yours"
}

// MaxValue: files have no item limit.
func (f *File) MaxValue() int { return 0 }
