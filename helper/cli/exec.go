package cli

import (
	"bytes"
	"fmt"

	"tdjwt/helper"
	"tdjwt/protocol"
)

func (c *cli) exec(args []string) error {
	fs := c.flags("exec", "exec [--profile NAME] [--api-version V]", true)
	apiVersion := fs.String("api-version", "", "answer this `version` when the caller sends no request (default "+protocol.ExecV1+")")
	keystoreSpec := fs.String("keystore", "", "read the secrets from this keystore instead of the profile's")
	if err := c.parseNoArgs(fs, args, "exec takes no arguments"); err != nil {
		return err
	}
	if *apiVersion != "" && !protocol.SupportedExecVersion(*apiVersion) {
		return usage(fmt.Sprintf("--api-version %q: use %s or %s", clip(*apiVersion), protocol.ExecV1, protocol.ExecV1beta1), "")
	}
	req := protocol.ExecRequest{APIVersion: protocol.ExecV1}
	if *apiVersion != "" {
		req.APIVersion = *apiVersion
	}
	var data []byte
	source := ""
	if info := c.Getenv("KUBERNETES_EXEC_INFO"); info != "" {
		data, source = []byte(info), "$KUBERNETES_EXEC_INFO"
	} else if !c.StdinTTY {
		b, timedOut, err := c.readStdin("the request", protocol.MaxRequest, execWait)
		if err != nil {
			return helper.Hint(err, "send one request of a few hundred bytes on stdin, then close it")
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
			return helper.Hint(fmt.Errorf("the exec credential request in %s is invalid: %w", source, err),
				"tdjwt speaks client.authentication.k8s.io/v1 and v1beta1; check the exec apiVersion in your kubeconfig")
		}
		req = parsed
		c.debugf("exec: %s, interactive=%v", req.APIVersion, req.Interactive)
	}
	name := c.profileName(req.Profile)
	t, err := c.mint(helper.TokenRequest{Profile: name, Keystore: *keystoreSpec})
	if err != nil {
		return err
	}
	return protocol.WriteExecCredential(c.Stdout, req.APIVersion, t.Value.Reveal(), t.Expiry.Add(-t.Margin))
}
