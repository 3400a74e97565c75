package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// goBench is one `go test -bench` invocation of the suite.
type goBench struct {
	title string
	args  []string // after "go test"
}

func goBenches(c *config) []goBench {
	bt, n := "-benchtime="+c.goBenchTime, "-count="+strconv.Itoa(c.goBenchCount)
	return []goBench{
		{"parse+plan (router)", []string{"-run", "^$", "-bench", "ParsePlan|PlanCached|PlanPrepared|PlanUnsharded", "-benchmem", bt, n, "./router/"}},
		{"merge (router/merge)", []string{"-run", "^$", "-bench", ".", "-benchmem", bt, n, "./router/merge/"}},
		{"packet forwarding (proxy)", []string{"-run", "^$", "-bench", "Forward", "-benchmem", "-benchtime=20x", n, "./proxy/"}},
		{"Raft decision appends (metaraft, 3-node loopback)", []string{"-run", "^$", "-bench", "RecordDecision", "-benchtime=" + c.raftBenchTime, n, "./metaraft/"}},
	}
}

// benchLine is one parsed benchmark result line.
type benchLine struct {
	name    string
	metrics map[string]float64 // unit -> value
}

var reBench = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

// runGoBench runs one invocation, appends its raw output to rawPath and
// returns the parsed lines (in order, repeated -count times).
func runGoBench(g goBench, rawPath string, limit time.Duration) ([]benchLine, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", append([]string{"test"}, g.args...)...)
	out, err := cmd.CombinedOutput()
	if f, ferr := os.OpenFile(rawPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); ferr == nil {
		fmt.Fprintf(f, "# go test %s\n%s\n", strings.Join(g.args, " "), out)
		f.Close()
	}
	var lines []benchLine
	for _, l := range splitLines(string(out)) {
		if m := reBench.FindStringSubmatch(l); m != nil {
			lines = append(lines, parseBenchLine(m))
		}
	}
	if err != nil {
		return lines, fmt.Errorf("go test %s: %v\n%s", strings.Join(g.args, " "), err, tail(string(out), 20))
	}
	return lines, nil
}

// benchMedians groups lines by name (first-seen order) and takes the median
// of every metric.
func benchMedians(lines []benchLine) ([]string, map[string]map[string]float64) {
	var order []string
	vals := map[string]map[string][]float64{}
	for _, l := range lines {
		if vals[l.name] == nil {
			vals[l.name] = map[string][]float64{}
			order = append(order, l.name)
		}
		for u, v := range l.metrics {
			vals[l.name][u] = append(vals[l.name][u], v)
		}
	}
	out := map[string]map[string]float64{}
	for name, m := range vals {
		out[name] = map[string]float64{}
		for u, v := range m {
			out[name][u] = median(v)
		}
	}
	return order, out
}

func splitLines(s string) []string { return strings.Split(s, "\n") }

// parseBenchLine turns a reBench match into name and value/unit pairs.
func parseBenchLine(m []string) benchLine {
	bl := benchLine{name: strings.TrimPrefix(m[1], "Benchmark"), metrics: map[string]float64{}}
	f := strings.Fields(m[2])
	for i := 0; i+1 < len(f); i += 2 {
		if v, err := strconv.ParseFloat(f[i], 64); err == nil {
			bl.metrics[f[i+1]] = v
		}
	}
	return bl
}
