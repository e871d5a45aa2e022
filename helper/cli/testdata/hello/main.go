// Command hello is the baseline for process benchmarks: a Go program that
// prints a line and exits, started the same way as tdjwt.
package main

import "os"

func main() { os.Stdout.WriteString("hello\n") }
