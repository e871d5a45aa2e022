package helper

import (
	"crypto/rsa"
	"errors"
	"strings"

	"tdjwt/keystore"
)

// itemName is the keystore item (keychain account, file name) of a
// profile's secrets; part items of a split value derive from it.
func itemName(profile string) string { return profile }

// secrets reads the profile's PAT and key and checks that they are the ones
// the profile was logged in with.
func (h *Helper) secrets(store keystore.Store, name string, p *Profile) (Secret, *rsa.PrivateKey, error) {
	if store.Spec() == "env" {
		pat, key, err := envSecrets(store)
		if err != nil {
			return Secret{}, nil, err
		}
		if keyFingerprint(key) != p.KeySHA256 || patDigest(p.Generation, pat) != p.PATSHA256 {
			return Secret{}, nil, fail(CodeNotConfigured, "the secrets in $"+keystore.EnvPAT+" and $"+keystore.EnvKey+" are not those profile "+name+" was logged in with",
				"run tdjwt login --profile "+name+" --keystore env again")
		}
		return pat, key, nil
	}
	data, err := getItem(store, itemName(name))
	if err != nil {
		e := AsError(err)
		if errors.Is(err, keystore.ErrNotFound) {
			e = e.with("", "run tdjwt login --profile "+name+" again")
			e.Msg = "the secrets of profile " + name + " are missing from " + store.Spec()
		}
		return Secret{}, nil, e
	}
	gen, pat, key, err := decodeItem(data, name)
	if err != nil {
		return Secret{}, nil, err
	}
	if gen != p.Generation || keyFingerprint(key) != p.KeySHA256 || patDigest(gen, pat) != p.PATSHA256 {
		return Secret{}, nil, fail(CodeNotConfigured, "the keystore item of profile "+name+" belongs to another login than the config",
			"run tdjwt login --profile "+name+" again (another config file, or a restore, may have replaced it)")
	}
	return pat, key, nil
}

// envSecrets reads the PAT and the PEM key from the env keystore.
func envSecrets(store keystore.Store) (Secret, *rsa.PrivateKey, error) {
	pat, err := store.Get(keystore.EnvPAT)
	if err != nil {
		return Secret{}, nil, AsError(err)
	}
	pemText, err := store.Get(keystore.EnvKey)
	if err != nil {
		return Secret{}, nil, AsError(err)
	}
	key, err := parseKeyPEM(pemText, "$"+keystore.EnvKey)
	if err != nil {
		return Secret{}, nil, err
	}
	return NewSecret(strings.TrimRight(string(pat), "\r\n")), key, nil
}
