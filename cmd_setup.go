package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"

	"tdjwt/helper"
)

func (c *cli) setup(args []string) error {
	if len(args) == 0 {
		return usageError{"setup needs a target: git or kubeconfig"}
	}
	switch args[0] {
	case "git":
		return c.setupGit(args[1:])
	case "kubeconfig":
		return c.setupKubeconfig(args[1:])
	case "-h", "--help", "help":
		fmt.Fprint(c.stdout, "Usage:\n  tdjwt setup git --profile NAME --url URL [--apply]\n  tdjwt setup kubeconfig --profile NAME\n")
		return nil
	}
	return usageError{fmt.Sprintf("setup %q: use git or kubeconfig", clip(args[0]))}
}

// self is the absolute path of this binary, for generated configuration.
func (c *cli) self() (string, error) {
	p, err := c.executable()
	if err != nil {
		return "", &helper.Error{Code: helper.CodeInternal, Msg: "cannot find the path of tdjwt: " + err.Error(), Hint: "run tdjwt by its absolute path"}
	}
	return p, nil
}

// shellQuote quotes s for a POSIX shell (git runs helper values that are
// not plain names through the shell).
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func (c *cli) setupGit(args []string) error {
	fs := c.flags("setup git", "setup git --profile NAME --url URL [--apply]")
	url := fs.String("url", "", "the https `URL` git should use tdjwt for, e.g. https://acme.example.com")
	apply := fs.Bool("apply", false, "write the entry with git config --global instead of printing it")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"setup git takes no arguments"}
	}
	name := c.profileName("")
	if err := helper.CheckProfileName(name); err != nil {
		return err
	}
	if *url == "" {
		return usageError{"--url is required"}
	}
	if _, err := helper.CheckBaseURL(*url); err != nil {
		return err
	}
	self, err := c.self()
	if err != nil {
		return err
	}
	key := "credential." + strings.TrimSuffix(*url, "/") + ".helper"
	value := shellQuote(self) + " --profile " + name
	if !*apply {
		// An empty helper first resets the list, so that no other helper
		// (a store, a cache) answers for this URL before tdjwt.
		fmt.Fprintf(c.stdout, "git config --global --replace-all %s ''\n", shellQuote(key))
		fmt.Fprintf(c.stdout, "git config --global --add %s %s\n", shellQuote(key), shellQuote(value))
		return nil
	}
	for _, a := range [][]string{{"--replace-all", key, ""}, {"--add", key, value}} {
		cmd := exec.Command("git", append([]string{"config", "--global"}, a...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return &helper.Error{Code: helper.CodeInternal, Msg: "git config failed: " + strings.TrimSpace(stderr.String()+" "+err.Error()), Hint: "run the commands that tdjwt setup git prints without --apply"}
		}
	}
	fmt.Fprintf(c.stderr, "tdjwt: git now asks tdjwt (profile %s) for credentials for %s\n", name, *url)
	return nil
}

func (c *cli) setupKubeconfig(args []string) error {
	fs := c.flags("setup kubeconfig", "setup kubeconfig --profile NAME")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"setup kubeconfig takes no arguments"}
	}
	name := c.profileName("")
	if err := helper.CheckProfileName(name); err != nil {
		return err
	}
	self, err := c.self()
	if err != nil {
		return err
	}
	q := func(s string) string { return fmt.Sprintf("%q", s) }
	fmt.Fprintf(c.stdout, `# A kubeconfig users: entry; tdjwt runs as an exec credential plugin.
users:
- name: tdjwt-%s
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: %s
      args: ["exec", "--profile", %s]
      interactiveMode: Never
      provideClusterInfo: false
      installHint: |
        tdjwt is not installed at %s.
        Install it from the tdjwt repository with ./install.sh, then run:
        tdjwt login --profile %s --pem KEY.pem --user USER --base-url URL
# Kubernetes 1.35+ kuberc (~/.kube/kuberc) with a plugin allowlist must name it:
# apiVersion: kubectl.config.k8s.io/v1beta1
# kind: Preference
# credentialPluginPolicy: Allowlist
# credentialPluginAllowlist:
# - name: %s
`, name, q(self), q(name), self, name, q(self))
	return nil
}
