// Command tdjwt returns freshly signed Teradata VantageCloud Lake JWTs from a
// key and a personal access token kept in the OS keychain, in the protocol
// of its caller: exec credential, git credential helper, or JSON for scripts.
//
// This file is the only one that touches the process: arguments,
// environment, standard streams, the terminal and the exit code.
package main

import (
	"os"
	"path/filepath"
	"time"

	"golang.org/x/term"
)

func main() {
	stdinTTY := term.IsTerminal(int(os.Stdin.Fd()))
	os.Exit(run(&sys{
		args:     os.Args,
		stdin:    os.Stdin,
		stdout:   os.Stdout,
		stderr:   os.Stderr,
		getenv:   os.Getenv,
		stdinTTY: stdinTTY,
		readPassword: func() ([]byte, error) {
			return term.ReadPassword(int(os.Stdin.Fd()))
		},
		executable: func() (string, error) {
			p, err := os.Executable()
			if err != nil {
				return "", err
			}
			return filepath.EvalSymlinks(p)
		},
		now:     time.Now,
		harden:  harden,
		environ: os.Environ,
	}))
}
