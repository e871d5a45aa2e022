package keystore

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/zalando/go-keyring"

	"tdjwt/keystore/privfile"
)

// Service is the keychain service name of every tdjwt item.
const Service = "tdjwt"

// DefaultTimeout bounds each keychain call: go-keyring has no timeout of its
// own, and a Secret Service that never answers must not hang the caller.
const DefaultTimeout = 10 * time.Second

// Keyring stores items in the OS keychain under service "tdjwt", account
// = item name.
type Keyring struct {
	// timeout bounds each call; deadline, when set, bounds all the calls of
	// the keyrings of one opener together.
	timeout  time.Duration
	deadline *time.Time
	// limit is the largest value stored in one item; 0 means no limit.
	limit  int
	getenv func(string) string
	reader reader // what reads keep between calls (Linux: one session)
}

// osItemLimit: Windows' Credential Manager refuses blobs over 2,560 bytes;
// macOS's keychain, reached through /usr/bin/security, fails somewhere
// between 3,000 and 4,096 bytes after go-keyring's encoding. The Secret
// Service has no practical limit.
func osItemLimit() int {
	switch runtime.GOOS {
	case "windows":
		return 2400
	case "darwin":
		return 1800
	}
	return 0
}

// MaxValue is the per-item limit (see osItemLimit).
func (k *Keyring) MaxValue() int { return k.limit }

var _ Store = (*Keyring)(nil)

// newKeyring reads the keyring's settings from the environment:
// TDJWT_KEYRING_TIMEOUT (a Go duration or seconds) and
// TDJWT_KEYRING_ITEM_LIMIT (bytes per item, for keychains with limits).
func newKeyring(getenv func(string) string) (*Keyring, error) {
	k := &Keyring{timeout: DefaultTimeout, limit: osItemLimit(), getenv: getenv}
	if v := getenv("TDJWT_KEYRING_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if n, nerr := strconv.Atoi(v); nerr == nil {
			d, err = time.Duration(n)*time.Second, nil
		}
		if err != nil || d <= 0 {
			return nil, &Error{Op: "open", Store: "keyring", Err: fmt.Errorf("%w: TDJWT_KEYRING_TIMEOUT %q is not a positive duration", ErrBadSpec, clip(v)),
				Hint: "write e.g. TDJWT_KEYRING_TIMEOUT=5s"}
		}
		k.timeout = d
	}
	if v := getenv("TDJWT_KEYRING_ITEM_LIMIT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 256 {
			return nil, &Error{Op: "open", Store: "keyring", Err: fmt.Errorf("%w: TDJWT_KEYRING_ITEM_LIMIT %q is not a byte count of 256 or more", ErrBadSpec, clip(v)),
				Hint: "write e.g. TDJWT_KEYRING_ITEM_LIMIT=2000, or unset it"}
		}
		k.limit = n
	}
	return k, nil
}

func (k *Keyring) Spec() string { return "keyring" }

func (k *Keyring) Get(item string) ([]byte, error) {
	var v []byte
	err := k.call("read", item, func() (err error) {
		v, err = k.read(item)
		return err
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

func (k *Keyring) Set(item string, value []byte) error {
	return k.call("write", item, func() error { return keyring.Set(Service, item, string(value)) })
}

func (k *Keyring) Delete(item string) error {
	err := k.call("delete", item, func() error { return keyring.Delete(Service, item) })
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// call checks for a usable bus, then runs fn with a deadline, and turns
// go-keyring's and D-Bus's errors into sentinels with hints.
func (k *Keyring) call(op, item string, fn func() error) error {
	if err := sessionBus(k.getenv); err != nil {
		return &Error{Op: op, Store: "keyring", Item: item, Err: wrapped{ErrUnavailable, err},
			Hint: "start a desktop session with a Secret Service (gnome-keyring, KeePassXC), or use --keystore file:DIR on a headless machine"}
	}
	wait := k.timeout
	if k.deadline != nil {
		if k.deadline.IsZero() {
			*k.deadline = time.Now().Add(k.timeout)
		}
		wait = min(wait, time.Until(*k.deadline))
	}
	timeout := &Error{Op: op, Store: "keyring", Item: item, Err: fmt.Errorf("%w: no answer within %s", ErrUnavailable, k.timeout),
		Hint: "check that the keychain service is running and not waiting on a prompt; TDJWT_KEYRING_TIMEOUT sets the limit"}
	if wait <= 0 {
		return timeout
	}
	timedOut, err := privfile.Within(wait, fn)
	if timedOut {
		return timeout
	}
	if err == nil {
		return nil
	}
	e := &Error{Op: op, Store: "keyring", Item: item}
	msg := err.Error()
	switch {
	case errors.Is(err, keyring.ErrNotFound):
		e.Err = ErrNotFound
		e.Hint = "run tdjwt login again for this profile"
	case errors.Is(err, keyring.ErrSetDataTooBig):
		e.Err = wrapped{ErrTooBig, err}
		e.Hint = "the keychain refuses secrets this large; use a 2048- or 3072-bit key or --keystore file:DIR"
	case strings.Contains(msg, "failed to unlock"):
		e.Err = wrapped{ErrUnavailable, errors.New("the keyring is locked")}
		e.Hint = "unlock it: on a desktop, log in to the session; headless: printf '%s' \"$PASSWORD\" | gnome-keyring-daemon --replace --unlock --components=secrets"
	case strings.Contains(msg, "org.freedesktop.secrets"), strings.Contains(msg, "dbus"), strings.Contains(msg, "ServiceUnknown"):
		e.Err = wrapped{ErrUnavailable, err}
		e.Hint = "no Secret Service answers on the session bus: start gnome-keyring-daemon or KeePassXC's Secret Service, or use --keystore file:DIR"
	default:
		e.Err = wrapped{ErrUnavailable, err}
		e.Hint = "check that the OS keychain is reachable, or use --keystore file:DIR"
	}
	return e
}
