package main

import (
	"bytes"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"tdjwt/helper"
	"tdjwt/protocol"
)

// stdinWait bounds how long exec and git wait for their request: a caller
// that leaves stdin open and sends nothing must not hang tdjwt.
const (
	execWait = 2 * time.Second
	gitWait  = 5 * time.Second
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
		return usageError{msg: fmt.Sprintf("--format %q: use raw or json", clip(*format))}
	}
	if len(pos) > 0 {
		return usageError{msg: "token takes no arguments"}
	}
	if r.MinValid < 0 {
		return usageError{msg: "--min-valid must not be negative"}
	}
	r.Profile = c.profileName("")
	t, err := c.mint(r)
	if err != nil {
		return err
	}
	if *format == "json" {
		return protocol.WriteToken(c.stdout, protocol.NewTokenResponse(t.Value.Reveal(), t.Expiry, t.Profile))
	}
	_, err = fmt.Fprintln(c.stdout, t.Value.Reveal())
	return err
}

func (c *cli) mint(r helper.TokenRequest) (helper.Token, error) {
	h, err := c.helper()
	if err != nil {
		return helper.Token{}, err
	}
	return h.Token(r)
}

// readRequest reads at most protocol.MaxRequest+1 bytes of stdin, giving up
// after wait when nothing arrives. timedOut reports that case.
func (c *cli) readRequest(wait time.Duration) (data []byte, timedOut bool, err error) {
	var b []byte
	timedOut, err = withTimeout(wait, func() (err error) {
		b, err = io.ReadAll(io.LimitReader(c.stdin, protocol.MaxRequest+1))
		return err
	})
	switch {
	case timedOut:
		return nil, true, nil
	case err != nil:
		return nil, false, &helper.Error{Code: helper.CodeBadInput, Msg: "reading the request on stdin: " + err.Error(), Hint: "send the request on stdin, then close it"}
	case len(b) > protocol.MaxRequest:
		return nil, false, &helper.Error{Code: helper.CodeBadInput, Msg: fmt.Sprintf("the request on stdin is larger than %d bytes", protocol.MaxRequest), Hint: "send one request of a few hundred bytes"}
	}
	return b, false, nil
}

func (c *cli) exec(args []string) error {
	fs := c.flags("exec", "exec [--profile NAME] [--api-version V]", true)
	apiVersion := fs.String("api-version", "", "answer this `version` when the caller sends no request (default "+protocol.ExecV1+")")
	keystoreSpec := fs.String("keystore", "", "read the secrets from this keystore instead of the profile's")
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{msg: "exec takes no arguments"}
	}
	if *apiVersion != "" && !protocol.SupportedExecVersion(*apiVersion) {
		return usageError{msg: fmt.Sprintf("--api-version %q: use %s or %s", clip(*apiVersion), protocol.ExecV1, protocol.ExecV1beta1)}
	}
	req := protocol.ExecRequest{APIVersion: protocol.ExecV1}
	if *apiVersion != "" {
		req.APIVersion = *apiVersion
	}
	var data []byte
	source := ""
	if info := c.getenv("KUBERNETES_EXEC_INFO"); info != "" {
		data, source = []byte(info), "$KUBERNETES_EXEC_INFO"
	} else if !c.stdinTTY {
		b, timedOut, err := c.readRequest(execWait)
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(b)) > 0 {
			data, source = b, "stdin"
		} else if timedOut {
			c.debugf("exec: no request on stdin within %s; answering %s", execWait, req.APIVersion)
		}
	}
	if data != nil {
		c.debugf("exec: request from %s (%d bytes)", source, len(data))
		parsed, err := protocol.ParseExecRequest(data)
		if err != nil {
			return &helper.Error{Code: helper.CodeBadInput, Msg: "the exec credential request in " + source + " is invalid: " + err.Error(),
				Hint: "tdjwt speaks client.authentication.k8s.io/v1 and v1beta1; check the exec apiVersion in your kubeconfig"}
		}
		req = parsed
		c.debugf("exec: %s, interactive=%v", req.APIVersion, req.Interactive)
	}
	name := c.profileName(req.Profile)
	t, err := c.mint(helper.TokenRequest{Profile: name, Keystore: *keystoreSpec})
	if err != nil {
		return err
	}
	return protocol.WriteExecCredential(c.stdout, req.APIVersion, t.Value.Reveal(), t.Expiry.Add(-t.Margin))
}

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
	timedOut, err := withTimeout(gitWait, func() (err error) {
		req, err = protocol.ParseGitRequest(c.stdin)
		return err
	})
	if timedOut {
		return &helper.Error{Code: helper.CodeBadInput, Msg: fmt.Sprintf("no complete git request on stdin within %s", gitWait), Hint: "this command is meant to be run by git, which ends its request with a blank line; see tdjwt setup git"}
	}
	if err != nil {
		return &helper.Error{Code: helper.CodeBadInput, Msg: err.Error(), Hint: "this command is meant to be run by git; see tdjwt setup git"}
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
	name, why, err := h.GitProfile(c.explicitProfile(), proto, host, path)
	if err != nil {
		return err
	}
	if name == "" {
		c.debugf("git: not answering: %s", why)
		return nil
	}
	c.debugf("git: profile %s answers for %s://%s", name, proto, clip(host))
	if action == "erase" {
		n, err := h.ClearCache(name)
		c.debugf("git erase: dropped %d cached tokens of profile %s", n, name)
		return err
	}
	t, err := c.mint(helper.TokenRequest{Profile: name})
	if err != nil {
		return err
	}
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
	_, err = c.stdout.Write(out.Bytes())
	return err
}

func (c *cli) debugf(format string, a ...any) {
	if c.debug {
		fmt.Fprintf(c.stderr, "tdjwt: debug: "+strings.TrimSuffix(format, "\n")+"\n", a...)
	}
}
