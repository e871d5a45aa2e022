//go:build !linux

package keystore

import "github.com/zalando/go-keyring"

// read is go-keyring's Get: macOS's and Windows' keychains are one call.
func (k *Keyring) read(item string) ([]byte, error) {
	v, err := keyring.Get(Service, item)
	return []byte(v), err
}

// reader: nothing to keep between reads.
type reader struct{}
