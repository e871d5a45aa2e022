package helper

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"tdjwt/keystore"
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
	Keystore      string `toml:"keystore"`
	Cache         *bool  `toml:"cache,omitempty"`
	Generation    string `toml:"generation"`
	KeySHA256     string `toml:"key_sha256"`
	KeyBits       int    `toml:"key_bits"`
	PATSHA256     string `toml:"pat_sha256"`
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

// CheckProfileName keeps names usable as keychain accounts and file names.
func CheckProfileName(name string) error {
	if !validProfileName(name) {
		return fail(CodeUsage, fmt.Sprintf("invalid profile name %q", clip(name)),
			"use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	return nil
}

// ConfigPath: $TDJWT_CONFIG, else $XDG_CONFIG_HOME/tdjwt/config.toml, else
// the OS's user config directory (~/.config on Linux).
func ConfigPath(getenv func(string) string) (string, error) {
	if p := getenv("TDJWT_CONFIG"); p != "" {
		return p, nil
	}
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "tdjwt", "config.toml"), nil
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".config", "tdjwt", "config.toml"), nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fail(CodeNotConfigured, "cannot find a config directory: "+err.Error(), "set TDJWT_CONFIG to the config file's path")
	}
	return filepath.Join(d, "tdjwt", "config.toml"), nil
}

// LoadConfig reads the config file; a missing file is an empty config.
func LoadConfig(path string) (*Config, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{Profiles: map[string]*Profile{}}, nil
	}
	if err != nil {
		return nil, fail(CodeBadInput, "cannot read config "+path+": "+err.Error(), "check the file's permissions")
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		// Follow the link, but check what it points at.
		if fi, err = os.Stat(path); err != nil {
			return nil, fail(CodeBadInput, "cannot read config "+path+": "+err.Error(), "fix or remove the link")
		}
	}
	if !fi.Mode().IsRegular() {
		return nil, fail(CodeBadInput, "config "+path+" is not a regular file", "remove it and run tdjwt login again")
	}
	if err := keystore.CheckReadable(fi); err != nil {
		return nil, fail(CodeBadInput, "config "+path+": "+err.Error(), "fix it with: chmod 600 "+path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fail(CodeBadInput, "cannot read config "+path+": "+err.Error(), "check the file's permissions")
	}
	return ParseConfig(data, path)
}

// ParseConfig decodes the TOML config. Unknown keys are an error: a typo in
// a hand-edited setting must not be silently ignored.
func ParseConfig(data []byte, path string) (*Config, error) {
	var c Config
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&c)
	if err != nil {
		msg := err.Error()
		var pe toml.ParseError
		if errors.As(err, &pe) {
			msg = fmt.Sprintf("line %d: %s", pe.Position.Line, pe.Message)
		}
		return nil, fail(CodeBadInput, "config "+path+" is not valid TOML: "+msg, "fix the file, or move it away and run tdjwt login again")
	}
	if md.IsDefined("profiles") && md.Type("profiles") != "Hash" {
		return nil, fail(CodeBadInput, "config "+path+": profiles must be a table", "write each profile as [profiles.NAME]")
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return nil, fail(CodeBadInput, "config "+path+" has unknown settings: "+strings.Join(keys, ", "), "remove or correct them (see README, \"The config file\")")
	}
	if c.Profiles == nil {
		c.Profiles = map[string]*Profile{}
	}
	for name, p := range c.Profiles {
		if err := CheckProfileName(name); err != nil {
			return nil, fail(CodeBadInput, "config "+path+": "+err.Error(), "rename the profile in the file")
		}
		if p == nil || md.Type("profiles", name) != "Hash" {
			return nil, fail(CodeBadInput, "config "+path+": profile "+name+" is empty", "run tdjwt login --profile "+name+" again")
		}
	}
	return &c, nil
}

// Save writes the config atomically, 0600 in a 0700 directory.
func (c *Config) Save(path string) error {
	var b bytes.Buffer
	b.WriteString("# tdjwt settings: written by tdjwt login. No secrets here: the key and\n# the PAT are in the keystore each profile names.\n\n")
	if err := toml.NewEncoder(&b).Encode(c); err != nil {
		return fail(CodeInternal, "encoding config: "+err.Error(), "")
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fail(CodeBadInput, "cannot create config directory: "+err.Error(), "check permissions of "+dir)
	}
	if err := keystore.WriteFileAtomic(path, b.Bytes()); err != nil {
		return fail(CodeBadInput, "cannot write config "+path+": "+err.Error(), "check free space and permissions of "+dir)
	}
	return nil
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
