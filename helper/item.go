package helper

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
)

// itemVersion is the version of the keystore item encoding.
const itemVersion = 1

// item is what one profile keeps in the keystore: both secrets in one entry
// (one keychain round trip per read; a re-login replaces both at once), the
// key as PKCS#8 DER in base64 (a third smaller than the PEM), and the
// login's generation, which the config holds too so a mismatch is caught.
type item struct {
	V          int    `json:"v"`
	Generation string `json:"generation"`
	PAT        string `json:"pat"`
	Key        string `json:"key"`
	// Config is the config file of the login that wrote the item, to say
	// whose item it is when another config's login would replace it.
	Config string `json:"config,omitempty"`
}

func encodeItem(gen string, pat Secret, key *rsa.PrivateKey, config string) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fail(CodeInternal, "encoding the key: "+err.Error(), "")
	}
	return json.Marshal(item{V: itemVersion, Generation: gen, PAT: pat.Reveal(), Key: base64.StdEncoding.EncodeToString(der), Config: config})
}

// itemOwner reads the generation and config of an item without its secrets.
func itemOwner(data []byte) (gen, config string, ok bool) {
	var it item
	if json.Unmarshal(data, &it) != nil || it.V != itemVersion || it.Generation == "" {
		return "", "", false
	}
	return it.Generation, it.Config, true
}

// decodeItem never quotes the item: it holds secrets.
func decodeItem(data []byte, profile string) (gen string, pat Secret, key *rsa.PrivateKey, err error) {
	damaged := func(why string) error {
		return fail(CodeBadInput, "the keystore item of profile "+profile+" is damaged ("+why+")",
			"run tdjwt login --profile "+profile+" again to store the key and PAT anew")
	}
	var it item
	if json.Unmarshal(data, &it) != nil {
		return "", Secret{}, nil, damaged("not tdjwt's encoding")
	}
	if it.V != itemVersion {
		return "", Secret{}, nil, damaged("unknown version")
	}
	if it.PAT == "" || it.Generation == "" {
		return "", Secret{}, nil, damaged("fields missing")
	}
	der, err := base64.StdEncoding.DecodeString(it.Key)
	if err != nil {
		return "", Secret{}, nil, damaged("key not base64")
	}
	key, err = parseKeyDER(der, false, "keystore item "+profile)
	if err != nil {
		return "", Secret{}, nil, damaged("key does not parse")
	}
	return it.Generation, NewSecret(it.PAT), key, nil
}

// newGeneration names one login.
func newGeneration() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// patDigest is a salted digest of the PAT: enough to tell that the PAT
// changed (it keys the token cache), not to recover it.
func patDigest(gen string, pat Secret) string {
	sum := sha256.Sum256([]byte("tdjwt pat\x00" + gen + "\x00" + pat.Reveal()))
	return hex.EncodeToString(sum[:])
}
