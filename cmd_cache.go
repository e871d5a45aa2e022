package main

func (c *cli) cache(args []string) error {
	return usageError{"cache: not yet implemented"}
}
