package helper

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Check is one line of `tdjwt doctor`.
type Check struct {
	Name   string
	OK     bool
	Warn   bool // a risk, not a failure: doctor still succeeds
	Detail string
	Hint   string
	Code   Code // the failure's class, when !OK
}

func pass(name, detail string) Check { return Check{Name: name, OK: true, Detail: detail} }

func failed(name string, err error) Check {
	e := AsError(err)
	return Check{Name: name, Detail: e.Error(), Hint: e.Hint, Code: e.Code}
}

// Doctor checks a profile end to end: config, keystore, secrets, key, a
// minted token, the cache directory and the clock. token is the minted
// token, for an online check; nil when none could be made.
func (h *Helper) Doctor(name string) (checks []Check, token *Token) {
	cfg, err := loadConfig(h.ConfigPath)
	if err != nil {
		return append(checks, failed("config", err)), nil
	}
	checks = append(checks, pass("config", fmt.Sprintf("%s (%d profiles)", h.ConfigPath, len(cfg.Profiles))))
	p, err := h.Profile(name)
	if err != nil {
		return append(checks, failed("profile", err)), nil
	}
	st, err := p.settings()
	if err != nil {
		return append(checks, failed("profile", err)), nil
	}
	checks = append(checks, pass("profile", fmt.Sprintf("%s: user %s, %s %s, lifetime %s", name, p.User, p.OrgClaim, p.Org, p.Lifetime)))
	store, err := h.openStore(h.resolveKeystore("", p.Keystore))
	if err != nil {
		return append(checks, failed("keystore", err)), nil
	}
	start := time.Now()
	pat, key, err := h.secrets(store, name, p)
	if err != nil {
		return append(checks, failed("keystore", err)), nil
	}
	checks = append(checks, pass("keystore", fmt.Sprintf("%s reachable, secrets present and matching (%s)", store.Spec(), time.Since(start).Round(time.Millisecond))))
	checks = append(checks, pass("key", fmt.Sprintf("RSA %d bits, kid %s, SHA-256 %s…", key.N.BitLen(), p.Kid, p.KeySHA256[:16])))
	tok, exp, err := signToken(st.claims, key, pat, h.Now())
	if err == nil {
		err = verifySignature(tok.Reveal(), &key.PublicKey)
	}
	if err != nil {
		checks = append(checks, failed("token", err))
	} else {
		checks = append(checks, pass("token", "signed and verified, expires "+exp.UTC().Format(time.RFC3339)))
		token = &Token{Value: tok, Expiry: exp, Margin: st.margin, Profile: name, User: p.User}
	}
	switch err := h.cacheDirOK(false); {
	case p.Cache != nil && !*p.Cache:
		checks = append(checks, pass("cache", "off for this profile"))
	case err == nil:
		checks = append(checks, pass("cache", h.CacheDir+" is private"))
	case os.IsNotExist(err):
		checks = append(checks, pass("cache", h.CacheDir+" (not created yet)"))
	default:
		checks = append(checks, Check{Name: "cache", Detail: err.Error(), Hint: "tokens are not cached; fix or remove " + h.CacheDir, Code: CodeBadInput})
	}
	now := h.Now()
	if now.Year() < 2025 || now.Year() > 2100 {
		checks = append(checks, Check{Name: "clock", Detail: "the system clock says " + now.UTC().Format(time.RFC3339), Hint: "set the clock (timedatectl set-ntp true)", Code: CodeBadInput})
	} else {
		checks = append(checks, pass("clock", now.UTC().Format(time.RFC3339)+" (plausible; --online compares it with the server)"))
	}
	return checks, token
}

// Online sends the token to the profile's account URL
// (https://HOST/api/accounts/ENV_ID, which Teradata's own client calls to
// validate a token) and reports the HTTP status and the server clock's
// offset from the Date header. It sends nothing but over https, follows no
// redirect, and counts as accepted only a 2xx JSON answer.
func Online(p *Profile, token Secret, now func() time.Time) Check {
	target := p.AccountURL
	if target == "" {
		return Check{Name: "online", Detail: "skipped: the profile has no account URL (base_url " + p.BaseURL + " names no environment)",
			Hint: "log in again with --base-url https://HOST/api/accounts/ENV_ID (the account URL of your environment)", Code: CodeUsage}
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return Check{Name: "online", Detail: "refused: " + clip(target) + " is not an https URL; the token carries the PAT and is never sent in the clear",
			Hint: "log in again with an https --base-url", Code: CodeUsage}
	}
	req, err := http.NewRequest("GET", u.String(), nil)
	if err != nil {
		return Check{Name: "online", Detail: "bad URL " + clip(target), Hint: "log in again with --base-url https://HOST/api/accounts/ENV_ID", Code: CodeUsage}
	}
	req.Header.Set("Authorization", "Bearer "+token.Reveal())
	req.Header.Set("Accept", "application/json")
	client := &http.Client{Timeout: 15 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	sent := now()
	resp, err := client.Do(req)
	if err != nil {
		// The URL error names the URL, not the header: no token in it.
		return Check{Name: "online", Detail: "GET " + target + ": " + err.Error(), Hint: "check the network and the account URL", Code: CodeInternal}
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	detail := fmt.Sprintf("GET %s: HTTP %d", target, resp.StatusCode)
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		// Date has whole seconds: compare it with our send time truncated
		// the same way (0 or +1 s for equal clocks).
		offset := d.Sub(sent.Truncate(time.Second))
		detail += fmt.Sprintf(", server clock %+ds from ours", int(offset.Seconds()))
		if offset > time.Minute || offset < -time.Minute {
			return Check{Name: "online", Detail: detail, Hint: "your clock is off by more than a minute: sync it (timedatectl set-ntp true)", Code: CodeBadInput}
		}
	}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		if !strings.Contains(resp.Header.Get("Content-Type"), "json") || !json.Valid(body) {
			return Check{Name: "online", Detail: detail + ", but the answer is not JSON: not a Lake account endpoint",
				Hint: "check the account URL (https://HOST/api/accounts/ENV_ID as the Lake console shows it)", Code: CodeBadInput}
		}
		return Check{Name: "online", OK: true, Detail: detail + ": token accepted"}
	case resp.StatusCode == 401 || resp.StatusCode == 403:
		return Check{Name: "online", Detail: detail + ": token rejected", Hint: "check user (case), org, kid and that the PAT is still valid and belongs to this environment", Code: CodeBadInput}
	}
	return Check{Name: "online", Detail: detail, Hint: "check the account URL (https://HOST/api/accounts/ENV_ID)", Code: CodeBadInput}
}
