package cli

import (
	"fmt"
	"strings"
	"time"

	"tdjwt/helper"
)

func (c *cli) inspect(args []string) error {
	fs := c.flags("inspect", "inspect [--pem FILE] [TOKEN]   (the token is read from stdin when not given)", false)
	pem := fs.String("pem", "", "verify the signature with this PEM `file`: a public key, a certificate or the private key")
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	var token string
	switch len(pos) {
	case 0:
		b, timedOut, err := c.readStdin("the token", 1<<20, stdinWait)
		if timedOut {
			err = &helper.Error{Code: helper.CodeBadInput, Msg: fmt.Sprintf("no token on stdin within %s (stdin stayed open)", stdinWait)}
		}
		if err != nil {
			return helper.Hint(err, "pipe a token: tdjwt token | tdjwt inspect")
		}
		token = string(b)
	case 1:
		token = pos[0]
	default:
		return usage("inspect takes at most one token", "")
	}
	in, err := helper.Inspect(token, c.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "header:\n%s\nclaims:\n%s\n", in.Header, in.Claims)
	now := c.Now()
	switch {
	case !in.HasExp:
		fmt.Fprintln(c.Stdout, "expiry: none (no exp claim)")
	case in.Expired:
		fmt.Fprintf(c.Stdout, "expiry: EXPIRED at %s (%s ago)\n", in.Expiry.UTC().Format(time.RFC3339), now.Sub(in.Expiry).Round(time.Second))
	default:
		fmt.Fprintf(c.Stdout, "expiry: valid until %s (%s left)\n", in.Expiry.UTC().Format(time.RFC3339), in.Expiry.Sub(now).Round(time.Second))
	}
	if *pem == "" {
		fmt.Fprintln(c.Stdout, "signature: not verified (give --pem FILE to verify)")
		return nil
	}
	if err := helper.VerifyWithPEMFile(strings.TrimSpace(token), *pem); err != nil {
		fmt.Fprintln(c.Stdout, "signature: INVALID")
		return err
	}
	fmt.Fprintf(c.Stdout, "signature: valid (RS256, key %s)\n", *pem)
	return nil
}
