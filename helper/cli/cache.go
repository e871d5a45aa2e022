package cli

import (
	"fmt"
	"text/tabwriter"
	"time"
)

func (c *cli) cache(args []string) error {
	if len(args) == 0 {
		return usage("cache needs list or clear", "")
	}
	sub := args[0]
	fs := c.flags("cache "+sub, "cache list | cache clear [--profile NAME]", true)
	if sub == "-h" || sub == "--help" {
		_, err := c.parse(fs, []string{"-h"})
		return err
	}
	if sub != "list" && sub != "clear" {
		hint := ""
		if near := nearest(sub, []string{"list", "clear"}); near != "" {
			hint = "did you mean tdjwt cache " + near + "?"
		}
		return usage(fmt.Sprintf("cache %q: use list or clear", clip(sub)), hint)
	}
	if err := c.parseNoArgs(fs, args[1:], "cache "+sub+" takes no arguments"); err != nil {
		return err
	}
	h, err := c.helper()
	if err != nil {
		return err
	}
	// --profile, else $TDJWT_PROFILE, else every profile.
	profile := c.explicitProfile()
	what := "all profiles"
	if profile != "" {
		what = "profile " + profile
	}
	if sub == "clear" {
		n, err := h.ClearCache(profile)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.Stderr, "tdjwt: removed %d cached tokens of %s from %s\n", n, what, h.CacheDir)
		return nil
	}
	list, err := h.CacheList(profile)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintf(c.Stderr, "tdjwt: no cached tokens of %s in %s\n", what, h.CacheDir)
		return nil
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROFILE\tEXPIRES\tSTATE\tPATH")
	for _, e := range list {
		exp := "-"
		if !e.Expiry.IsZero() {
			exp = e.Expiry.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Profile, exp, e.State, e.Path)
	}
	return tw.Flush()
}
