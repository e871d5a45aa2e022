package keystore

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// The variables of the env keystore, for CI systems that inject secrets
// into the environment.
const (
	EnvPAT = "TDJWT_PAT"
	EnvKey = "TDJWT_PRIVATE_KEY" // the PEM text
)

// SecretVariable reports whether the environment variable name holds one
// of the env keystore's secrets: child processes must not inherit it.
func SecretVariable(name string) bool { return name == EnvPAT || name == EnvKey }

// EnvIdentity names what the env keystore holds now, without parsing it: a
// digest that changes when either secret changes (it keys the token cache).
func EnvIdentity(getenv func(string) string) string {
	sum := sha256.Sum256([]byte(getenv(EnvPAT) + "\x00" + getenv(EnvKey)))
	return hex.EncodeToString(sum[:])
}

// Env reads secrets from environment variables. It is read-only; its items
// are the variable names. Environment variables reach every child process:
// README says so.
type Env struct {
	getenv func(string) string
}

var _ Store = (*Env)(nil)

func NewEnv(getenv func(string) string) *Env { return &Env{getenv: getenv} }

func (e *Env) Spec() string { return "env" }

func (e *Env) Get(item string) ([]byte, error) {
	v := e.getenv(item)
	if v == "" {
		return nil, &Error{Op: "read", Store: "env", Item: "$" + item, Err: ErrNotFound,
			Hint: fmt.Sprintf("set %s (the PAT) and %s (the PEM text) in the job's environment", EnvPAT, EnvKey)}
	}
	return []byte(v), nil
}

func (e *Env) Set(item string, _ []byte) error {
	return &Error{Op: "write", Store: "env", Item: "$" + item, Err: fmt.Errorf("%w: the env keystore is read-only", ErrBadSpec),
		Hint: "set the variables in the environment instead"}
}

func (e *Env) Delete(string) error { return nil }

// MaxValue: the environment has no item limit.
func (e *Env) MaxValue() int { return 0 }
