package main

import (
	"fmt"
	"text/tabwriter"
	"time"
)

func (c *cli) cache(args []string) error {
	if len(args) == 0 {
		return usageError{"cache needs list or clear"}
	}
	sub := args[0]
	fs := c.flags("cache "+sub, "cache list | cache clear [--profile NAME]")
	if sub == "-h" || sub == "--help" {
		return c.parse(fs, []string{"-h"})
	}
	if err := c.parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"cache " + sub + " takes no arguments"}
	}
	h, err := c.helper()
	if err != nil {
		return err
	}
	switch sub {
	case "clear":
		n := h.ClearCache(c.profile)
		what := "all profiles"
		if c.profile != "" {
			what = "profile " + c.profile
		}
		fmt.Fprintf(c.stderr, "tdjwt: removed %d cached tokens of %s from %s\n", n, what, h.CacheDir)
		return nil
	case "list":
		list, err := h.CacheList()
		if err != nil {
			return err
		}
		if len(list) == 0 {
			fmt.Fprintf(c.stderr, "tdjwt: no cached tokens in %s\n", h.CacheDir)
			return nil
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PROFILE\tEXPIRES\tSTATE\tPATH")
		for _, e := range list {
			state, exp := "unreadable", "-"
			if !e.Expiry.IsZero() {
				exp = e.Expiry.UTC().Format(time.RFC3339)
				state = "expired"
				if e.Valid {
					state = "valid"
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Profile, exp, state, e.Path)
		}
		return tw.Flush()
	}
	return usageError{fmt.Sprintf("cache %q: use list or clear", clip(sub))}
}
