//go:build !linux && !windows

package main

import "syscall"

// harden on macOS and the BSDs: no prctl, but core files can be turned off
// before any secret is read. README says what is left.
func harden() {
	syscall.Setrlimit(syscall.RLIMIT_CORE, &syscall.Rlimit{})
}
