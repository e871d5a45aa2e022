package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"tdjwt/helper"
)

// doctor prints one line per check and exits with the class of the first
// failure.
func (c *cli) doctor(args []string) int {
	fs := c.flags("doctor", "doctor [--profile NAME] [--online]")
	online := fs.Bool("online", false, "also send a token to the profile's base URL and compare clocks")
	if err := c.parse(fs, args); err != nil {
		return c.report(err)
	}
	if fs.NArg() > 0 {
		return c.report(usageError{"doctor takes no arguments"})
	}
	h, err := c.helper()
	if err != nil {
		return c.report(err)
	}
	name := c.profileName("")
	self, _ := c.self()
	checks := []helper.Check{c.checkPath(self)}
	more, tok := h.Doctor(name)
	checks = append(checks, more...)
	if *online {
		p, err := h.Profile(name)
		switch {
		case err != nil || tok == nil:
			checks = append(checks, helper.Check{Name: "online", Detail: "skipped: no token", Hint: "fix the checks above first", Code: helper.CodeNotConfigured})
		case p.BaseURL == "":
			checks = append(checks, helper.Check{Name: "online", Detail: "skipped: the profile has no base_url", Hint: "log in with --base-url https://HOST/api/accounts/ENV_ID", Code: helper.CodeUsage})
		default:
			checks = append(checks, helper.Online(p.BaseURL, tok.Value, c.now))
		}
	}
	checks = append(checks, c.checkGit(self)...)
	checks = append(checks, c.checkKubeconfig(self)...)
	code := exitOK
	for _, ch := range checks {
		mark := "ok  "
		if !ch.OK {
			mark = "FAIL"
			if code == exitOK {
				code = exitCode(ch.Code)
			}
		}
		fmt.Fprintf(c.stdout, "%s  %-10s %s\n", mark, ch.Name, ch.Detail)
		if !ch.OK && ch.Hint != "" {
			fmt.Fprintf(c.stdout, "      %-10s hint: %s\n", "", ch.Hint)
		}
	}
	if code != exitOK {
		fmt.Fprintln(c.stderr, "tdjwt: error: some checks failed")
		fmt.Fprintln(c.stderr, "tdjwt: hint: follow the hint under each FAIL line")
	}
	return code
}

// checkPath: tdjwt on PATH is this binary, and the git link is beside it.
func (c *cli) checkPath(self string) helper.Check {
	found := c.lookPath("tdjwt")
	if found == "" {
		return helper.Check{Name: "path", Detail: "tdjwt is not on PATH (running " + self + ")", Hint: "add " + filepath.Dir(self) + " to PATH, or install with ./install.sh", Code: helper.CodeNotConfigured}
	}
	if real, _ := filepath.EvalSymlinks(found); real != self {
		return helper.Check{Name: "path", Detail: "tdjwt on PATH is " + found + ", not this binary " + self, Hint: "remove the other copy or reorder PATH", Code: helper.CodeNotConfigured}
	}
	link := filepath.Join(filepath.Dir(found), "git-credential-tdjwt")
	if real, err := filepath.EvalSymlinks(link); err != nil || real != self {
		return helper.Check{Name: "path", Detail: found + " is on PATH, but " + link + " does not lead to it", Hint: "ln -sf tdjwt " + link + " (install.sh does this)", Code: helper.CodeNotConfigured}
	}
	return helper.Check{Name: "path", OK: true, Detail: found + " and git-credential-tdjwt beside it"}
}

// lookPath finds an executable file on $PATH, or returns "".
func (c *cli) lookPath(name string) string {
	for _, dir := range filepath.SplitList(c.getenv("PATH")) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// helperPath takes the program of a git helper or exec command: the first
// word, unquoted.
func helperPath(v string) string {
	v = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), "!"))
	if strings.HasPrefix(v, "'") {
		if end := strings.Index(v[1:], "'"); end >= 0 {
			return v[1 : end+1]
		}
	}
	if strings.HasPrefix(v, `"`) {
		if end := strings.Index(v[1:], `"`); end >= 0 {
			return v[1 : end+1]
		}
	}
	f := strings.Fields(v)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// pointsHere: a configured program that names tdjwt leads to this binary.
func (c *cli) pointsHere(name, prog, self string) helper.Check {
	if !filepath.IsAbs(prog) {
		if lp := c.lookPath(prog); lp != "" {
			prog = lp
		} else if lp := c.lookPath("git-credential-" + prog); name == "git" && lp != "" {
			prog = lp // git runs helper "tdjwt" as git-credential-tdjwt
		}
	}
	if real, err := filepath.EvalSymlinks(prog); err != nil || real != self {
		return helper.Check{Name: name, Detail: "runs " + prog + ", not this binary", Hint: "regenerate it: tdjwt setup " + name + " --profile NAME ...", Code: helper.CodeNotConfigured}
	}
	return helper.Check{Name: name, OK: true, Detail: "entry runs " + prog}
}

func (c *cli) checkGit(self string) []helper.Check {
	out, err := exec.Command("git", "config", "--global", "--get-regexp", `^credential\..*helper$`).Output()
	if err != nil {
		return nil
	}
	var checks []helper.Check
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		_, v, _ := strings.Cut(sc.Text(), " ")
		if strings.Contains(v, "tdjwt") {
			checks = append(checks, c.pointsHere("git", helperPath(v), self))
		}
	}
	return checks
}

func (c *cli) checkKubeconfig(self string) []helper.Check {
	paths := filepath.SplitList(c.getenv("KUBECONFIG"))
	if len(paths) == 0 && c.getenv("HOME") != "" {
		paths = []string{filepath.Join(c.getenv("HOME"), ".kube", "config")}
	}
	var checks []helper.Check
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
			if ok && k == "command" && strings.Contains(v, "tdjwt") {
				checks = append(checks, c.pointsHere("kubeconfig", helperPath(v), self))
			}
		}
	}
	return checks
}
