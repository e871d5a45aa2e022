package helper

import (
	"errors"
	"strings"
	"time"

	"tdjwt/keystore"
)

// settings are a profile's token settings, parsed once.
type settings struct {
	claims Claims
	margin time.Duration
}

// settings parses the profile's token settings.
func (p *Profile) settings() (settings, error) {
	lt, err := parseLifetime(p.Lifetime)
	if err != nil {
		return settings{}, err
	}
	iat, err := parseIssuedAt(p.IssuedAt)
	if err != nil {
		return settings{}, err
	}
	margin, err := Margin(p.RefreshMargin, lt)
	if err != nil {
		return settings{}, err
	}
	if p.User == "" || p.Org == "" || p.Kid == "" || p.Issuer == "" {
		return settings{}, fail(CodeBadInput, "the profile lacks user, org, kid or issuer", "run tdjwt login again for this profile")
	}
	return settings{
		claims: Claims{User: p.User, Org: p.Org, OrgClaim: p.OrgClaim, Issuer: p.Issuer, Kid: p.Kid, Lifetime: lt, IssuedAt: iat},
		margin: margin,
	}, nil
}

// Profile returns the named profile.
func (h *Helper) Profile(name string) (*Profile, error) {
	if err := checkProfileName(name); err != nil {
		return nil, err
	}
	cfg, err := loadConfig(h.ConfigPath)
	if err != nil {
		return nil, err
	}
	return cfg.profile(name)
}

func (c *Config) profile(name string) (*Profile, error) {
	p := c.Profiles[name]
	if p == nil {
		hint := "run: tdjwt login --profile " + name + " --pem KEY.pem --user USER --base-url https://HOST/api/accounts/ENV_ID"
		if len(c.Profiles) > 0 {
			hint += " (known profiles: " + strings.Join(c.Names(), ", ") + ")"
		}
		return nil, fail(CodeNotConfigured, "profile "+name+" is not configured", hint)
	}
	return p, nil
}

// secretsState names the outcome of reading a profile's secrets, short
// enough for a table column.
func secretsState(err error) string {
	if err == nil {
		return "present"
	}
	switch e := AsError(err); {
	case errors.Is(err, keystore.ErrNotFound):
		return "missing"
	case errors.Is(err, keystore.ErrUnavailable):
		return "unavailable"
	case errors.Is(err, keystore.ErrInsecure):
		return "insecure"
	case e.Code == CodeNotConfigured:
		return "mismatch"
	case e.Code == CodeBadInput:
		return "damaged"
	case e.Code == CodeUsage:
		return "bad-keystore"
	default:
		return "error"
	}
}

// ProfileStatus is one row of `tdjwt profiles`.
type ProfileStatus struct {
	Name    string
	Profile *Profile
	// Secrets: present, missing, mismatch, damaged, unavailable, insecure,
	// bad-keystore or error.
	Secrets string
}

// Profiles lists the profiles and whether their secrets are in place.
func (h *Helper) Profiles() ([]ProfileStatus, error) {
	cfg, err := loadConfig(h.ConfigPath)
	if err != nil {
		return nil, err
	}
	var out []ProfileStatus
	for _, name := range cfg.Names() {
		p := cfg.Profiles[name]
		st := ProfileStatus{Name: name, Profile: p}
		store, err := h.openStore(h.resolveKeystore("", p.Keystore))
		if err == nil {
			_, _, err = h.secrets(store, name, p)
		}
		h.debugf("profile %s: secrets %v", name, err)
		st.Secrets = secretsState(err)
		out = append(out, st)
	}
	return out, nil
}
