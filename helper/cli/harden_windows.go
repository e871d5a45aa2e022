package cli

// Harden on Windows: nothing; there are no core files, and process memory is
// protected by the user's ACLs. README says so.
func Harden() {}
