package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"tdjwt/helper"
	"tdjwt/protocol"
)

// Process is the process as the CLI sees it: main fills it from the
// operating system, tests fake any of it. Nothing else in tdjwt touches
// the process.
type Process struct {
	Args           []string
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Environ        func() []string
	StdinTTY       bool
	ReadPassword   func() ([]byte, error)
	// Executable is the absolute, symlink-free path of this binary.
	Executable func() (string, error)
	Now        func() time.Time
	// Harden makes the process unfit for core dumps and ptrace; nil skips.
	Harden func()
	// Command prepares a child process (git, for doctor and setup).
	Command func(name string, arg ...string) *exec.Cmd
	// UserConfigDir and UserCacheDir are the OS's directories, for when
	// the environment names none.
	UserConfigDir, UserCacheDir func() (string, error)
	// Version is the build's version, for tdjwt version.
	Version string
}

// Code is the class of an error Run returned: "usage", "not_configured",
// "keystore_unavailable", "bad_input" or "internal" (main maps it to the
// exit code).
func Code(err error) string { return string(helper.AsError(err).Code) }

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

// cli is one invocation: the process, the helper and the flags every
// command shares.
type cli struct {
	*Process
	h       *helper.Helper
	debug   bool
	profile string
}

// usage is a flag or argument problem; hint, when empty, becomes a pointer
// to the help.
func usage(msg, hint string) error {
	return &helper.Error{Code: helper.CodeUsage, Msg: msg, Hint: hint}
}

// jsonError marks an error of a command in JSON mode: report also writes
// it to stdout as a JSON error object.
type jsonError struct{ error }

func (e jsonError) Unwrap() error { return e.error }

// Run runs one tdjwt command. It prints the protocol answer on stdout, and
// a failure as "tdjwt: error:" and "tdjwt: hint:" lines on stderr, then
// returns that failure (nil on success) for main's exit code. A panic
// becomes an internal error without a stack trace.
func Run(p *Process) (err error) {
	if p.Harden != nil {
		p.Harden()
	}
	// A bug must not print a stack trace (its values may hold secrets) or
	// leave the caller with half an answer: say so and fail.
	defer func() {
		if v := recover(); v != nil {
			fmt.Fprintln(p.Stderr, "tdjwt: error: internal error (a bug in tdjwt)")
			fmt.Fprintln(p.Stderr, "tdjwt: hint: run again with --debug and report the steps it shows (they hold no secrets)")
			err = &helper.Error{Code: helper.CodeInternal, Msg: "internal error"}
		}
	}()
	c := &cli{Process: p}
	return c.report(c.run())
}

func (c *cli) run() error {
	c.debug = c.Getenv("TDJWT_DEBUG") == "1"
	args := c.Args[1:]
	name := strings.TrimSuffix(strings.ToLower(filepath.Base(c.Args[0])), ".exe")

	// Flags before the verb: what git passes when the helper is configured
	// as "tdjwt --profile prod" (git appends the action).
	pre := flag.NewFlagSet("tdjwt", flag.ContinueOnError)
	pre.SetOutput(io.Discard)
	pre.StringVar(&c.profile, "profile", "", "")
	pre.BoolVar(&c.debug, "debug", c.debug, "")
	showVersion := pre.Bool("version", false, "")
	if err := pre.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(c.Stdout, usageText)
			return nil
		}
		return c.flagError(pre, err, "tdjwt [--profile NAME] [--debug] COMMAND ...")
	}
	if *showVersion {
		return c.version(nil)
	}
	args = pre.Args()
	verb := ""
	if len(args) > 0 {
		verb, args = args[0], args[1:]
	}
	if name == "git-credential-tdjwt" {
		return c.git(verb, args)
	}
	return c.dispatch(verb, args)
}

// commands maps each verb to its command; every command has one shape.
var commands = map[string]func(*cli, []string) error{
	"login":    (*cli).login,
	"token":    (*cli).token,
	"exec":     (*cli).exec,
	"get":      func(c *cli, args []string) error { return c.git("get", args) },
	"store":    func(c *cli, args []string) error { return c.git("store", args) },
	"erase":    func(c *cli, args []string) error { return c.git("erase", args) },
	"inspect":  (*cli).inspect,
	"profiles": (*cli).profiles,
	"logout":   (*cli).logout,
	"setup":    (*cli).setup,
	"cache":    (*cli).cache,
	"doctor":   (*cli).doctor,
	"version":  (*cli).version,
	// help: see dispatch (it looks commands up itself)
}

func (c *cli) dispatch(verb string, args []string) error {
	if verb == "" {
		fmt.Fprint(c.Stderr, usageText)
		return usage("no command given", "run tdjwt help, or tdjwt help COMMAND")
	}
	if verb == "help" {
		return c.help(args)
	}
	cmd, ok := commands[verb]
	if !ok {
		return c.unknownVerb(verb)
	}
	return cmd(c, args)
}

// help prints the usage, or a command's own (tdjwt help token).
func (c *cli) help(args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "version" {
		fmt.Fprint(c.Stdout, usageText)
		return nil
	}
	if _, ok := commands[args[0]]; !ok {
		return c.unknownVerb(args[0])
	}
	return c.dispatch(args[0], append(args[1:len(args):len(args)], "-h"))
}

func (c *cli) unknownVerb(verb string) error {
	hint := "run tdjwt help to see the commands"
	verbs := []string{"help"}
	for v := range commands {
		verbs = append(verbs, v)
	}
	sort.Strings(verbs)
	if near := nearest(verb, verbs); near != "" {
		hint = "did you mean tdjwt " + near + "? (tdjwt help lists the commands)"
	}
	return usage(fmt.Sprintf("unknown command %q", clip(verb)), hint)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// report prints err as "tdjwt: error: ..." and "tdjwt: hint: ..." on stderr
// (and as a JSON error object on stdout for a command in JSON mode), and
// returns it; -h's flag.ErrHelp is no error.
func (c *cli) report(err error) error {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return nil
	}
	var je jsonError
	asJSON := errors.As(err, &je)
	e := helper.AsError(err)
	hint := e.Hint
	switch {
	case hint != "":
	case e.Code == helper.CodeUsage:
		hint = "run tdjwt help, or tdjwt COMMAND -h"
	default:
		hint = "run tdjwt doctor, or again with --debug, to see what failed"
	}
	fmt.Fprintf(c.Stderr, "tdjwt: error: %s\n", e.Error())
	fmt.Fprintf(c.Stderr, "tdjwt: hint: %s\n", hint)
	if asJSON {
		protocol.WriteError(c.Stdout, protocol.ErrorBody{Code: string(e.Code), Message: e.Error(), Hint: hint})
	}
	return e
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
			cmd.SetOutput(c.Stdout)
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

// parseNoArgs parses a verb that takes flags only; msg says so when
// arguments come anyway.
func (c *cli) parseNoArgs(cmd *command, args []string, msg string) error {
	pos, err := c.parse(cmd, args)
	if err == nil && len(pos) > 0 {
		err = usage(msg, "")
	}
	return err
}

// flagError rewrites Go's flag messages ("flag provided but not defined:
// -pem-file") in tdjwt's terms: the flag with two dashes, the nearest known
// flag, and the verb's usage line.
func (c *cli) flagError(fs *flag.FlagSet, err error, line string) error {
	msg := err.Error()
	hint := "usage: tdjwt " + line + " (tdjwt " + strings.Fields(line + " x")[0] + " -h lists the flags)"
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		name = strings.TrimPrefix(name, "-")
		var known []string
		fs.VisitAll(func(f *flag.Flag) { known = append(known, f.Name) })
		if near := nearest(name, known); near != "" {
			hint = "did you mean --" + near + "? " + hint
		}
		return usage("unknown flag --"+clip(name), hint)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return usage("flag --"+strings.TrimPrefix(name, "-")+" needs a value", hint)
	}
	if rest, ok := strings.CutPrefix(msg, "invalid value "); ok {
		// invalid value "x" for flag -min-valid: reason
		if i := strings.Index(rest, " for flag -"); i >= 0 {
			name, reason, _ := strings.Cut(rest[i+len(" for flag -"):], ": ")
			return usage("--"+name+" "+rest[:i]+": "+reason, hint)
		}
	}
	if rest, ok := strings.CutPrefix(msg, "invalid boolean flag "); ok {
		return usage("--"+strings.TrimLeft(rest, "-"), hint)
	}
	return usage(msg, hint)
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
	case c.Getenv("TDJWT_PROFILE") != "":
		name, from = c.Getenv("TDJWT_PROFILE"), "$TDJWT_PROFILE"
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
	return c.Getenv("TDJWT_PROFILE")
}

// helper builds the helper once flags are parsed.
func (c *cli) helper() (*helper.Helper, error) {
	if c.h != nil {
		return c.h, nil
	}
	var debug io.Writer
	if c.debug {
		debug = c.Stderr
	}
	h, err := helper.New(c.Getenv, c.Now, c.UserConfigDir, c.UserCacheDir, debug)
	if err != nil {
		return nil, err
	}
	c.h = h
	return h, nil
}

// command prepares a program with this process's environment less
// tdjwt's secret variables, never prompting.
func (c *cli) command(name string, args ...string) *exec.Cmd {
	cmd := c.Command(name, args...)
	var env []string
	for _, kv := range c.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !helper.SecretVariable(k) {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "GIT_TERMINAL_PROMPT=0")
	return cmd
}

// readStdin is the one reader of stdin: at most limit bytes, until EOF,
// waiting at most wait (timedOut reports that case). what names the input
// in errors.
func (c *cli) readStdin(what string, limit int64, wait time.Duration) (data []byte, timedOut bool, err error) {
	timedOut, err = helper.Within(wait, func() (err error) {
		data, err = io.ReadAll(io.LimitReader(c.Stdin, limit+1))
		return err
	})
	switch {
	case timedOut:
		return nil, true, nil
	case err != nil:
		return nil, false, &helper.Error{Code: helper.CodeBadInput, Msg: "reading " + what + " on stdin: " + err.Error()}
	case int64(len(data)) > limit:
		return nil, false, &helper.Error{Code: helper.CodeBadInput, Msg: fmt.Sprintf("%s on stdin is larger than %d bytes", what, limit)}
	}
	return data, false, nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
