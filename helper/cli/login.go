package cli

import (
	"bytes"
	"fmt"
	"strings"

	"tdjwt/helper"
)

func (c *cli) login(args []string) error {
	var r helper.LoginRequest
	fs := c.flags("login", "login --profile NAME --pem FILE --user USER (--base-url URL | --org ORG) [flags] < pat.txt", true)
	fs.StringVar(&r.PEMFile, "pem", "", "private key `file` from the Lake console (RSA, PKCS#1 or PKCS#8, unencrypted)")
	fs.StringVar(&r.User, "user", "", "database `user`, exactly as created (case matters)")
	fs.StringVar(&r.BaseURL, "base-url", "", "the environment's account `url` https://HOST/api/accounts/ENV_ID (the console URL https://HOST works too, without doctor --online); the org defaults to the host's first DNS label")
	fs.StringVar(&r.Org, "org", "", "organisation `value` for the org claim")
	fs.StringVar(&r.Kid, "kid", "", "key `name` in the console (default: the PEM file name without its extension)")
	fs.StringVar(&r.OrgClaim, "org-claim", "", "org claim `name`: org_id (default) or org_key")
	fs.StringVar(&r.Issuer, "issuer", "", "iss claim (default \"tdjwt\")")
	fs.StringVar(&r.Lifetime, "lifetime", "", "token `lifetime`: Go duration or seconds, up to one year (default 1h)")
	fs.StringVar(&r.IssuedAt, "issued-at", "", "iat `policy`: a backdate such as 60s (default), now, zero or omit")
	fs.StringVar(&r.Margin, "refresh-margin", "", "refresh `margin` before exp (default: max(60s, 10% of the lifetime))")
	fs.StringVar(&r.Keystore, "keystore", "", "where secrets go: keyring (default), file:DIR, or env (read $TDJWT_PAT and $TDJWT_PRIVATE_KEY)")
	fs.BoolVar(&r.NoCache, "no-cache", false, "never cache this profile's tokens on disk")
	fs.BoolVar(&r.Replace, "replace", false, "replace keystore secrets of this profile name that another config's login wrote")
	if err := c.parseNoArgs(fs, args, "login takes no arguments (the PAT is read from stdin, never from the command line)"); err != nil {
		return err
	}
	r.Profile = c.profileName("")
	h, err := c.helper()
	if err != nil {
		return err
	}
	if r.Kid == "" && r.PEMFile != "" && !helper.ConsoleKid(helper.KidFromPath(r.PEMFile)) {
		fmt.Fprintf(c.Stderr, "tdjwt: warning: the kid will be %q, taken from the file name, which does not look like a key name from the Lake console; if the key's name differs, give it with --kid NAME\n", clip(helper.KidFromPath(r.PEMFile)))
	}
	if r.Keystore == "env" || (r.Keystore == "" && c.Getenv("TDJWT_KEYSTORE") == "env") {
		c.debugf("login: the PAT and key come from $TDJWT_PAT and $TDJWT_PRIVATE_KEY")
	} else {
		pat, err := c.readPAT(r.Profile)
		if err != nil {
			return err
		}
		r.PAT = pat
	}
	p, err := h.Login(r)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stderr, "tdjwt: profile %s saved: user %s, %s %s, kid %s, lifetime %s, secrets in %s\n",
		r.Profile, p.User, p.OrgClaim, p.Org, p.Kid, p.Lifetime, p.Keystore)
	if p.Keystore != "env" {
		fmt.Fprintf(c.Stderr, "tdjwt: the key and PAT are stored in %s. Keep %s somewhere safe (tdjwt cannot give the key back). Try: tdjwt token --profile %s\n", p.Keystore, r.PEMFile, r.Profile)
	}
	return nil
}

// readPAT reads the PAT from stdin (one line, trailing newline stripped) or,
// on a terminal, from a no-echo prompt.
func (c *cli) readPAT(profile string) (helper.Secret, error) {
	if c.StdinTTY {
		fmt.Fprintf(c.Stderr, "Personal access token for profile %s (input hidden): ", profile)
		b, err := c.ReadPassword()
		fmt.Fprintln(c.Stderr)
		if err != nil {
			return helper.Secret{}, &helper.Error{Code: helper.CodeBadInput, Msg: "reading the PAT from the terminal: " + err.Error(), Hint: "pipe it instead: tdjwt login ... < pat.txt"}
		}
		return helper.NewSecret(strings.TrimSpace(string(b))), nil
	}
	b, timedOut, err := c.readStdin("the PAT", 64<<10, stdinWait)
	if timedOut {
		err = &helper.Error{Code: helper.CodeBadInput, Msg: fmt.Sprintf("no PAT on stdin within %s (stdin stayed open)", stdinWait)}
	}
	if err != nil {
		return helper.Secret{}, helper.Hint(err, "pipe just the PAT on stdin: tdjwt login ... < pat.txt")
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	return helper.NewSecret(string(b)), nil
}

func (c *cli) logout(args []string) error {
	fs := c.flags("logout", "logout --profile NAME", true)
	if err := c.parseNoArgs(fs, args, "logout takes no arguments"); err != nil {
		return err
	}
	name := c.profileName("")
	h, err := c.helper()
	if err != nil {
		return err
	}
	removed, err := h.Logout(name)
	if err != nil {
		return err
	}
	if removed {
		fmt.Fprintf(c.Stderr, "tdjwt: profile %s removed (secrets, settings and cached tokens)\n", name)
	} else {
		fmt.Fprintf(c.Stderr, "tdjwt: profile %s was not configured; nothing to remove\n", name)
	}
	return nil
}
