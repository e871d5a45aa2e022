package cli

import "golang.org/x/sys/unix"

// Harden makes the process non-dumpable (no core file, no ptrace by other
// processes of the user) and sets the core-file limit to zero, before any
// secret is read. Failures are ignored: they weaken, not break, tdjwt.
func Harden() {
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
}
