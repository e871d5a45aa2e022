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
	br := bufio.NewReaderSize(io.LimitReader(r, MaxRequest+1), 4096)
	total := 0
	for n := 1; ; n++ {
		line, err := readLine(br)
		total += len(line) + 1
		if total > MaxRequest {
			return req, parseErr("git", "request larger than %d bytes", MaxRequest)
		}
		if err != nil && err != io.EOF {
			if errors.Is(err, errLineTooLong) {
				return req, parseErr("git", "line %d is longer than %d bytes", n, MaxGitLine)
			}
			return req, parseErr("git", "reading line %d: %v", n, err)
		}
		if len(line) == 0 {
			return req, nil // blank line or EOF ends the request
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
		if err == io.EOF {
			return req, nil
		}
	}
}

var errLineTooLong = errors.New("line too long")

// readLine returns one line without its LF (and CR before it). At EOF with
// no data it returns an empty line and io.EOF.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > MaxGitLine+2 {
			return nil, errLineTooLong
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > MaxGitLine {
			return nil, errLineTooLong
		}
		if err == io.EOF {
			return line, io.EOF
		}
		return line, nil
	}
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
