//go:build !linux && !windows

package cli

import "syscall"

// Harden on macOS and the BSDs: no prctl, but core files can be turned off
// before any secret is read. README says what is left.
func Harden() {
	syscall.Setrlimit(syscall.RLIMIT_CORE, &syscall.Rlimit{})
}
