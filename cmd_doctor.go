package main

func (c *cli) doctor(args []string) int {
	return c.report(usageError{"doctor: not yet implemented"})
}
