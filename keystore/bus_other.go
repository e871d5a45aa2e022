//go:build !linux

package keystore

// sessionBus: macOS and Windows keychains need no session bus. On the BSDs
// go-keyring needs cgo for D-Bus, and tdjwt builds without it.
func sessionBus(func(string) string) error { return nil }
