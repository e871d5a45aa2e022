package helper

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"

	"tdjwt/keystore/privfile"
)

// Profile holds the non-secret settings of one profile. The key and the PAT
// live in the keystore; Generation, KeySHA256 and PATSHA256 tie the two
// together and key the token cache without a keychain read.
type Profile struct {
	User          string `toml:"user"`
	Org           string `toml:"org"`
	OrgClaim      string `toml:"org_claim"`
	Issuer        string `toml:"issuer"`
	Kid           string `toml:"kid"`
	Lifetime      string `toml:"lifetime"`
	IssuedAt      string `toml:"issued_at"`
	RefreshMargin string `toml:"refresh_margin,omitempty"`
	BaseURL       string `toml:"base_url,omitempty"`
	// AccountURL is https://HOST/api/accounts/ENV_ID when the base URL
	// named the environment: doctor --online checks a token there.
	AccountURL string `toml:"account_url,omitempty"`
	// GitURLs are the https URLs `setup git` bound to the profile; the git
	// helper answers for them and for the base URL's host, nothing else.
	GitURLs    []string `toml:"git_urls,omitempty"`
	Keystore   string   `toml:"keystore"`
	Cache      *bool    `toml:"cache,omitempty"`
	Generation string   `toml:"generation"`
	KeySHA256  string   `toml:"key_sha256"`
	KeyBits    int      `toml:"key_bits"`
	PATSHA256  string   `toml:"pat_sha256"`
}

// Config is the whole config file.
type Config struct {
	Profiles map[string]*Profile `toml:"profiles"`
}

// validProfileName: 1 to 64 of [A-Za-z0-9._-], starting with a letter or
// digit. (Hand-written: a package-level regexp costs a millisecond of
// start-up on every call.)
func validProfileName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for i, r := range name {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !alnum && (i == 0 || r != '.' && r != '_' && r != '-') {
			return false
		}
	}
	return true
}

// checkProfileName keeps names usable as keychain accounts and file names.
func checkProfileName(name string) error {
	if !validProfileName(name) {
		return fail(CodeUsage, fmt.Sprintf("invalid profile name %q", clip(name)),
			"use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	return nil
}

// ConfigPath: $TDJWT_CONFIG, else $XDG_CONFIG_HOME/tdjwt/config.toml, else
// the OS's user config directory (~/.config on Linux).
func ConfigPath(getenv func(string) string, userConfigDir func() (string, error)) (string, error) {
	if p := getenv("TDJWT_CONFIG"); p != "" {
		return p, nil
	}
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "tdjwt", "config.toml"), nil
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".config", "tdjwt", "config.toml"), nil
	}
	d, err := userConfigDir()
	if err != nil {
		return "", fail(CodeNotConfigured, "cannot find a config directory: "+err.Error(), "set TDJWT_CONFIG to the config file's path")
	}
	return filepath.Join(d, "tdjwt", "config.toml"), nil
}

// maxConfig bounds the config file: a hundred profiles fit in 64 KiB.
const maxConfig = 64 << 10

// maxNesting bounds arrays and inline tables in the config before the TOML
// parser sees them: tdjwt's own config nests two deep, and a deeply nested
// file makes the parser recurse until the stack overflows.
const maxNesting = 8

// loadConfig reads the config file; a missing file is an empty config. A
// symlinked config (dotfile managers) is followed; whatever it leads to
// must be a private regular file of at most MaxConfig bytes.
func loadConfig(path string) (*Config, error) {
	data, err := readConfig(path)
	if err != nil {
		return nil, err
	}
	return parseConfig(data, path)
}

// readConfig returns the config file's bytes (nil for a missing file),
// opened without blocking and checked: a private regular file of at most
// maxConfig bytes.
func readConfig(path string) ([]byte, error) {
	data, fi, err := privfile.Read(path, maxConfig, true, nil)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, lerr := os.Lstat(path); lerr == nil {
			return nil, fail(CodeBadInput, "config "+path+" is a symbolic link to nothing", "fix or remove the link")
		}
		return nil, nil
	case errors.Is(err, privfile.ErrNotRegular):
		return nil, fail(CodeBadInput, "config "+path+" is not a regular file", "remove it and run tdjwt login again")
	case err != nil:
		return nil, fail(CodeBadInput, "cannot read config "+path+": "+err.Error(), "the config is a small text file written by tdjwt login; move this one away and log in again")
	}
	if err := privfile.CheckReadable(fi); err != nil {
		return nil, fail(CodeBadInput, "config "+path+": "+err.Error(), "fix it with: chmod 600 "+path)
	}
	return data, nil
}

// parseConfig decodes the TOML config. Unknown keys are an error: a typo in
// a hand-edited setting must not be silently ignored.
func parseConfig(data []byte, path string) (*Config, error) {
	bad := func(msg string) error {
		return fail(CodeBadInput, "config "+path+" "+msg, "fix the file, or move it away and run tdjwt login again")
	}
	if len(data) > maxConfig {
		return nil, bad(fmt.Sprintf("is larger than %d bytes", maxConfig))
	}
	if !utf8.Valid(data) {
		line := 1 + bytes.Count(data[:invalidUTF8At(data)], []byte("\n"))
		return nil, bad(fmt.Sprintf("is not valid UTF-8 (line %d)", line))
	}
	if line, ok := nestingOK(data); !ok {
		return nil, bad(fmt.Sprintf("nests arrays or tables more than %d deep (line %d)", maxNesting, line))
	}
	var c Config
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		var unknown *toml.StrictMissingError
		if errors.As(err, &unknown) {
			keys := make([]string, 0, len(unknown.Errors))
			for i, e := range unknown.Errors {
				if i == 5 {
					keys = append(keys, "...")
					break
				}
				keys = append(keys, strconv.Quote(clip(strings.Join(e.Key(), "."))))
			}
			return nil, fail(CodeBadInput, "config "+path+" has unknown settings: "+strings.Join(keys, ", "), "remove or correct them (see README, \"The config file\")")
		}
		msg := err.Error()
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, _ := de.Position()
			msg = fmt.Sprintf("line %d: %s", row, de.Error())
		}
		if len(msg) > 240 { // the config holds no secrets; keep the line readable
			msg = msg[:240] + "..."
		}
		return nil, bad("is not valid TOML: " + msg)
	}
	if c.Profiles == nil {
		c.Profiles = map[string]*Profile{}
	}
	for name, p := range c.Profiles {
		if err := checkProfileName(name); err != nil {
			return nil, fail(CodeBadInput, "config "+path+": "+err.Error(), "rename the profile in the file")
		}
		if p == nil {
			return nil, fail(CodeBadInput, "config "+path+": profile "+name+" is empty", "run tdjwt login --profile "+name+" again")
		}
		if err := p.validate(); err != nil {
			return nil, fail(CodeBadInput, "config "+path+": profile "+name+": "+AsError(err).Msg, "correct the value in the file, or run tdjwt login --profile "+name+" again")
		}
	}
	return &c, nil
}

func invalidUTF8At(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(data)
}

// nestingOK reports whether no array or inline table in data nests deeper
// than maxNesting, skipping strings and comments, and the line where it
// does. It is a bound, not a parser: the TOML decoder still judges the rest.
func nestingOK(data []byte) (int, bool) {
	depth, line := 0, 1
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '\n':
			line++
		case '#':
			for i < len(data) && data[i] != '\n' {
				i++
			}
			i--
		case '"', '\'':
			multi := i+2 < len(data) && data[i+1] == c && data[i+2] == c
			if multi {
				i += 3
				for i+2 < len(data) && !(data[i] == c && data[i+1] == c && data[i+2] == c) {
					if data[i] == '\\' && c == '"' {
						i++
					} else if data[i] == '\n' {
						line++
					}
					i++
				}
				i += 2
				continue
			}
			for i++; i < len(data) && data[i] != c && data[i] != '\n'; i++ {
				if data[i] == '\\' && c == '"' {
					i++
				}
			}
			if i < len(data) && data[i] == '\n' {
				line++
			}
		case '[', '{':
			depth++
			if depth > maxNesting {
				return line, false
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return line, true
}

// realPath is where the config is written: the target of a symlinked
// config (written next to it, atomically), else the path itself.
func realPath(path string) (string, error) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return path, nil
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fail(CodeBadInput, "config "+path+" is a symbolic link that does not resolve: "+err.Error(), "fix or remove the link")
	}
	return real, nil
}

// Save writes the config atomically, 0600 in a 0700 directory; through a
// symlink to its target, so that a dotfile manager's link stays a link.
func (c *Config) Save(path string) error {
	var b bytes.Buffer
	b.WriteString("# tdjwt settings: written by tdjwt login. No secrets here: the key and\n# the PAT are in the keystore each profile names.\n\n")
	enc := toml.NewEncoder(&b)
	enc.SetIndentTables(true)
	if err := enc.Encode(c); err != nil {
		return fail(CodeInternal, "encoding config: "+err.Error(), "")
	}
	if b.Len() > maxConfig {
		return fail(CodeBadInput, fmt.Sprintf("the config would be larger than %d bytes", maxConfig), "remove profiles you no longer use: tdjwt logout --profile NAME")
	}
	real, err := realPath(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(real)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fail(CodeBadInput, "cannot create config directory: "+err.Error(), "check permissions of "+dir)
	}
	if err := privfile.WriteAtomic(real, b.Bytes()); err != nil {
		return fail(CodeBadInput, "cannot write config "+real+": "+err.Error(), "check free space and permissions of "+dir)
	}
	return nil
}

// configLockWait bounds how long a command waits for another one that is
// changing the config (a login stores secrets within the keychain bound).
const configLockWait = 30 * time.Second

// lockConfig serialises every read-modify-write of the config and of the
// keystore items it describes: a lock file next to the (real) config.
// Callers re-read the config once they hold it.
func lockConfig(path string) (func(), error) {
	real, err := realPath(path)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(real)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fail(CodeBadInput, "cannot create config directory: "+err.Error(), "check permissions of "+dir)
	}
	unlock, err := privfile.Lock(real+".lock", configLockWait)
	if err != nil {
		return nil, fail(CodeInternal, "cannot lock the config "+real+": "+err.Error(), "another tdjwt login or logout is running; try again when it has finished")
	}
	return unlock, nil
}

// Names lists the profiles in order.
func (c *Config) Names() []string {
	names := make([]string, 0, len(c.Profiles))
	for n := range c.Profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
