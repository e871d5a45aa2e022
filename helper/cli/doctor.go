package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"tdjwt/helper"
	"tdjwt/keystore/privfile"
)

// doctor prints one line per check and fails with the class of the first
// failure. WARN lines point at risks that do not stop tdjwt from working.
func (c *cli) doctor(args []string) error {
	fs := c.flags("doctor", "doctor [--profile NAME] [--online]", true)
	online := fs.Bool("online", false, "also send a token to the profile's account URL (https only) and compare clocks")
	if err := c.parseNoArgs(fs, args, "doctor takes no arguments"); err != nil {
		return err
	}
	h, err := c.helper()
	if err != nil {
		return err
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
		default:
			checks = append(checks, helper.Online(p, tok.Value, c.Now))
		}
	}
	checks = append(checks, c.checkGit(h, self)...)
	checks = append(checks, c.checkKubeconfig(self)...)
	var first helper.Code
	for _, ch := range checks {
		mark := "ok  "
		switch {
		case ch.Warn:
			mark = "WARN"
		case !ch.OK:
			mark = "FAIL"
			if first == "" {
				first = ch.Code
			}
		}
		fmt.Fprintf(c.Stdout, "%s  %-10s %s\n", mark, ch.Name, ch.Detail)
		if !ch.OK && ch.Hint != "" {
			fmt.Fprintf(c.Stdout, "      %-10s hint: %s\n", "", ch.Hint)
		}
	}
	if first != "" {
		return &helper.Error{Code: first, Msg: "some checks failed", Hint: "follow the hint under each FAIL line"}
	}
	return nil
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
	link := filepath.Join(filepath.Dir(found), "git-credential-tdjwt"+filepath.Ext(found))
	if runtime.GOOS == "windows" {
		// A copy, as README says: Windows links need privileges.
		if fi, err := os.Stat(link); err != nil || !fi.Mode().IsRegular() {
			return helper.Check{Name: "path", Detail: found + " is on PATH, but " + link + " is missing", Hint: "copy tdjwt.exe to " + link, Code: helper.CodeNotConfigured}
		}
	} else if real, err := filepath.EvalSymlinks(link); err != nil || real != self {
		return helper.Check{Name: "path", Detail: found + " is on PATH, but " + link + " does not lead to it", Hint: "ln -sf tdjwt " + link + " (install.sh does this)", Code: helper.CodeNotConfigured}
	}
	return helper.Check{Name: "path", OK: true, Detail: found + " and git-credential-tdjwt beside it"}
}

// lookPath finds name on $PATH as exec.LookPath does, but in the injected
// environment: on Windows with each of $PATHEXT's extensions and no
// executable bit (Windows has none), elsewhere an executable regular file.
func (c *cli) lookPath(name string) string {
	exts := []string{""}
	if runtime.GOOS == "windows" {
		pathext := c.Getenv("PATHEXT")
		if pathext == "" {
			pathext = ".com;.exe;.bat;.cmd"
		}
		exts = nil
		if filepath.Ext(name) != "" {
			exts = append(exts, "")
		}
		for _, e := range strings.Split(strings.ToLower(pathext), ";") {
			if e != "" {
				exts = append(exts, e)
			}
		}
	}
	for _, dir := range filepath.SplitList(c.Getenv("PATH")) {
		for _, ext := range exts {
			p := filepath.Join(dir, name+ext)
			fi, err := os.Stat(p)
			if err == nil && fi.Mode().IsRegular() && (runtime.GOOS == "windows" || fi.Mode().Perm()&0o111 != 0) {
				return p
			}
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

// storingHelpers keep what a helper answered on disk or in memory and serve
// it again: with tdjwt, a PAT-bearing token, served after it expired.
var storingHelpers = []string{"store", "cache", "libsecret", "osxkeychain", "wincred", "manager", "manager-core", "gnome-keyring", "netrc"}

// gitHelpers reads every credential helper entry of git's config, in the
// order git applies them (system, global, local).
func (c *cli) gitHelpers() [][2]string {
	out, err := c.command("git", "config", "--get-regexp", `^credential\..*helper$`).Output()
	if err != nil {
		return nil
	}
	var entries [][2]string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), " ")
		pattern := strings.TrimSuffix(strings.TrimPrefix(k, "credential."), "helper")
		entries = append(entries, [2]string{strings.TrimSuffix(pattern, "."), v})
	}
	return entries
}

// urlMatches approximates git's credential.<url> matching: same scheme and
// host, and the pattern's path a prefix of the URL's.
func urlMatches(pattern, target string) bool {
	if pattern == "" {
		return true
	}
	p, err1 := url.Parse(pattern)
	t, err2 := url.Parse(target)
	if err1 != nil || err2 != nil || p.Host == "" {
		return false
	}
	if (p.Scheme != "" && p.Scheme != t.Scheme) || !strings.EqualFold(p.Host, t.Host) {
		return false
	}
	pp := strings.Trim(p.Path, "/")
	tp := strings.Trim(t.Path, "/")
	return pp == "" || tp == pp || strings.HasPrefix(tp, pp+"/")
}

func (c *cli) checkGit(h *helper.Helper, self string) []helper.Check {
	entries := c.gitHelpers()
	var checks []helper.Check
	for _, e := range entries {
		if strings.Contains(e[1], "tdjwt") {
			checks = append(checks, c.pointsHere("git", helperPath(e[1]), self))
		}
	}
	bindings, err := h.GitBindings()
	if err != nil {
		return checks
	}
	for _, b := range bindings {
		// The helpers git runs for this URL: every matching entry in
		// order, an empty value resetting the list.
		var list []string
		for _, e := range entries {
			if urlMatches(e[0], b.URL) {
				if e[1] == "" {
					list = nil
				} else {
					list = append(list, e[1])
				}
			}
		}
		for _, v := range list {
			name := strings.TrimPrefix(filepath.Base(helperPath(v)), "git-credential-")
			name = strings.TrimSuffix(name, ".exe")
			if contains(storingHelpers, name) {
				checks = append(checks, helper.Check{Name: "git", Warn: true,
					Detail: "helper " + name + " also runs for " + b.URL + ": git hands it tdjwt's token, which carries the PAT, to keep (on disk, for store) and serve after it expired",
					Hint:   "give tdjwt the URL alone: tdjwt setup git --profile " + b.Profile + " --url " + b.URL + " --apply (it resets the helper list for that URL)"})
				break
			}
		}
	}
	return checks
}

// maxKubeconfig bounds a kubeconfig read by doctor.
const maxKubeconfig = 4 << 20

func (c *cli) checkKubeconfig(self string) []helper.Check {
	paths := filepath.SplitList(c.Getenv("KUBECONFIG"))
	if len(paths) == 0 && c.Getenv("HOME") != "" {
		paths = []string{filepath.Join(c.Getenv("HOME"), ".kube", "config")}
	}
	var checks []helper.Check
	for _, p := range paths {
		data, _, err := privfile.Read(p, maxKubeconfig, true, nil)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			checks = append(checks, helper.Check{Name: "kubeconfig", Detail: "cannot read " + p + ": " + err.Error(),
				Hint: "KUBECONFIG must name regular files of a few kilobytes", Code: helper.CodeBadInput})
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
