package protocol

import (
	"io"
	"time"
)

// TokenResponse is tdjwt's JSON answer to scripts (`tdjwt token --format json`).
// The field names and types are a public contract.
type TokenResponse struct {
	Token               string `json:"token"`
	ExpirationTimestamp string `json:"expirationTimestamp"`
	ExpiresAt           int64  `json:"expiresAt"`
	Profile             string `json:"profile"`
}

// NewTokenResponse fills both expiry fields from one instant.
func NewTokenResponse(token string, expiry time.Time, profile string) TokenResponse {
	return TokenResponse{Token: token, ExpirationTimestamp: Timestamp(expiry), ExpiresAt: expiry.Unix(), Profile: profile}
}

// WriteToken writes r as one JSON object and a newline.
func WriteToken(w io.Writer, r TokenResponse) error { return writeJSON(w, r) }

// ErrorBody is the machine-readable error of the JSON mode.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// WriteError writes {"error": {...}} and a newline.
func WriteError(w io.Writer, e ErrorBody) error {
	return writeJSON(w, struct {
		Error ErrorBody `json:"error"`
	}{e})
}
