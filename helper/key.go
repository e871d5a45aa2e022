package helper

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"path/filepath"
	"strings"
)

// minKeyBits is the smallest RSA key tdjwt accepts (PyJWT warns below it).
const minKeyBits = 2048

// maxPEMSize caps a key file read: an RSA-8192 PEM is under 7 KB.
const maxPEMSize = 64 << 10

// parseKeyPEM accepts exactly one unencrypted RSA private key, PKCS#1 or
// PKCS#8, of at least MinKeyBits, and explains everything else. file names
// the source in messages and hints.
func parseKeyPEM(data []byte, file string) (*rsa.PrivateKey, error) {
	bad := func(msg, hint string) error { return fail(CodeBadInput, file+": "+msg, hint) }
	block, rest := pem.Decode(data)
	if block == nil {
		if bytes.Contains(data, []byte("-----BEGIN")) {
			return nil, bad("the PEM block is damaged or truncated", "download the key again from the VantageCloud Lake console (Keys)")
		}
		return nil, bad("not a PEM file", "give the .pem private key downloaded from the VantageCloud Lake console (Keys)")
	}
	if next, _ := pem.Decode(rest); next != nil {
		return nil, bad("holds more than one PEM block", "give a file with just the one private key")
	}
	switch block.Type {
	case "ENCRYPTED PRIVATE KEY":
		return nil, bad("the key is encrypted with a passphrase", decryptHint(file))
	case "EC PRIVATE KEY":
		return nil, bad("this is an EC key; VantageCloud Lake tokens are signed with RSA (RS256)", "create an RSA key pair in the Lake console, or: openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem")
	case "OPENSSH PRIVATE KEY":
		return nil, bad("this is an OpenSSH key file, not a PEM private key", "convert a copy: cp KEY key.pem && ssh-keygen -p -N '' -m PKCS8 -f key.pem")
	case "CERTIFICATE":
		return nil, bad("this is a certificate, not a private key", "give the private key file (BEGIN PRIVATE KEY)")
	case "PUBLIC KEY", "RSA PUBLIC KEY":
		return nil, bad("this is a public key; signing needs the private key", "give the private key file (BEGIN PRIVATE KEY) that the Lake console let you download")
	case "RSA PRIVATE KEY", "PRIVATE KEY":
	default:
		return nil, bad(fmt.Sprintf("unsupported PEM block %q", clip(block.Type)), "give an RSA private key (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY)")
	}
	if block.Headers["Proc-Type"] != "" || block.Headers["DEK-Info"] != "" {
		return nil, bad("the key is encrypted with a passphrase", decryptHint(file))
	}
	return parseKeyDER(block.Bytes, block.Type == "RSA PRIVATE KEY", file)
}

// parseKeyDER parses a PKCS#8 (or, with pkcs1, PKCS#1) RSA key and checks it.
func parseKeyDER(der []byte, pkcs1 bool, file string) (*rsa.PrivateKey, error) {
	bad := func(msg, hint string) error { return fail(CodeBadInput, file+": "+msg, hint) }
	var key *rsa.PrivateKey
	if pkcs1 {
		k, err := x509.ParsePKCS1PrivateKey(der)
		if err != nil {
			return nil, bad("the RSA key does not parse", "download the key again from the Lake console")
		}
		key = k
	} else {
		k, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, bad("the private key does not parse", "download the key again from the Lake console")
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, bad(fmt.Sprintf("this is a %s key; VantageCloud Lake tokens are signed with RSA (RS256)", keyKind(k)), "create an RSA key pair in the Lake console")
		}
		key = rk
	}
	if bits := key.N.BitLen(); bits < minKeyBits {
		return nil, bad(fmt.Sprintf("the RSA key has %d bits; at least %d are needed", bits, minKeyBits), "create a new key pair of 2048 bits or more in the Lake console")
	}
	if err := key.Validate(); err != nil {
		return nil, bad("the RSA key is inconsistent", "download the key again from the Lake console")
	}
	return key, nil
}

func keyKind(k any) string {
	switch k.(type) {
	case *ecdsa.PrivateKey:
		return "EC"
	case ed25519.PrivateKey:
		return "Ed25519"
	case *ecdh.PrivateKey:
		return "X25519"
	}
	return "non-RSA"
}

func decryptHint(file string) string {
	return "decrypt a copy first (it asks for the passphrase): openssl pkey -in " + file + " -out plain.pem, then give plain.pem"
}

// KidFromPath is Teradata's default kid: the file name without its last
// extension (KeyForJwtForPAT02.pem -> KeyForJwtForPAT02, a.b.pem -> a.b).
func KidFromPath(path string) string {
	base := filepath.Base(path)
	if ext := filepath.Ext(base); ext != "" && ext != base {
		base = strings.TrimSuffix(base, ext)
	}
	return base
}

// keyFingerprint is the SHA-256 of the public key (SPKI DER), in hex: a
// non-secret name for the key.
func keyFingerprint(k *rsa.PrivateKey) string {
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// ConsoleKid reports whether kid looks like a key name the Lake console
// gives (letters, digits, '.', '_', '-'): a download renamed by a browser,
// "key1(1)", does not, and its kid is most likely wrong.
func ConsoleKid(kid string) bool {
	if kid == "" {
		return false
	}
	for _, r := range kid {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
