package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"tdjwt/helper"
	"tdjwt/protocol"
)

func (c *cli) token(args []string) error {
	var r helper.TokenRequest
	fs := c.flags("token", "token [--profile NAME] [--format raw|json] [--min-valid D]")
	format := fs.String("format", "raw", "`format`: raw (the JWT and a newline) or json")
	fs.DurationVar(&r.MinValid, "min-valid", 0, "the token returned stays valid at least this `duration`")
	fs.BoolVar(&r.ForceRefresh, "force-refresh", false, "sign a new token even if a cached one is valid")
	fs.BoolVar(&r.NoCache, "no-cache", false, "neither read nor write the token cache")
	fs.StringVar(&r.Keystore, "keystore", "", "read the secrets from this keystore instead of the profile's (keyring, file:DIR, env)")
	err := c.parse(fs, args)
	c.json = *format == "json"
	if err != nil {
		return err
	}
	if *format != "raw" && *format != "json" {
		c.json = false
		return usageError{fmt.Sprintf("--format %q: use raw or json", clip(*format))}
	}
	if fs.NArg() > 0 {
		return usageError{"token takes no arguments"}
	}
	if r.MinValid < 0 {
		return usageError{"--min-valid must not be negative"}
	}
	r.Profile = c.profileName("")
	t, err := c.mint(r)
	if err != nil {
		return err
	}
	if c.json {
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
// after wait when nothing arrives (a caller that leaves stdin open and sends
// nothing must not hang tdjwt). timedOut reports that case.
func (c *cli) readRequest(wait time.Duration) (data []byte, timedOut bool, err error) {
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := io.ReadAll(io.LimitReader(c.stdin, protocol.MaxRequest+1))
		done <- result{b, err}
	}()
	select {
	case res := <-done:
		if res.err != nil {
			return nil, false, &helper.Error{Code: helper.CodeBadInput, Msg: "reading the request on stdin: " + res.err.Error(), Hint: "send the request on stdin, then close it"}
		}
		if len(res.b) > protocol.MaxRequest {
			return nil, false, &helper.Error{Code: helper.CodeBadInput, Msg: fmt.Sprintf("the request on stdin is larger than %d bytes", protocol.MaxRequest), Hint: "send one request of a few hundred bytes"}
		}
		return res.b, false, nil
	case <-time.After(wait):
		return nil, true, nil
	}
}

func (c *cli) exec(args []string) error {
	fs := c.flags("exec", "exec [--profile NAME] [--api-version V]")
	apiVersion := fs.String("api-version", "", "answer this `version` when the caller sends no request (default "+protocol.ExecV1+")")
	keystoreSpec := fs.String("keystore", "", "read the secrets from this keystore instead of the profile's")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"exec takes no arguments"}
	}
	if *apiVersion != "" && !protocol.SupportedExecVersion(*apiVersion) {
		return usageError{fmt.Sprintf("--api-version %q: use %s or %s", clip(*apiVersion), protocol.ExecV1, protocol.ExecV1beta1)}
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
		b, timedOut, err := c.readRequest(2 * time.Second)
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(b)) > 0 {
			data, source = b, "stdin"
		} else if timedOut {
			c.debugf("exec: no request on stdin within 2s; answering %s", req.APIVersion)
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
// a helper that cannot help prints nothing and explains on stderr.
func (c *cli) git(action string, args []string) error {
	fs := c.flags(action, "get|store|erase  (run by git as a credential helper)")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	switch action {
	case "get", "erase", "store":
	default:
		c.debugf("git: ignoring unknown action %q", clip(action))
		return nil // git: unknown actions are ignored
	}
	c.debugf("git: %s", action)
	req, err := protocol.ParseGitRequest(c.stdin)
	if err != nil {
		return &helper.Error{Code: helper.CodeBadInput, Msg: err.Error(), Hint: "this command is meant to be run by git; see tdjwt setup git"}
	}
	name := c.profileName("")
	switch action {
	case "store":
		return nil
	case "erase":
		h, err := c.helper()
		if err != nil {
			return err
		}
		h.ClearCache(name)
		c.debugf("git erase: dropped the cached tokens of profile %s", name)
		return nil
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
