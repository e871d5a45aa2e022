//go:build linux

package cli_test

import (
	"bytes"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkProcess starts whole processes, interleaved in one loop so that
// machine noise hits all alike: a Go hello-world, `tdjwt token` on a cache
// hit, and on a miss (--force-refresh: keychain read, signature, cache
// write) with the real Secret Service and with the file keystore. It reports
// each one's mean time and peak RSS, and the ratios to hello-world.
func BenchmarkProcess(b *testing.B) {
	needSecretService(b)
	e := newEnv(b)
	e.login("kr")
	e.fileLogin("file")
	variants := []struct {
		name string
		path string
		args []string
	}{
		{"hello", helloBn, nil},
		{"hit", realBin, []string{"token", "--profile", "kr"}},
		{"miss-keyring", realBin, []string{"token", "--profile", "kr", "--force-refresh"}},
		{"miss-file", realBin, []string{"token", "--profile", "file", "--force-refresh"}},
	}
	total := make([]time.Duration, len(variants))
	peak := make([]int64, len(variants))
	for b.Loop() {
		for i, v := range variants {
			cmd := exec.Command(v.path, v.args...)
			cmd.Env = e.environ()
			start := time.Now()
			if out, err := cmd.Output(); err != nil || len(out) == 0 {
				b.Fatalf("%s: %v", v.name, err)
			}
			total[i] += time.Since(start)
		}
	}
	b.StopTimer()
	// Peak RSS, measured apart with GNU time: a child forked from this large
	// test process reports the parent's pages in its own rusage, but time's
	// child is forked from small time itself.
	for i, v := range variants {
		cmd := exec.Command("/usr/bin/time", append([]string{"-f", "%M", v.path}, v.args...)...)
		cmd.Env = e.environ()
		var se bytes.Buffer
		cmd.Stderr = &se
		if err := cmd.Run(); err != nil {
			b.Fatalf("%s under /usr/bin/time (Debian package time): %v", v.name, err)
		}
		lines := strings.Split(strings.TrimSpace(se.String()), "\n")
		peak[i], _ = strconv.ParseInt(lines[len(lines)-1], 10, 64)
	}
	for i, v := range variants {
		b.ReportMetric(float64(total[i].Microseconds())/float64(b.N)/1000, v.name+"-ms")
		b.ReportMetric(float64(peak[i])/1024, v.name+"-peak-MiB")
		if i > 0 {
			b.ReportMetric(float64(total[i])/float64(total[0]), v.name+"/hello")
		}
	}
}
