// Package protocol parses and formats the wire formats tdjwt speaks with its
// callers: the client-go exec credential (ExecCredential JSON), git's
// credential helper lines, and tdjwt's own JSON for scripts.
//
// It does no I/O of its own: callers hand in bytes or readers and writers.
// The rules followed are those in shared/REFERENCE.md, sections 2 and 3.
package protocol

import (
	"fmt"
	"time"
)

// MaxRequest caps what a caller may send on stdin. A real request is a few
// hundred bytes; the cap keeps a runaway writer from exhausting memory.
const MaxRequest = 1 << 20

// ParseError says which format was malformed and how. It never carries the
// offending input, which may hold secrets.
type ParseError struct {
	Format string // "exec", "git"
	Msg    string
}

func (e *ParseError) Error() string { return e.Format + " request: " + e.Msg }

func parseErr(format, f string, a ...any) error {
	return &ParseError{Format: format, Msg: fmt.Sprintf(f, a...)}
}

// Timestamp formats t as RFC 3339 in UTC with a Z and no fractional seconds,
// the one layout every exec-credential client parses.
func Timestamp(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05Z")
}
