package helper

import (
	"fmt"
	"log/slog"
)

const redacted = "[redacted]"

// Secret carries a PAT, a key or a token. Every way of printing it prints
// [redacted]; Reveal is the one way out, used where the value is written to
// the protocol output or the keystore.
type Secret struct{ v string }

func NewSecret(s string) Secret { return Secret{s} }

func (s Secret) Reveal() string             { return s.v }
func (s Secret) Empty() bool                { return s.v == "" }
func (Secret) String() string               { return redacted }
func (Secret) GoString() string             { return redacted }
func (Secret) Format(f fmt.State, _ rune)   { fmt.Fprint(f, redacted) }
func (Secret) LogValue() slog.Value         { return slog.StringValue(redacted) }
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
