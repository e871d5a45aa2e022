package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"tdjwt/helper"
	"tdjwt/keystore"
	"tdjwt/protocol"
)

// version is stamped by the build (-ldflags "-X main.version=...").
var version = ""

// sys is the process as run sees it; main fills it, tests fake it.
type sys struct {
	args           []string
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	stdinTTY       bool
	readPassword   func() ([]byte, error)
	executable     func() (string, error)
	now            func() time.Time
	harden         func()
	environ        func() []string
}

// Exit codes: a stable contract, documented in README.
const (
	exitOK            = 0
	exitInternal      = 1
	exitUsage         = 2
	exitNotConfigured = 3
	exitKeystore      = 4
	exitBadInput      = 5
)

func exitCode(c helper.Code) int {
	switch c {
	case helper.CodeUsage:
		return exitUsage
	case helper.CodeNotConfigured:
		return exitNotConfigured
	case helper.CodeKeystore:
		return exitKeystore
	case helper.CodeBadInput:
		return exitBadInput
	}
	return exitInternal
}

const usageText = `tdjwt returns freshly signed Teradata VantageCloud Lake JWTs from a key and
a personal access token (PAT) kept in the OS keychain.

Usage:
  tdjwt login    --profile NAME --pem FILE --user USER (--base-url URL | --org ORG) [flags]
                 (the PAT is read from stdin, or asked for without echo)
  tdjwt token    [--profile NAME] [--format raw|json] [--min-valid D]
  tdjwt exec     [--profile NAME] [--api-version V]     client-go exec credential
  tdjwt get|store|erase                                 git credential helper
  tdjwt inspect  [--pem FILE] [TOKEN]                   decode a token (stdin if no TOKEN)
  tdjwt profiles                                        list profiles
  tdjwt logout   --profile NAME
  tdjwt setup    git --profile NAME --url URL [--apply] | kubeconfig --profile NAME
  tdjwt cache    list | clear [--profile NAME]
  tdjwt doctor   [--profile NAME] [--online]
  tdjwt version | help [COMMAND]

Every command takes -h. The profile is --profile, else $TDJWT_PROFILE, else
"default". --debug (or TDJWT_DEBUG=1) logs each step to stderr, never a secret.

Exit codes: 0 ok, 1 internal, 2 usage, 3 not configured, 4 keystore
unavailable, 5 bad key or input.
`

var verbs = []string{"login", "token", "exec", "get", "store", "erase", "inspect", "profiles", "logout", "setup", "cache", "doctor", "version", "help"}

// cli is one invocation: the process, the helper and the flags every
// command shares.
type cli struct {
	*sys
	h       *helper.Helper
	debug   bool
	profile string
	// keyringDeadline bounds all the keychain calls of this command.
	keyringDeadline time.Time
}

// usageError is a flag or argument problem; hint, when set, replaces the
// generic pointer to the help.
type usageError struct{ msg, hint string }

func (e usageError) Error() string { return e.msg }

// jsonError marks an error of a command in JSON mode: report also writes
// it to stdout as a JSON error object.
type jsonError struct{ error }

func (e jsonError) Unwrap() error { return e.error }

func run(s *sys) (code int) {
	if s.harden != nil {
		s.harden()
	}
	// A bug must not print a stack trace (its values may hold secrets) or
	// leave the caller with half an answer: say so and fail.
	defer func() {
		if v := recover(); v != nil {
			fmt.Fprintln(s.stderr, "tdjwt: error: internal error (a bug in tdjwt)")
			fmt.Fprintln(s.stderr, "tdjwt: hint: run again with --debug and report the steps it shows (they hold no secrets)")
			code = exitInternal
		}
	}()
	c := &cli{sys: s}
	c.debug = s.getenv("TDJWT_DEBUG") == "1"
	args := s.args[1:]
	name := strings.TrimSuffix(strings.ToLower(filepath.Base(s.args[0])), ".exe")

	// Flags before the verb: what git passes when the helper is configured
	// as "tdjwt --profile prod" (git appends the action).
	pre := flag.NewFlagSet("tdjwt", flag.ContinueOnError)
	pre.SetOutput(io.Discard)
	pre.StringVar(&c.profile, "profile", "", "")
	pre.BoolVar(&c.debug, "debug", c.debug, "")
	showVersion := pre.Bool("version", false, "")
	if err := pre.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(s.stdout, usageText)
			return exitOK
		}
		return c.report(c.flagError(pre, err, "tdjwt [--profile NAME] [--debug] COMMAND ..."))
	}
	if *showVersion {
		fmt.Fprintln(s.stdout, "tdjwt", buildVersion())
		return exitOK
	}
	args = pre.Args()
	verb := ""
	if len(args) > 0 {
		verb, args = args[0], args[1:]
	}
	if name == "git-credential-tdjwt" {
		return c.finish(c.git(verb, args))
	}
	return c.finish(c.dispatch(verb, args))
}

func (c *cli) dispatch(verb string, args []string) error {
	switch verb {
	case "login":
		return c.login(args)
	case "token":
		return c.token(args)
	case "exec":
		return c.exec(args)
	case "get", "store", "erase":
		return c.git(verb, args)
	case "inspect":
		return c.inspect(args)
	case "profiles":
		return c.profiles(args)
	case "logout":
		return c.logout(args)
	case "setup":
		return c.setup(args)
	case "cache":
		return c.cache(args)
	case "doctor":
		return c.doctor(args)
	case "version":
		fmt.Fprintln(c.stdout, "tdjwt", buildVersion())
		return nil
	case "help":
		if len(args) == 0 {
			fmt.Fprint(c.stdout, usageText)
			return nil
		}
		if args[0] == "help" || args[0] == "version" {
			fmt.Fprint(c.stdout, usageText)
			return nil
		}
		if !contains(verbs, args[0]) {
			return c.unknownVerb(args[0])
		}
		return c.dispatch(args[0], append(args[1:len(args):len(args)], "-h"))
	case "":
		fmt.Fprint(c.stderr, usageText)
		return usageError{msg: "no command given", hint: "run tdjwt help, or tdjwt help COMMAND"}
	}
	return c.unknownVerb(verb)
}

func (c *cli) unknownVerb(verb string) error {
	hint := "run tdjwt help to see the commands"
	if near := nearest(verb, verbs); near != "" {
		hint = "did you mean tdjwt " + near + "? (tdjwt help lists the commands)"
	}
	return usageError{msg: fmt.Sprintf("unknown command %q", clip(verb)), hint: hint}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (c *cli) finish(err error) int {
	if err == nil {
		return exitOK
	}
	return c.report(err)
}

// report prints err as "tdjwt: error: ..." and "tdjwt: hint: ..." on stderr
// (and as a JSON error object on stdout for a command in JSON mode) and
// picks the exit code.
func (c *cli) report(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var je jsonError
	asJSON := errors.As(err, &je)
	code, msg, hint := helper.CodeUsage, "", ""
	var ue usageError
	if errors.As(err, &ue) {
		msg, hint = ue.msg, ue.hint
		if hint == "" {
			hint = "run tdjwt help, or tdjwt COMMAND -h"
		}
	} else {
		e := helper.AsError(err)
		code, msg, hint = e.Code, e.Error(), e.Hint
		if hint == "" {
			hint = "run tdjwt doctor, or again with --debug, to see what failed"
		}
	}
	fmt.Fprintf(c.stderr, "tdjwt: error: %s\n", msg)
	fmt.Fprintf(c.stderr, "tdjwt: hint: %s\n", hint)
	if asJSON {
		protocol.WriteError(c.stdout, protocol.ErrorBody{Code: string(code), Message: msg, Hint: hint})
	}
	return exitCode(code)
}

// command is one verb's flag set and its usage line.
type command struct {
	*flag.FlagSet
	usage string
}

// flags makes a verb's flag set with the shared --debug, and --profile
// where the verb uses a profile.
func (c *cli) flags(name, usage string, withProfile bool) *command {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cmd := &command{fs, usage}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: tdjwt %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	if withProfile {
		fs.StringVar(&c.profile, "profile", c.profile, "profile `name` (default $TDJWT_PROFILE, else \"default\")")
	}
	fs.BoolVar(&c.debug, "debug", c.debug, "log each step to stderr (never secrets)")
	return cmd
}

// parse parses a verb's flags, which may come before, between and after
// its arguments ("--" ends the flags); it returns the arguments. -h prints
// the usage to stdout and returns flag.ErrHelp.
func (c *cli) parse(cmd *command, args []string) ([]string, error) {
	var pos []string
	for {
		err := cmd.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			cmd.SetOutput(c.stdout)
			cmd.Usage()
			return nil, flag.ErrHelp
		}
		if err != nil {
			return nil, c.flagError(cmd.FlagSet, err, cmd.usage)
		}
		rest := cmd.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// flagError rewrites Go's flag messages ("flag provided but not defined:
// -pem-file") in tdjwt's terms: the flag with two dashes, the nearest known
// flag, and the verb's usage line.
func (c *cli) flagError(fs *flag.FlagSet, err error, usage string) error {
	msg := err.Error()
	hint := "usage: tdjwt " + usage + " (tdjwt " + strings.Fields(usage + " x")[0] + " -h lists the flags)"
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		name = strings.TrimPrefix(name, "-")
		var known []string
		fs.VisitAll(func(f *flag.Flag) { known = append(known, f.Name) })
		if near := nearest(name, known); near != "" {
			hint = "did you mean --" + near + "? " + hint
		}
		return usageError{msg: "unknown flag --" + clip(name), hint: hint}
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return usageError{msg: "flag --" + strings.TrimPrefix(name, "-") + " needs a value", hint: hint}
	}
	if rest, ok := strings.CutPrefix(msg, "invalid value "); ok {
		// invalid value "x" for flag -min-valid: reason
		if i := strings.Index(rest, " for flag -"); i >= 0 {
			name, reason, _ := strings.Cut(rest[i+len(" for flag -"):], ": ")
			return usageError{msg: "--" + name + " " + rest[:i] + ": " + reason, hint: hint}
		}
	}
	if rest, ok := strings.CutPrefix(msg, "invalid boolean flag "); ok {
		return usageError{msg: "--" + strings.TrimLeft(rest, "-"), hint: hint}
	}
	return usageError{msg: msg, hint: hint}
}

// nearest returns the candidate closest to s, when it is close enough to
// be what was meant: a typo or two, or a longer or shorter form of it
// (--pem-file for --pem).
func nearest(s string, candidates []string) string {
	s = strings.ToLower(s)
	best, bestD := "", -1
	for _, cand := range candidates {
		d := editDistance(s, cand)
		if len(s) > 1 && (strings.HasPrefix(s, cand+"-") || strings.HasPrefix(s, cand+"_") || strings.HasPrefix(cand, s)) {
			d = min(d, 1)
		}
		if bestD < 0 || d < bestD {
			best, bestD = cand, d
		}
	}
	if best == "" || bestD > max(1, min(2, len(best)/3)) {
		return ""
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			// a transposition ("tokne") counts as one edit
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev[j-1])
			}
		}
		prev = cur
	}
	return prev[len(b)]
}

// durationFlag accepts a Go duration or plain seconds, as --lifetime does.
type durationFlag struct{ d *time.Duration }

func (f durationFlag) String() string {
	if f.d == nil {
		return "0s"
	}
	return f.d.String()
}

func (f durationFlag) Set(s string) error {
	d, err := helper.ParseDuration(s)
	if err != nil {
		return errors.New("not a duration (write e.g. 300, 5m or 1h)")
	}
	*f.d = d
	return nil
}

// profileName resolves the profile: --profile, else fallback (e.g. from an
// exec request), else $TDJWT_PROFILE, else "default".
func (c *cli) profileName(fallback string) string {
	name, from := "default", "the default"
	switch {
	case c.profile != "":
		name, from = c.profile, "--profile"
	case fallback != "":
		name, from = fallback, "the request"
	case c.getenv("TDJWT_PROFILE") != "":
		name, from = c.getenv("TDJWT_PROFILE"), "$TDJWT_PROFILE"
	}
	c.debugf("profile %q (from %s)", clip(name), from)
	return name
}

// explicitProfile is the profile the user named (--profile or
// $TDJWT_PROFILE), or "".
func (c *cli) explicitProfile() string {
	if c.profile != "" {
		return c.profile
	}
	return c.getenv("TDJWT_PROFILE")
}

// helper builds the helper once flags are parsed.
func (c *cli) helper() (*helper.Helper, error) {
	if c.h != nil {
		return c.h, nil
	}
	cfg, err := helper.ConfigPath(c.getenv)
	if err != nil {
		return nil, err
	}
	h := &helper.Helper{Getenv: c.getenv, Now: c.now, ConfigPath: cfg}
	if c.debug {
		h.Debug = c.stderr
	}
	timeout := keystore.DefaultTimeout
	if v := c.getenv("TDJWT_KEYRING_TIMEOUT"); v != "" {
		d, err := helper.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, &helper.Error{Code: helper.CodeUsage, Msg: fmt.Sprintf("TDJWT_KEYRING_TIMEOUT %q is not a positive duration", clip(v)), Hint: "write e.g. TDJWT_KEYRING_TIMEOUT=5s"}
		}
		timeout = d
	}
	limit := -1
	if v := c.getenv("TDJWT_KEYRING_ITEM_LIMIT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 256 {
			return nil, &helper.Error{Code: helper.CodeUsage, Msg: fmt.Sprintf("TDJWT_KEYRING_ITEM_LIMIT %q is not a byte count of 256 or more", clip(v)), Hint: "write e.g. TDJWT_KEYRING_ITEM_LIMIT=2000, or unset it"}
		}
		limit = n
	}
	h.OpenStore = func(spec string) (keystore.Store, error) {
		s, err := keystore.Open(spec, c.getenv)
		if k, ok := s.(*keystore.Keyring); ok {
			k.Timeout = timeout
			// One bound for all of this command's keychain work: a login
			// makes several calls, and a stopped keyring must not multiply
			// the wait.
			if c.keyringDeadline.IsZero() {
				c.keyringDeadline = time.Now().Add(timeout)
			}
			k.Deadline = c.keyringDeadline
			if limit > 0 {
				k.Limit = limit
			}
		}
		return s, err
	}
	if h.CacheDir, err = helper.CacheDir(c.getenv); err != nil {
		return nil, err
	}
	c.debugf("config %s, cache %s", cfg, h.CacheDir)
	c.h = h
	return h, nil
}

// secretVars are tdjwt's variables that hold secrets: a child process
// (git) never inherits them.
var secretVars = []string{keystore.EnvPAT, keystore.EnvKey}

// command runs a program with this process's environment less tdjwt's
// secret variables.
func (c *cli) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	var env []string
	for _, kv := range c.environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !contains(secretVars, k) {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "GIT_TERMINAL_PROMPT=0")
	return cmd
}

// withTimeout runs fn, giving up after wait; timedOut reports that case (fn
// may still be blocked on its reader; the process ends soon anyway).
func withTimeout(wait time.Duration, fn func() error) (timedOut bool, err error) {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case err := <-done:
		return false, err
	case <-t.C:
		return true, nil
	}
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
