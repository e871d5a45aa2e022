//go:build !linux

package main

// harden: on macOS and Windows there is no prctl; README says what that
// leaves. On other Unix systems core files are limited where the OS allows.
func harden() {}
