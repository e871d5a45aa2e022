package helper

import (
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Every parser of untrusted input must return an *Error, never panic.

func FuzzLoadConfig(f *testing.F) {
	f.Add([]byte("[profiles.default]\nuser = \"u\"\norg = \"o\"\nlifetime = \"1h\"\n"))
	f.Add([]byte("profiles = 3"))
	f.Add([]byte("[profiles.'a b']\n"))
	f.Add([]byte("x = " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000)))
	f.Add([]byte("x = " + strings.Repeat("{a=", 3000) + "1" + strings.Repeat("}", 3000)))
	f.Add([]byte("x = \"[[[[[[[[[[\" # {{{{{{{{{{\ny = '''[[[[[[[[[['''\n"))
	f.Add([]byte("[profiles.default]\nkid = \"a\\u0000b\"\nuser = \"x\\ny\"\n"))
	f.Add([]byte("[profiles.default]\nissuer = \"\xff\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The whole path: a file on disk through LoadConfig, as tdjwt reads it.
		path := filepath.Join(t.TempDir(), "config.toml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := loadConfig(path)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Hint == "" {
				t.Fatalf("error without a hint: %v", err)
			}
			return
		}
		for name, p := range c.Profiles {
			if checkProfileName(name) != nil || p == nil {
				t.Fatalf("accepted profile %q", name)
			}
			p.settings() // must not panic on any accepted value
			if p.validate() != nil {
				t.Fatalf("accepted a profile with invalid values")
			}
		}
	})
}

func FuzzParseKeyPEM(f *testing.F) {
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8(f, testKey(f))}))
	f.Add([]byte("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"))
	f.Add([]byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := parseKeyPEM(data, "fuzz.pem")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeBadInput || e.Hint == "" || strings.Contains(e.Msg, "BEGIN") {
				t.Fatalf("bad error: %v", err)
			}
			return
		}
		if k.N.BitLen() < minKeyBits {
			t.Fatal("accepted a short key")
		}
	})
}

func FuzzInspect(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9.c2ln")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, tok string) {
		in, err := Inspect(tok, time.Unix(0, 0))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		if strings.Contains(string(in.Claims), `"pat": "`) && !strings.Contains(string(in.Claims), `"pat": "[redacted]"`) {
			t.Fatal("pat not redacted")
		}
	})
}
