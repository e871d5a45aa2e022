package protocol

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxGitLine caps one key=value line. git has no documented limit; real
// lines (URLs, WWW-Authenticate headers) stay far below it.
const MaxGitLine = 64 << 10

// Attr is one key=value line of git's credential protocol. A list attribute
// keeps its brackets in Key ("capability[]").
type Attr struct {
	Key, Value string
}

// GitRequest holds what git sent: single attributes by key, and list
// attributes ("key[]") by key without the brackets.
type GitRequest struct {
	Fields map[string]string
	Lists  map[string][]string
}

// Get returns the single attribute key, or "".
func (r GitRequest) Get(key string) string { return r.Fields[key] }

// Has reports whether the list attribute name ("capability") holds value.
func (r GitRequest) Has(name, value string) bool {
	for _, v := range r.Lists[name] {
		if v == value {
			return true
		}
	}
	return false
}

// ParseGitRequest reads key=value lines until a blank line or EOF, with git's
// rules: CRLF is accepted, a later single attribute replaces an earlier one,
// "key[]=" with an empty value clears that list, and keys tdjwt does not
// know are kept but otherwise ignored. A line with no '=', an empty key, a
// NUL byte, invalid UTF-8 in a key, an over-long line or an over-large
// request is a *ParseError.
func ParseGitRequest(r io.Reader) (GitRequest, error) {
	req := GitRequest{Fields: map[string]string{}, Lists: map[string][]string{}}
	sc := bufio.NewScanner(io.LimitReader(r, MaxRequest+1))
	sc.Buffer(make([]byte, 4096), MaxGitLine+2) // the line, CR and LF
	total := 0
	for n := 1; sc.Scan(); n++ {
		total += len(sc.Bytes()) + 1
		if total > MaxRequest {
			return req, parseErr("git", "request larger than %d bytes", MaxRequest)
		}
		line := bytes.TrimSuffix(sc.Bytes(), []byte("\r"))
		if len(line) == 0 {
			return req, nil // a blank line ends the request
		}
		if len(line) > MaxGitLine {
			return req, parseErr("git", "line %d is longer than %d bytes", n, MaxGitLine)
		}
		if bytes.IndexByte(line, 0) >= 0 {
			return req, parseErr("git", "line %d contains a NUL byte", n)
		}
		k, v, ok := strings.Cut(string(line), "=")
		if !ok || k == "" {
			return req, parseErr("git", "line %d is not key=value", n)
		}
		if !utf8.ValidString(k) {
			return req, parseErr("git", "line %d has a key that is not UTF-8", n)
		}
		if name, isList := strings.CutSuffix(k, "[]"); isList {
			if v == "" {
				delete(req.Lists, name)
			} else {
				req.Lists[name] = append(req.Lists[name], v)
			}
		} else {
			req.Fields[k] = v
		}
	}
	switch err := sc.Err(); {
	case errors.Is(err, bufio.ErrTooLong):
		return req, parseErr("git", "a line is longer than %d bytes", MaxGitLine)
	case err != nil:
		return req, parseErr("git", "reading the request: %v", err)
	}
	return req, nil // end of input ends the request too
}

// FormatGit writes attrs as key=value lines, in order. git forbids newlines
// and NUL in values and '=' in keys, and strips a CR before the newline; such
// an attribute is an error and nothing is written.
func FormatGit(w io.Writer, attrs []Attr) error {
	var b bytes.Buffer
	for _, a := range attrs {
		if a.Key == "" || strings.ContainsAny(a.Key, "=\n\x00") || strings.ContainsAny(a.Value, "\n\x00") || strings.HasSuffix(a.Value, "\r") {
			return errors.New("git attribute " + strconv.Quote(clip(a.Key)) + " cannot be written in git's format")
		}
		b.WriteString(a.Key)
		b.WriteByte('=')
		b.WriteString(a.Value)
		b.WriteByte('\n')
	}
	_, err := w.Write(b.Bytes())
	return err
}

// GitCredential is the answer to git's get.
type GitCredential struct {
	Username string
	Token    string
	Expiry   int64 // Unix seconds; git 2.40+ drops the credential after it
	// Bearer answers with authtype=Bearer (git 2.46+), only when git
	// advertised capability[]=authtype.
	Bearer bool
}

// WriteGitCredential writes c in a fixed field order.
func WriteGitCredential(w io.Writer, c GitCredential) error {
	exp := strconv.FormatInt(c.Expiry, 10)
	if c.Bearer {
		return FormatGit(w, []Attr{
			{"capability[]", "authtype"},
			{"authtype", "Bearer"},
			{"credential", c.Token},
			{"ephemeral", "true"},
			{"password_expiry_utc", exp},
		})
	}
	return FormatGit(w, []Attr{
		{"username", c.Username},
		{"password", c.Token},
		{"password_expiry_utc", exp},
	})
}
