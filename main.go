// Command tdjwt returns freshly signed Teradata VantageCloud Lake JWTs from a
// key and a personal access token kept in the OS keychain, in the protocol
// of its caller: exec credential, git credential helper, or JSON for scripts.
//
// This file is the only one that touches the process: arguments,
// environment, standard streams, the terminal, child processes and the exit
// code. The command line itself is tdjwt/helper/cli.
package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"time"

	"golang.org/x/term"

	"tdjwt/helper/cli"
)

// version is stamped by the build (-ldflags "-X main.version=...").
var version = ""

// Exit codes: a stable contract, documented in README, chosen here only.
var exitCodes = map[string]int{
	"internal":             1,
	"usage":                2,
	"not_configured":       3,
	"keystore_unavailable": 4,
	"bad_input":            5,
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if code, ok := exitCodes[cli.Code(err)]; ok {
		return code
	}
	return 1
}

func main() {
	// A panic in any goroutine prints no stack trace: its values may hold
	// secrets. (Run also recovers the main goroutine's panics.)
	debug.SetTraceback("none")
	os.Exit(exitCode(cli.Run(&cli.Process{
		Args:     os.Args,
		Stdin:    os.Stdin,
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
		Getenv:   os.Getenv,
		Environ:  os.Environ,
		StdinTTY: term.IsTerminal(int(os.Stdin.Fd())),
		ReadPassword: func() ([]byte, error) {
			return term.ReadPassword(int(os.Stdin.Fd()))
		},
		Executable: func() (string, error) {
			p, err := os.Executable()
			if err != nil {
				return "", err
			}
			return filepath.EvalSymlinks(p)
		},
		Now:           time.Now,
		Harden:        cli.Harden,
		Command:       exec.Command,
		UserConfigDir: os.UserConfigDir,
		UserCacheDir:  os.UserCacheDir,
		Version:       version,
	})))
}
