package helper

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Length limits of profile values. They are far above what Lake issues
// (user names have at most 128 characters; kids and orgs are short names or
// UUIDs) and keep a config and a token of reasonable size.
const (
	maxUser  = 128
	maxName  = 256 // kid, org, issuer
	maxURL   = 2048
	maxPAT   = 4096
	maxLines = 64 // git URLs per profile
)

// checkText accepts valid UTF-8 without control characters (no NUL, no
// newline, no ESC) of 1 to max bytes: what goes into the config, a JWT
// header or a claim. The value itself is not quoted in the error, since a
// mistyped flag may hold a secret.
func checkText(field, v string, limit int) error {
	switch {
	case v == "":
		return fail(CodeUsage, field+" is empty", "give a value for "+field)
	case len(v) > limit:
		return fail(CodeUsage, fmt.Sprintf("%s is %d bytes long, more than %d", field, len(v), limit), "check the value given for "+field)
	case !utf8.ValidString(v):
		return fail(CodeUsage, field+" is not valid UTF-8", "type the value as text; check the terminal's or file's encoding")
	}
	for _, r := range v {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return fail(CodeUsage, fmt.Sprintf("%s contains a control character (U+%04X)", field, r), "remove control characters (newlines, tabs, escapes) from "+field)
		}
	}
	return nil
}

// checkPAT: Lake's PATs are printable ASCII (letters and digits in every
// one seen). A control character, a space or a non-ASCII byte is a paste
// accident, not part of the token.
func checkPAT(pat Secret) error {
	v := pat.Reveal()
	if v == "" {
		return fail(CodeBadInput, "the PAT is empty", "pipe the personal access token on stdin: tdjwt login ... < pat.txt, or type it at the prompt")
	}
	if len(v) > maxPAT {
		return fail(CodeBadInput, fmt.Sprintf("the PAT is %d bytes long, more than %d", len(v), maxPAT), "pipe just the PAT on stdin")
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x21 || v[i] > 0x7e {
			return fail(CodeBadInput, fmt.Sprintf("the PAT contains a space, control character or non-ASCII byte at position %d", i+1),
				"paste the token exactly as the Lake console showed it, on one line; tdjwt accepts printable ASCII only (report it if your PAT has other characters)")
		}
	}
	return nil
}

// validate checks a profile's values, as login writes them and as a
// hand-edited config holds them.
func (p *Profile) validate() error {
	for _, f := range []struct {
		name, v string
		max     int
	}{{"user", p.User, maxUser}, {"org", p.Org, maxName}, {"kid", p.Kid, maxName}, {"issuer", p.Issuer, maxName}} {
		if err := checkText(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	for _, f := range []struct{ name, v string }{{"org_claim", p.OrgClaim}, {"lifetime", p.Lifetime}, {"issued_at", p.IssuedAt},
		{"refresh_margin", p.RefreshMargin}, {"keystore", p.Keystore}, {"base_url", p.BaseURL}, {"account_url", p.AccountURL}} {
		if f.v != "" {
			if err := checkText(f.name, f.v, maxURL); err != nil {
				return err
			}
		}
	}
	if len(p.GitURLs) > maxLines {
		return fail(CodeUsage, fmt.Sprintf("git_urls holds %d URLs, more than %d", len(p.GitURLs), maxLines), "remove URLs you no longer use")
	}
	for _, u := range p.GitURLs {
		if err := checkText("git_urls", u, maxURL); err != nil {
			return err
		}
	}
	return nil
}
