package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
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
  tdjwt version | help

Every command takes -h. The profile is --profile, else $TDJWT_PROFILE, else
"default". --debug (or TDJWT_DEBUG=1) logs each step to stderr, never a secret.

Exit codes: 0 ok, 1 internal, 2 usage, 3 not configured, 4 keystore
unavailable, 5 bad key or input.
`

// cli is one invocation: the process, the helper and the flags every
// command shares.
type cli struct {
	*sys
	h       *helper.Helper
	debug   bool
	profile string
	json    bool // errors go to stdout as JSON too
}

// usageError is a flag or argument problem; it prints the command's usage.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

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
		return c.report(usageError{err.Error()})
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
	var err error
	switch verb {
	case "login":
		err = c.login(args)
	case "token":
		err = c.token(args)
	case "exec":
		err = c.exec(args)
	case "get", "store", "erase":
		err = c.git(verb, args)
	case "inspect":
		err = c.inspect(args)
	case "profiles":
		err = c.profiles(args)
	case "logout":
		err = c.logout(args)
	case "setup":
		err = c.setup(args)
	case "cache":
		err = c.cache(args)
	case "doctor":
		return c.doctor(args)
	case "version":
		fmt.Fprintln(s.stdout, "tdjwt", buildVersion())
	case "help":
		fmt.Fprint(s.stdout, usageText)
	case "":
		err = usageError{"no command given"}
	default:
		err = usageError{fmt.Sprintf("unknown command %q", clip(verb))}
	}
	return c.finish(err)
}

func (c *cli) finish(err error) int {
	if err == nil {
		return exitOK
	}
	return c.report(err)
}

// report prints err as "tdjwt: error: ..." and "tdjwt: hint: ..." on stderr
// (and as a JSON error object on stdout in JSON mode) and picks the exit code.
func (c *cli) report(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var ue usageError
	if errors.As(err, &ue) {
		msg := ue.msg
		fmt.Fprintf(c.stderr, "tdjwt: error: %s\n", msg)
		fmt.Fprintln(c.stderr, "tdjwt: hint: run tdjwt help, or tdjwt COMMAND -h")
		if c.json {
			protocol.WriteError(c.stdout, protocol.ErrorBody{Code: string(helper.CodeUsage), Message: msg, Hint: "run tdjwt help"})
		}
		return exitUsage
	}
	e := helper.AsError(err)
	fmt.Fprintf(c.stderr, "tdjwt: error: %s\n", e.Error())
	hint := e.Hint
	if hint == "" {
		hint = "run tdjwt doctor, or again with --debug, to see what failed"
	}
	fmt.Fprintf(c.stderr, "tdjwt: hint: %s\n", hint)
	if c.json {
		protocol.WriteError(c.stdout, protocol.ErrorBody{Code: string(e.Code), Message: e.Error(), Hint: hint})
	}
	return exitCode(e.Code)
}

// flags makes a verb's flag set with the shared --profile and --debug.
func (c *cli) flags(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: tdjwt %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.profile, "profile", c.profile, "profile `name` (default $TDJWT_PROFILE, else \"default\")")
	fs.BoolVar(&c.debug, "debug", c.debug, "log each step to stderr (never secrets)")
	return fs
}

// parse parses a verb's flags; -h prints usage to stdout and succeeds.
func (c *cli) parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(c.stdout)
		fs.Usage()
		return flag.ErrHelp
	}
	if err != nil {
		return usageError{err.Error()}
	}
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
		d, err := time.ParseDuration(v)
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
			if limit > 0 {
				k.Limit = limit
			}
		}
		return s, err
	}
	h.CacheDir = helper.CacheDir(c.getenv)
	c.debugf("config %s, cache %s", cfg, h.CacheDir)
	c.h = h
	return h, nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
