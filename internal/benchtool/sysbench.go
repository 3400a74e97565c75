package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// target is where a sysbench run connects.
type target struct {
	name       string // direct, passthrough, sharded
	addr       string
	user, pass string
	db         string
	proxy      *proxyProc // nil for direct
}

// workload is one sysbench script with its options.
type workload struct {
	name   string // label in the tables
	script string
	args   []string
}

var workloads = []workload{
	{"point_select (prepared)", "oltp_point_select", nil},
	{"point_select (text)", "oltp_point_select", []string{"--db-ps-mode=disable"}},
	{"read_only --skip-trx", "oltp_read_only", []string{"--skip-trx=on"}},
	{"insert", "oltp_insert", nil},
	{"read_write", "oltp_read_write", nil},
}

// sbResult is one sysbench run.
type sbResult struct {
	tps, qps      float64
	p50, p95, p99 float64 // ms; p95 from sysbench, p50/p99 from its histogram
	errors        int64
	queries       int64
	cpuUSPerQuery float64 // proxy CPU (user+sys) µs per query; 0 for direct
	maxRSSKiB     int64   // proxy VmRSS sampled during the run
	err           error
}

// sbArgs is the sysbench command line for one run (without "run").
func sbArgs(c *config, t target, w workload, threads, seconds int) []string {
	host, port, _ := strings.Cut(t.addr, ":")
	a := []string{w.script, "--db-driver=mysql", "--mysql-host=" + host, "--mysql-port=" + port,
		"--mysql-user=" + t.user, "--mysql-password=" + t.pass, "--mysql-db=" + t.db, "--mysql-ssl=off",
		fmt.Sprintf("--tables=%d", c.tables), fmt.Sprintf("--table-size=%d", c.tableSize), "--auto-inc=off"}
	if seconds > 0 {
		a = append(a, fmt.Sprintf("--threads=%d", threads), fmt.Sprintf("--time=%d", seconds),
			"--percentile=95", "--histogram=on")
	}
	return append(a, w.args...)
}

// sbCommand renders the command for the report (host/port as placeholders).
func sbCommand(w workload, threads int, c *config) string {
	t := target{addr: "$HOST:$PORT", user: "$USER", pass: "$PASS", db: "$DB"}
	return "sysbench " + strings.Join(sbArgs(c, t, w, threads, c.duration), " ") + " run"
}

// runSysbench runs sysbench CMD (prepare/run) bounded in time; it returns its output.
func runSysbench(args []string, cmd string, limit time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	out, err := exec.CommandContext(ctx, "sysbench", append(args, cmd)...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("sysbench %s %s: %v\n%s", args[0], cmd, err, tail(string(out), 15))
	}
	return string(out), nil
}

// measure runs one sysbench run, accounting the proxy's CPU and RSS.
func measure(c *config, t target, w workload, threads, seconds int) sbResult {
	var cpu0 float64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var maxRSS int64
	if t.proxy != nil {
		cpu0, _ = cpuSeconds(t.proxy.pid())
		wg.Go(func() {
			for {
				if r := rssKiB(t.proxy.pid()); r > maxRSS {
					maxRSS = r
				}
				select {
				case <-stop:
					return
				case <-time.After(500 * time.Millisecond):
				}
			}
		})
	}
	out, err := runSysbench(sbArgs(c, t, w, threads, seconds), "run", time.Duration(seconds+90)*time.Second)
	close(stop)
	wg.Wait()
	r := parseSysbench(out)
	if err != nil {
		r.err = err
	}
	r.maxRSSKiB = maxRSS
	if t.proxy != nil && r.queries > 0 {
		if cpu1, err := cpuSeconds(t.proxy.pid()); err == nil {
			r.cpuUSPerQuery = (cpu1 - cpu0) * 1e6 / float64(r.queries)
		}
	}
	return r
}

var (
	reTxns    = regexp.MustCompile(`transactions:\s+(\d+)\s+\(([\d.]+) per sec`)
	reQueries = regexp.MustCompile(`queries:\s+(\d+)\s+\(([\d.]+) per sec`)
	reErrors  = regexp.MustCompile(`ignored errors:\s+(\d+)`)
	reP95     = regexp.MustCompile(`95th percentile:\s+([\d.]+)`)
	reHist    = regexp.MustCompile(`^\s*([\d.]+)\s+\|\**\s+(\d+)\s*$`)
)

// parseSysbench extracts throughput, errors and latency percentiles.
func parseSysbench(out string) sbResult {
	var r sbResult
	if m := reTxns.FindStringSubmatch(out); m != nil {
		r.tps, _ = strconv.ParseFloat(m[2], 64)
	}
	if m := reQueries.FindStringSubmatch(out); m != nil {
		r.queries, _ = strconv.ParseInt(m[1], 10, 64)
		r.qps, _ = strconv.ParseFloat(m[2], 64)
	}
	if m := reErrors.FindStringSubmatch(out); m != nil {
		r.errors, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := reP95.FindStringSubmatch(out); m != nil {
		r.p95, _ = strconv.ParseFloat(m[1], 64)
	}
	var vals []float64
	var counts []int64
	var total int64
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if m := reHist.FindStringSubmatch(sc.Text()); m != nil {
			v, _ := strconv.ParseFloat(m[1], 64)
			n, _ := strconv.ParseInt(m[2], 10, 64)
			vals, counts, total = append(vals, v), append(counts, n), total+n
		}
	}
	r.p50 = histPercentile(vals, counts, total, 0.50)
	r.p99 = histPercentile(vals, counts, total, 0.99)
	if r.tps == 0 && r.err == nil {
		r.err = fmt.Errorf("no transactions in sysbench output:\n%s", tail(out, 15))
	}
	return r
}

// histPercentile: the first bucket value whose cumulative count reaches q.
func histPercentile(vals []float64, counts []int64, total int64, q float64) float64 {
	need := int64(q*float64(total) + 0.5)
	var cum int64
	for i, v := range vals {
		cum += counts[i]
		if cum >= need && cum > 0 {
			return v
		}
	}
	return 0
}

// median of the values (0 for none).
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
