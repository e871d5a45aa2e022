package keystore

import (
	"errors"
	"os"
	"path/filepath"
)

// sessionBus reports whether a D-Bus session bus is there to reach. Without
// one, go-keyring (through godbus) runs dbus-launch, which starts a bus and a
// keyring daemon that outlive tdjwt: two leaked daemons per call. So tdjwt
// looks first, as godbus itself would, and never starts one.
func sessionBus(getenv func(string) string) error {
	if a := getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return nil
	}
	if d := getenv("XDG_RUNTIME_DIR"); d != "" {
		if fi, err := os.Stat(filepath.Join(d, "bus")); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return nil
		}
	}
	return errors.New("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset and there is no $XDG_RUNTIME_DIR/bus)")
}
