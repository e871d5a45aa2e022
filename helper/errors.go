package helper

import (
	"errors"

	"tdjwt/keystore"
	"tdjwt/protocol"
)

// Code classifies an error for the caller: each has a stable exit code (set
// in main) and is the "code" of the JSON error object.
type Code string

const (
	CodeUsage         Code = "usage"                // bad flags or arguments
	CodeNotConfigured Code = "not_configured"       // unknown profile, missing secrets
	CodeKeystore      Code = "keystore_unavailable" // keychain or file keystore unusable
	CodeBadInput      Code = "bad_input"            // bad key, PAT, request, config or token
	CodeInternal      Code = "internal"             // anything else
)

// Error is what every helper operation returns on failure: a message and a
// hint, both free of secrets.
type Error struct {
	Code Code
	Msg  string
	Hint string
	Err  error
}

func (e *Error) Error() string {
	if e.Err != nil && e.Msg == "" {
		return e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

func fail(code Code, msg, hint string) *Error { return &Error{Code: code, Msg: msg, Hint: hint} }

// AsError turns any error into an *Error, classifying keystore sentinels;
// nil stays nil.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var ke *keystore.Error
	hint := ""
	if errors.As(err, &ke) {
		hint = ke.Hint
	}
	code := CodeInternal
	var pe *protocol.ParseError
	switch {
	case errors.As(err, &pe):
		code = CodeBadInput
	case errors.Is(err, keystore.ErrNotFound):
		code = CodeNotConfigured
	case errors.Is(err, keystore.ErrUnavailable), errors.Is(err, keystore.ErrInsecure), errors.Is(err, keystore.ErrTooBig):
		code = CodeKeystore
	case errors.Is(err, keystore.ErrBadSpec):
		code = CodeUsage
	}
	return &Error{Code: code, Msg: err.Error(), Hint: hint, Err: err}
}

// Hint returns err classified as AsError does, with hint as its hint.
func Hint(err error, hint string) error { return AsError(err).with("", hint) }

// with returns a copy of e with prefix before its message and, when hint is
// not empty, that hint: the callee's error is never changed in place.
func (e *Error) with(prefix, hint string) *Error {
	c := *e
	c.Msg = prefix + c.Error()
	if hint != "" {
		c.Hint = hint
	}
	return &c
}
