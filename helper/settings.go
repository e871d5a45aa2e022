package helper

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults of a new profile.
const (
	DefaultLifetime = time.Hour
	MaxLifetime     = 365 * 24 * time.Hour
	DefaultIssuer   = "tdjwt"
	DefaultOrgClaim = "org_id"
	DefaultIssuedAt = "60s" // iat = now - 60 s: tolerates a client clock running ahead
	MinMargin       = 60 * time.Second
	// MinLifetime: a token that lives less than a minute is stale before
	// most API calls that carry it are answered.
	MinLifetime = 60 * time.Second
)

// parseLifetime accepts a Go duration ("1h", "90m") or plain seconds
// ("3600"), more than zero and at most one year.
func parseLifetime(s string) (time.Duration, error) {
	d, err := ParseDuration(s)
	if err != nil {
		return 0, fail(CodeUsage, fmt.Sprintf("lifetime %q is not a duration", clip(s)), "write e.g. 1h, 30m or 3600 (seconds)")
	}
	if d < MinLifetime || d > MaxLifetime {
		return 0, fail(CodeUsage, fmt.Sprintf("lifetime %s is out of range", clip(s)), "use at least 60s and at most 8760h (one year); short lifetimes are safer, 1h is the default")
	}
	if d%time.Second != 0 {
		return 0, fail(CodeUsage, fmt.Sprintf("lifetime %s is not a whole number of seconds", s), "JWT times are whole seconds: write e.g. 1h or 90s")
	}
	return d, nil
}

// ParseDuration accepts a Go duration ("5m") or plain seconds ("300").
func ParseDuration(s string) (time.Duration, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n > int64(MaxLifetime/time.Second)*10 || n < -int64(MaxLifetime/time.Second)*10 {
			return 0, fmt.Errorf("out of range")
		}
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(s)
}

// IssuedAt is the iat policy: a backdate from now, "now", "zero" (iat=0, as
// teradataml sends since 20.0.0.7) or "omit".
type IssuedAt struct {
	Omit     bool
	Zero     bool
	Backdate time.Duration
}

// parseIssuedAt parses the issued_at setting.
func parseIssuedAt(s string) (IssuedAt, error) {
	switch s {
	case "now":
		return IssuedAt{}, nil
	case "zero":
		return IssuedAt{Zero: true}, nil
	case "omit":
		return IssuedAt{Omit: true}, nil
	}
	d, err := ParseDuration(s)
	if err != nil || d < 0 || d > 24*time.Hour || d%time.Second != 0 {
		return IssuedAt{}, fail(CodeUsage, fmt.Sprintf("issued_at %q is not valid", clip(s)),
			"write a backdate in whole seconds from 0s to 24h (e.g. 60s), or now, zero or omit")
	}
	return IssuedAt{Backdate: d}, nil
}

// Margin is how long before exp a token counts as expired for callers that
// compare with no margin: the setting, else max(60 s, 10% of the lifetime),
// and never more than half the lifetime, so that a short-lived token is
// still handed out (and cached) for at least half its life.
func Margin(setting string, lifetime time.Duration) (time.Duration, error) {
	if setting == "" {
		return min(max(MinMargin, lifetime/10), lifetime/2), nil
	}
	d, err := ParseDuration(setting)
	if err != nil || d < 0 || d > lifetime/2 {
		return 0, fail(CodeUsage, fmt.Sprintf("refresh_margin %q is not valid", clip(setting)),
			"write a duration from 0s up to half the lifetime, e.g. 5m")
	}
	return d, nil
}

// orgFromBaseURL is Teradata's default organisation: the first DNS label of
// the console or API host (https://myorg.innovationlabs.teradata.com -> myorg).
func orgFromBaseURL(raw string) (string, error) {
	u, err := CheckBaseURL(raw)
	if err != nil {
		return "", err
	}
	host := u.Hostname()
	if net.ParseIP(host) != nil {
		return "", fail(CodeUsage, "cannot take the organisation from an IP address", "give --org ORG")
	}
	label, _, _ := strings.Cut(host, ".")
	return label, nil
}

// CheckBaseURL accepts an https URL with a host.
func CheckBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" || u.User != nil {
		return nil, fail(CodeUsage, fmt.Sprintf("base URL %q must be an https URL with a host", clip(raw)),
			"write it as in your browser, e.g. https://myorg.innovationlabs.teradata.com")
	}
	return u, nil
}
