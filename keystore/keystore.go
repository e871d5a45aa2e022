// Package keystore keeps tdjwt's secrets: in the OS keychain through
// go-keyring (macOS Keychain, Windows Credential Manager, the Secret Service
// on Linux), or, for headless servers and containers, in files in a private
// directory. Callers see one small interface and sentinel errors; backend
// errors are wrapped with the item's name, never its value.
package keystore

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"tdjwt/keystore/privfile"
)

// Sentinel errors; test with errors.Is.
var (
	ErrNotFound    = errors.New("item not found")
	ErrUnavailable = errors.New("keystore unavailable")
	ErrTooBig      = errors.New("secret too big for this keystore")
	ErrInsecure    = privfile.ErrInsecure
	ErrBadSpec     = errors.New("unknown keystore")
)

// Store is a place for secrets, addressed by item name.
type Store interface {
	// Get returns the item's value, or an error wrapping ErrNotFound.
	Get(item string) ([]byte, error)
	// Set creates or replaces the item as a whole.
	Set(item string, value []byte) error
	// Delete removes the item; deleting a missing item is not an error.
	Delete(item string) error
	// Spec names the store as the user writes it: "keyring" or "file:DIR".
	Spec() string
	// MaxValue is the largest value one item holds (0: no limit); callers
	// split larger values across items.
	MaxValue() int
}

// Error wraps a backend failure with the operation, store and item name,
// and a hint that says what to do. It never holds a secret.
type Error struct {
	Op, Store, Item string
	Err             error // a sentinel, possibly wrapping the backend's error
	Hint            string
}

func (e *Error) Error() string {
	if e.Item == "" {
		return e.Store + ": " + e.Err.Error()
	}
	return e.Store + ": " + e.Op + " " + e.Item + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// wrapped joins a sentinel and a backend error so that errors.Is finds the
// sentinel and the message keeps the backend's words.
type wrapped struct {
	sentinel, cause error
}

func (w wrapped) Error() string   { return w.sentinel.Error() + ": " + w.cause.Error() }
func (w wrapped) Unwrap() []error { return []error{w.sentinel, w.cause} }

// Open returns the store named by spec: "keyring", "file:DIR" or "env".
// getenv is the process environment: the keyring needs it to find the
// session bus, and reads its settings from it (TDJWT_KEYRING_TIMEOUT,
// TDJWT_KEYRING_ITEM_LIMIT); the env keystore reads its secrets from it.
func Open(spec string, getenv func(string) string) (Store, error) {
	return NewOpener(getenv)(spec)
}

// NewOpener returns an Open whose keyrings share one deadline, set at the
// first keychain call: all the keychain work of one command (a login makes
// several calls) is bounded by one timeout, so a stopped keyring cannot
// multiply the wait.
func NewOpener(getenv func(string) string) func(spec string) (Store, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	deadline := new(time.Time)
	return func(spec string) (Store, error) {
		if err := CheckEnv(getenv); err != nil {
			return nil, err
		}
		switch {
		case spec == "keyring":
			k, err := newKeyring(getenv)
			if err != nil {
				return nil, err
			}
			k.deadline = deadline
			return k, nil
		case spec == "env":
			return NewEnv(getenv), nil
		case strings.HasPrefix(spec, "file:"):
			dir := strings.TrimPrefix(spec, "file:")
			if dir == "" {
				return nil, &Error{Op: "open", Store: spec, Err: fmt.Errorf("%w: file: needs a directory", ErrBadSpec), Hint: "write file:DIR with an absolute directory, e.g. file:/var/run/secrets/tdjwt"}
			}
			return NewFile(dir)
		}
		hint := "use keyring, file:DIR (an absolute directory) or env"
		if near := nearestSpec(spec); near != "" {
			hint = "did you mean " + near + "? " + hint
		}
		return nil, &Error{Op: "open", Store: strconv.Quote(clip(spec)), Err: ErrBadSpec, Hint: hint}
	}
}

// CheckEnv checks the keystores' settings in the environment, so that a
// mistyped variable is an error even when no keychain is opened.
func CheckEnv(getenv func(string) string) error {
	_, err := newKeyring(getenv)
	return err
}

// nearestSpec names the keystore a mistyped spec most likely meant.
func nearestSpec(spec string) string {
	switch strings.ToLower(spec) {
	case "keychain", "keyrings", "key-ring", "secret-service", "secretservice", "os", "wincred", "credential-manager", "libsecret":
		return "keyring"
	case "environment", "envs", "environ":
		return "env"
	case "file", "files", "dir":
		return "file:DIR"
	}
	return ""
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
