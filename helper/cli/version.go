package cli

import (
	"fmt"
	"runtime/debug"
)

func (c *cli) version([]string) error {
	_, err := fmt.Fprintln(c.Stdout, "tdjwt", buildVersion(c.Version))
	return err
}

// buildVersion: the -ldflags stamp, else the module version or VCS
// revision the Go toolchain recorded.
func buildVersion(stamped string) string {
	if stamped != "" {
		return stamped
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "(devel)"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "devel-" + rev
}
