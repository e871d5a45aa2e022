package cli

import (
	"fmt"
	"text/tabwriter"
)

func (c *cli) profiles(args []string) error {
	fs := c.flags("profiles", "profiles", false)
	if err := c.parseNoArgs(fs, args, "profiles takes no arguments"); err != nil {
		return err
	}
	h, err := c.helper()
	if err != nil {
		return err
	}
	list, err := h.Profiles()
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintf(c.Stderr, "tdjwt: no profiles in %s; create one with tdjwt login\n", h.ConfigPath)
		return nil
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROFILE\tUSER\tORG\tKID\tLIFETIME\tKEYSTORE\tSECRETS")
	for _, s := range list {
		p := s.Profile
		fmt.Fprintf(tw, "%s\t%s\t%s=%s\t%s\t%s\t%s\t%s\n", s.Name, p.User, p.OrgClaim, p.Org, p.Kid, p.Lifetime, p.Keystore, s.Secrets)
	}
	return tw.Flush()
}
