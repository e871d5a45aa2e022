//go:build linux

package cli_test

import (
	"bytes"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"tdjwt/helper/cli"
	"testing"
	"time"
)

// BenchmarkProcess starts whole processes of the shipped binary,
// interleaved in one loop so that machine noise hits all alike: a Go
// hello-world, `tdjwt version` (this binary's start-up floor), a cache hit
// of token, exec and git get, and a miss (--force-refresh: keychain read,
// signature, cache write) with the real Secret Service and with the file
// keystore. It reports each one's median time, its ratio to hello-world and
// to version, and its peak RSS. TDJWT_BENCH_BASELINE=PATH adds the same
// hit, miss and version of another build (an older commit) to the loop.
func BenchmarkProcess(b *testing.B) {
	needSecretService(b)
	e := newEnv(b)
	e.login("kr")
	e.fileLogin("file")
	execInfo := `KUBERNETES_EXEC_INFO={"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}`
	gitReq := "protocol=https\nhost=myorg.innovationlabs.teradata.com\n\n"
	type variant struct {
		name, path, stdin string
		env, args         []string
	}
	variants := []variant{
		{name: "hello", path: helloBn},
		{name: "version", path: realBin, args: []string{"version"}},
		{name: "hit", path: realBin, args: []string{"token", "--profile", "kr"}},
		{name: "exec-hit", path: realBin, env: []string{execInfo}, args: []string{"exec", "--profile", "kr"}},
		{name: "git-hit", path: realBin, stdin: gitReq, args: []string{"--profile", "kr", "get"}},
		{name: "miss-keyring", path: realBin, args: []string{"token", "--profile", "kr", "--force-refresh"}},
		{name: "miss-file", path: realBin, args: []string{"token", "--profile", "file", "--force-refresh"}},
	}
	if base := os.Getenv("TDJWT_BENCH_BASELINE"); base != "" {
		variants = append(variants,
			variant{name: "base-version", path: base, args: []string{"version"}},
			variant{name: "base-hit", path: base, args: []string{"token", "--profile", "kr"}},
			variant{name: "base-miss-keyring", path: base, args: []string{"token", "--profile", "kr", "--force-refresh"}},
		)
	}
	run := func(v variant, wrap ...string) (time.Duration, string) {
		argv := append(append(wrap, v.path), v.args...)
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = e.environ(v.env...)
		cmd.Stdin = strings.NewReader(v.stdin)
		var so, se bytes.Buffer
		cmd.Stdout, cmd.Stderr = &so, &se
		start := time.Now()
		err := cmd.Run()
		took := time.Since(start)
		if err != nil || so.Len() == 0 {
			b.Fatalf("%s: %v (%d bytes of output)", v.name, err, so.Len())
		}
		return took, se.String()
	}
	for _, v := range variants {
		run(v) // warm the cache and the page cache
	}
	times := make([][]time.Duration, len(variants))
	for b.Loop() {
		for i, v := range variants {
			d, _ := run(v)
			times[i] = append(times[i], d)
		}
	}
	b.StopTimer()
	median := make([]time.Duration, len(variants))
	for i := range variants {
		slices.Sort(times[i])
		median[i] = times[i][len(times[i])/2]
	}
	for i, v := range variants {
		// Peak RSS, measured apart with GNU time: a child forked from this
		// large test process reports the parent's pages in its own rusage,
		// but time's child is forked from small time itself.
		_, stderr := run(v, "/usr/bin/time", "-f", "%M")
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		peak, _ := strconv.ParseInt(lines[len(lines)-1], 10, 64)
		b.ReportMetric(float64(median[i].Microseconds())/1000, v.name+"-ms")
		b.ReportMetric(float64(peak)/1024, v.name+"-peak-MiB")
		if i > 0 {
			b.ReportMetric(float64(median[i])/float64(median[0]), v.name+"/hello")
		}
		if i > 1 {
			b.ReportMetric(float64(median[i])/float64(median[1]), v.name+"/version")
		}
	}
}

// BenchmarkHitInProcess is a cache hit's own work, from the end of package
// initialisation to the answer: cli.Run for `tdjwt token` in this process,
// as main runs it, with no process start or exit.
func BenchmarkHitInProcess(b *testing.B) {
	e := newEnv(b)
	e.fileLogin("default")
	if r := e.run("", nil, "token"); r.code != 0 {
		b.Fatal(r.stderr)
	}
	env := map[string]string{}
	for _, kv := range e.environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	var out bytes.Buffer
	p := &cli.Process{
		Args: []string{"tdjwt", "token"}, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out,
		Getenv: func(k string) string { return env[k] }, Environ: func() []string { return e.environ() }, Now: time.Now,
		Command: exec.Command, Executable: os.Executable,
		UserConfigDir: os.UserConfigDir, UserCacheDir: os.UserCacheDir,
	}
	for b.Loop() {
		out.Reset()
		if err := cli.Run(p); err != nil || out.Len() < 100 {
			b.Fatalf("%v: %d bytes", err, out.Len())
		}
	}
}
