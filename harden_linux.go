package main

import "syscall"

// harden makes the process non-dumpable (no core file, no ptrace by other
// processes of the user) and sets the core-file limit to zero, before any
// secret is read. Failures are ignored: they weaken, not break, tdjwt.
func harden() {
	const prSetDumpable = 4
	syscall.RawSyscall(syscall.SYS_PRCTL, prSetDumpable, 0, 0)
	syscall.Setrlimit(syscall.RLIMIT_CORE, &syscall.Rlimit{})
}
