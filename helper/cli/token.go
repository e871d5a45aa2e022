package cli

import (
	"fmt"
	"strings"
	"time"

	"tdjwt/helper"
	"tdjwt/protocol"
)

// How long commands wait for stdin: a caller that leaves stdin open and
// sends nothing must not hang tdjwt. exec's request is optional, so its
// wait is short.
const (
	execWait  = 2 * time.Second
	gitWait   = 5 * time.Second
	stdinWait = 30 * time.Second // a PAT or a token piped from a slow command
)

// jsonMode reports whether args ask for --format json, read before the
// flags are parsed, so that a flag error is a JSON error object too.
func jsonMode(args []string) bool {
	for i, a := range args {
		if a == "--" {
			return false
		}
		switch a {
		case "--format=json", "-format=json":
			return true
		case "--format", "-format":
			if i+1 < len(args) && args[i+1] == "json" {
				return true
			}
		}
	}
	return false
}

func (c *cli) token(args []string) error {
	err := c.tokenCmd(args)
	if err != nil && jsonMode(args) {
		return jsonError{err}
	}
	return err
}

func (c *cli) tokenCmd(args []string) error {
	var r helper.TokenRequest
	fs := c.flags("token", "token [--profile NAME] [--format raw|json] [--min-valid D]", true)
	format := fs.String("format", "raw", "`format`: raw (the JWT and a newline) or json")
	fs.Var(durationFlag{&r.MinValid}, "min-valid", "the token returned stays valid at least this `duration` (e.g. 300 or 5m)")
	fs.BoolVar(&r.ForceRefresh, "force-refresh", false, "sign a new token even if a cached one is valid")
	fs.BoolVar(&r.NoCache, "no-cache", false, "neither read nor write the token cache")
	fs.StringVar(&r.Keystore, "keystore", "", "read the secrets from this keystore instead of the profile's (keyring, file:DIR, env)")
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if *format != "raw" && *format != "json" {
		return usage(fmt.Sprintf("--format %q: use raw or json", clip(*format)), "")
	}
	if len(pos) > 0 {
		return usage("token takes no arguments", "")
	}
	if r.MinValid < 0 {
		return usage("--min-valid must not be negative", "")
	}
	r.Profile = c.profileName("")
	t, err := c.mint(r)
	if err != nil {
		return err
	}
	if *format == "json" {
		return protocol.WriteToken(c.Stdout, protocol.NewTokenResponse(t.Value.Reveal(), t.Expiry, t.Profile))
	}
	_, err = fmt.Fprintln(c.Stdout, t.Value.Reveal())
	return err
}

func (c *cli) mint(r helper.TokenRequest) (helper.Token, error) {
	h, err := c.helper()
	if err != nil {
		return helper.Token{}, err
	}
	return h.Token(r)
}

func (c *cli) debugf(format string, a ...any) {
	if c.debug {
		fmt.Fprintf(c.Stderr, "tdjwt: debug: "+strings.TrimSuffix(format, "\n")+"\n", a...)
	}
}
