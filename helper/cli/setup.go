package cli

import (
	"bytes"
	"fmt"
	"strings"

	"tdjwt/helper"
)

func (c *cli) setup(args []string) error {
	if len(args) == 0 {
		return usage("setup needs a target: git or kubeconfig", "")
	}
	switch args[0] {
	case "git":
		return c.setupGit(args[1:])
	case "kubeconfig":
		return c.setupKubeconfig(args[1:])
	case "-h", "--help", "help":
		fmt.Fprint(c.Stdout, "Usage:\n  tdjwt setup git --profile NAME --url URL [--apply]\n  tdjwt setup kubeconfig --profile NAME\n")
		return nil
	}
	hint := ""
	if near := nearest(args[0], []string{"git", "kubeconfig"}); near != "" {
		hint = "did you mean tdjwt setup " + near + "?"
	}
	return usage(fmt.Sprintf("setup %q: use git or kubeconfig", clip(args[0])), hint)
}

// self is the absolute path of this binary, for generated configuration.
func (c *cli) self() (string, error) {
	p, err := c.Executable()
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

// knownProfile resolves the profile name, checks that it exists, and
// finds this binary's path for the configuration that setup prints.
func (c *cli) knownProfile() (name, self string, err error) {
	name = c.profileName("")
	h, err := c.helper()
	if err != nil {
		return "", "", err
	}
	if _, err := h.Profile(name); err != nil {
		return "", "", err
	}
	self, err = c.self()
	return name, self, err
}

func (c *cli) setupGit(args []string) error {
	fs := c.flags("setup git", "setup git --profile NAME --url URL [--apply]", true)
	rawURL := fs.String("url", "", "the https `URL` git should use tdjwt for, e.g. https://acme.example.com")
	apply := fs.Bool("apply", false, "write the entry with git config --global instead of printing it")
	if err := c.parseNoArgs(fs, args, "setup git takes no arguments"); err != nil {
		return err
	}
	if *rawURL == "" {
		return usage("--url is required", "")
	}
	if _, err := helper.CheckBaseURL(*rawURL); err != nil {
		return err
	}
	name, self, err := c.knownProfile()
	if err != nil {
		return err
	}
	// The profile records the URL: the helper answers only for URLs its
	// profiles are bound to.
	bound, err := c.h.BindGitURL(name, *rawURL)
	if err != nil {
		return err
	}
	key := "credential." + bound + ".helper"
	value := shellQuote(self) + " --profile " + name
	if !*apply {
		// An empty helper first resets the list, so that no other helper
		// (a store, a cache) answers for this URL before tdjwt, or writes
		// tdjwt's token to disk after it.
		fmt.Fprintf(c.Stdout, "git config --global --replace-all %s ''\n", shellQuote(key))
		fmt.Fprintf(c.Stdout, "git config --global --add %s %s\n", shellQuote(key), shellQuote(value))
		return nil
	}
	for _, a := range [][]string{{"--replace-all", key, ""}, {"--add", key, value}} {
		cmd := c.command("git", append([]string{"config", "--global"}, a...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return &helper.Error{Code: helper.CodeInternal, Msg: "git config failed: " + strings.TrimSpace(stderr.String()+" "+err.Error()), Hint: "run the commands that tdjwt setup git prints without --apply"}
		}
	}
	fmt.Fprintf(c.Stderr, "tdjwt: git now asks tdjwt (profile %s) for credentials for %s, and no other helper\n", name, bound)
	return nil
}

func (c *cli) setupKubeconfig(args []string) error {
	fs := c.flags("setup kubeconfig", "setup kubeconfig --profile NAME", true)
	if err := c.parseNoArgs(fs, args, "setup kubeconfig takes no arguments"); err != nil {
		return err
	}
	name, self, err := c.knownProfile()
	if err != nil {
		return err
	}
	q := func(s string) string { return fmt.Sprintf("%q", s) }
	fmt.Fprintf(c.Stdout, `# A kubeconfig users: entry; tdjwt runs as an exec credential plugin.
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
