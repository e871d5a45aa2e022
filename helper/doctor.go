package helper

import (
	"fmt"
	"net/http"
	"os"
	"time"
)

// Check is one line of `tdjwt doctor`.
type Check struct {
	Name   string
	OK     bool
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
	cfg, err := LoadConfig(h.ConfigPath)
	if err != nil {
		return append(checks, failed("config", err)), nil
	}
	checks = append(checks, pass("config", fmt.Sprintf("%s (%d profiles)", h.ConfigPath, len(cfg.Profiles))))
	p, err := h.Profile(name)
	if err != nil {
		return append(checks, failed("profile", err)), nil
	}
	c, err := p.claims()
	if err != nil {
		return append(checks, failed("profile", err)), nil
	}
	checks = append(checks, pass("profile", fmt.Sprintf("%s: user %s, %s %s, lifetime %s", name, p.User, p.OrgClaim, p.Org, p.Lifetime)))
	spec := h.resolveKeystore("", p.Keystore)
	store, err := h.OpenStore(spec)
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
	tok, exp, err := Mint(c, key, pat, h.Now())
	if err == nil {
		err = Verify(tok.Reveal(), key)
	}
	if err != nil {
		checks = append(checks, failed("token", err))
	} else {
		checks = append(checks, pass("token", "signed and verified, expires "+exp.UTC().Format(time.RFC3339)))
		margin, _ := Margin(p.RefreshMargin, c.Lifetime)
		token = &Token{Value: tok, Expiry: exp, Margin: margin, Profile: name, User: p.User}
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

// Online sends the token to url (the profile's base URL: the account URL
// validates a token, as Teradata's own client does) and reports the HTTP
// status and the server clock's offset from the Date header.
func Online(url string, token Secret, now func() time.Time) Check {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return Check{Name: "online", Detail: "bad URL " + url, Hint: "set base_url in the profile", Code: CodeUsage}
	}
	req.Header.Set("Authorization", "Bearer "+token.Reveal())
	client := &http.Client{Timeout: 15 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	sent := now()
	resp, err := client.Do(req)
	if err != nil {
		// The URL error names the URL, not the header: no token in it.
		return Check{Name: "online", Detail: "GET " + url + ": " + err.Error(), Hint: "check the network and base_url", Code: CodeInternal}
	}
	resp.Body.Close()
	detail := fmt.Sprintf("GET %s: HTTP %d", url, resp.StatusCode)
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
		return Check{Name: "online", OK: true, Detail: detail + ": token accepted"}
	case resp.StatusCode == 401 || resp.StatusCode == 403:
		return Check{Name: "online", Detail: detail + ": token rejected", Hint: "check user (case), org, kid and that the PAT is still valid; base_url should be the account URL https://HOST/api/accounts/ENV_ID", Code: CodeBadInput}
	}
	return Check{Name: "online", Detail: detail, Hint: "base_url should be the account URL https://HOST/api/accounts/ENV_ID", Code: CodeBadInput}
}
