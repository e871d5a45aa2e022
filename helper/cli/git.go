package cli

import (
	"bytes"
	"fmt"
	"net/url"

	"tdjwt/helper"
	"tdjwt/protocol"
)

// git speaks git's credential helper protocol. git ignores the exit code;
// a helper that cannot help prints nothing and explains on stderr. It
// answers only over https, for hosts a profile is bound to, and stays
// silent otherwise so that git asks its next helper.
func (c *cli) git(action string, args []string) error {
	fs := c.flags(action, "get|store|erase  (run by git as a credential helper)", true)
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	switch action {
	case "get", "erase", "store":
	default:
		// The action is the caller's word: never echo it (a mistyped
		// command line may hold a secret).
		c.debugf("git: ignoring an unknown action (%d bytes)", len(action))
		return nil // git: unknown actions are ignored
	}
	c.debugf("git: %s", action)
	var req protocol.GitRequest
	timedOut, err := helper.Within(gitWait, func() (err error) {
		req, err = protocol.ParseGitRequest(c.Stdin)
		return err
	})
	if timedOut {
		return &helper.Error{Code: helper.CodeBadInput, Msg: fmt.Sprintf("no complete git request on stdin within %s", gitWait), Hint: "this command is meant to be run by git, which ends its request with a blank line; see tdjwt setup git"}
	}
	if err != nil {
		return helper.Hint(err, "this command is meant to be run by git; see tdjwt setup git")
	}
	if action == "store" {
		return nil // tdjwt signs anew; nothing to keep
	}
	h, err := c.helper()
	if err != nil {
		return err
	}
	proto, host, path := req.Get("protocol"), req.Get("host"), req.Get("path")
	if proto == "" && req.Get("url") != "" {
		if u, err := url.Parse(req.Get("url")); err == nil {
			proto, host, path = u.Scheme, u.Host, u.Path
		}
	}
	if action == "erase" {
		name, why, err := h.GitProfile(c.explicitProfile(), proto, host, path)
		if err != nil || name == "" {
			c.debugf("git: not answering: %s", why)
			return err
		}
		n, err := h.ClearCache(name)
		c.debugf("git erase: dropped %d cached tokens of profile %s", n, name)
		return err
	}
	t, name, why, err := h.GitToken(c.explicitProfile(), proto, host, path)
	if err != nil {
		return err
	}
	if name == "" {
		c.debugf("git: not answering: %s", why)
		return nil
	}
	c.debugf("git: profile %s answers for %s://%s", name, proto, clip(host))
	var out bytes.Buffer
	err = protocol.WriteGitCredential(&out, protocol.GitCredential{
		Username: t.User,
		Token:    t.Value.Reveal(),
		Expiry:   t.Expiry.Add(-t.Margin).Unix(),
		Bearer:   req.Has("capability", "authtype"),
	})
	if err != nil {
		return &helper.Error{Code: helper.CodeBadInput, Msg: "cannot answer git: " + err.Error(), Hint: "the profile's user must not contain a newline"}
	}
	_, err = c.Stdout.Write(out.Bytes())
	return err
}
