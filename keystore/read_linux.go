package keystore

import (
	"errors"
	"fmt"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"
	ss "github.com/zalando/go-keyring/secret_service"
)

// read fetches an item from the Secret Service in three method calls on
// go-keyring's own connection: Service.SearchItems (which sorts the matches
// into unlocked and locked), Service.OpenSession once per process, and
// Service.GetSecrets. go-keyring's Get makes eight (it unlocks the login
// collection and the item, which may raise a prompt, searches the login
// collection only, and closes its session). Items go-keyring wrote match:
// the same service and username attributes. A locked item is an error that
// says how to unlock the keyring, never a prompt.
func (k *Keyring) read(item string) ([]byte, error) {
	r := &k.reader
	if r.svc == nil {
		svc, err := ss.NewSecretService()
		if err != nil {
			return nil, err
		}
		r.svc = svc
	}
	service := r.svc.Object("org.freedesktop.secrets", "/org/freedesktop/secrets")
	var unlocked, locked []dbus.ObjectPath
	attrs := map[string]string{"service": Service, "username": item}
	if err := service.Call("org.freedesktop.Secret.Service.SearchItems", 0, attrs).Store(&unlocked, &locked); err != nil {
		return nil, err
	}
	if len(unlocked) == 0 {
		if len(locked) > 0 {
			return nil, errLocked
		}
		return nil, keyring.ErrNotFound
	}
	if r.session == "" {
		var ignored dbus.Variant
		var session dbus.ObjectPath
		// "plain": the secret crosses the user's own session bus as it
		// is, as with go-keyring (README, security notes).
		if err := service.Call("org.freedesktop.Secret.Service.OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&ignored, &session); err != nil {
			return nil, err
		}
		r.session = session
	}
	var secrets map[dbus.ObjectPath]ss.Secret
	if err := service.Call("org.freedesktop.Secret.Service.GetSecrets", 0, unlocked[:1], r.session).Store(&secrets); err != nil {
		return nil, err
	}
	s, ok := secrets[unlocked[0]]
	if !ok {
		return nil, fmt.Errorf("the Secret Service returned no secret for %s", item)
	}
	return s.Value, nil
}

// reader keeps go-keyring's connection and one session, so that the parts
// of a split item are read in one session.
type reader struct {
	svc     *ss.SecretService
	session dbus.ObjectPath
}

// errLocked reads as go-keyring's unlock failure, which call maps to the
// locked-keyring error and its hint.
var errLocked = errors.New("failed to unlock correct collection: the item is locked")
