// Package helper does tdjwt's work: profiles and their settings, the Lake
// JWT's claims and signature (jwx v3), the token cache and expiry. It takes
// its environment (variables, clock, keystores, paths) injected, so that
// tests can fake any of it; it never touches os.Args or exits.
package helper

import (
	"fmt"
	"io"
	"time"

	"tdjwt/keystore"
	"tdjwt/keystore/privfile"
)

// Helper runs tdjwt's operations.
type Helper struct {
	Getenv     func(string) string
	Now        func() time.Time
	OpenStore  func(spec string) (keystore.Store, error)
	ConfigPath string
	// CacheDir is where tokens are cached; "" turns the cache off.
	CacheDir string
	// Debug receives step-by-step log lines; nil discards them.
	Debug io.Writer
}

// Within runs fn with a bound on how long the caller waits for it (see
// privfile.Within): for reads of a caller's stdin.
func Within(wait time.Duration, fn func() error) (timedOut bool, err error) {
	return privfile.Within(wait, fn)
}

// SecretVariable reports whether an environment variable holds one of
// tdjwt's secrets: child processes (git) never inherit it.
func SecretVariable(name string) bool { return keystore.SecretVariable(name) }

// New returns a Helper for a process: its environment, clock and the OS's
// config and cache directories (used when the environment names none). It
// checks the settings in the environment: a mistyped variable is an error
// before anything else runs.
func New(getenv func(string) string, now func() time.Time, userConfigDir, userCacheDir func() (string, error), debug io.Writer) (*Helper, error) {
	cfg, err := ConfigPath(getenv, userConfigDir)
	if err != nil {
		return nil, err
	}
	cache, err := CacheDir(getenv, userCacheDir)
	if err != nil {
		return nil, err
	}
	if err := keystore.CheckEnv(getenv); err != nil {
		return nil, AsError(err)
	}
	h := &Helper{Getenv: getenv, Now: now, ConfigPath: cfg, CacheDir: cache, Debug: debug, OpenStore: keystore.NewOpener(getenv)}
	h.debugf("config %s, cache %s", cfg, cache)
	return h, nil
}

func (h *Helper) debugf(format string, a ...any) {
	if h.Debug != nil {
		fmt.Fprintf(h.Debug, "tdjwt: debug: "+format+"\n", a...)
	}
}

// resolveKeystore: an explicit choice, else $TDJWT_KEYSTORE, else the
// profile's, else the OS keychain. from says which, for messages.
func (h *Helper) resolveKeystore(explicit, remembered string) (spec, from string) {
	if explicit != "" {
		return explicit, ""
	}
	if v := h.Getenv("TDJWT_KEYSTORE"); v != "" {
		return v, "$TDJWT_KEYSTORE"
	}
	if remembered != "" {
		return remembered, ""
	}
	return "keyring", ""
}

// openStore opens spec; when $TDJWT_KEYSTORE chose it, errors say so.
func (h *Helper) openStore(spec, from string) (keystore.Store, error) {
	s, err := h.OpenStore(spec)
	if err != nil {
		return nil, blame(err, from)
	}
	return s, nil
}

// blame names an override that caused err: a variable set long ago in a
// shell profile is easy to forget.
func blame(err error, from string) error {
	if err == nil || from == "" {
		return err
	}
	e := AsError(err).with("", "")
	e.Msg += " (the keystore was chosen by " + from + ")"
	e.Hint += "; unset " + from[1:] + " to use the profile's own keystore"
	return e
}
