package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// target is where a sysbench run connects.
type target struct {
	name       string // direct, passthrough, sharded
	addr       string
	user, pass string
	db         string
	proxy      *proxyProc // nil for direct
	dbPids     []int      // the MariaDB servers serving it (CPU accounting)
	dbs        []*sql.DB  // root on the same servers (status counters)
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
	// oltp_insert --auto-inc=off draws random 32-bit ids, unique within one
	// run only: a later run can hit an id a former run inserted (or a
	// prepared row), so duplicates are counted ("errors"), not fatal.
	{"insert", "oltp_insert", []string{"--mysql-ignore-errors=1062"}},
	{"read_write", "oltp_read_write", nil},
}

// sbResult is one sysbench run.
type sbResult struct {
	tps, qps      float64
	p50, p95, p99 float64 // ms; p95 from sysbench, p50/p99 from its histogram
	max           float64 // ms, sysbench's max latency
	errors        int64
	queries       int64
	cpuUSPerQuery float64            // proxy CPU (user+sys) µs per query; 0 for direct
	dbUSPerQuery  float64            // MariaDB CPU (all servers of the target) µs per query
	sbUSPerQuery  float64            // sysbench's own CPU µs per query
	maxRSSKiB     int64              // proxy VmRSS sampled during the run
	load1         string             // 1-minute load average when the run ended
	backend       map[string]float64 // MariaDB Questions/Com_* per client query
	proxyReads    float64            // proxy read-class syscalls per query
	proxyWrites   float64            // proxy write-class syscalls per query
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
	out, _, err := runSysbenchCPU(args, cmd, limit)
	return out, err
}

// runSysbenchCPU is runSysbench that also returns sysbench's CPU seconds.
func runSysbenchCPU(args []string, cmd string, limit time.Duration) (string, float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	c := exec.CommandContext(ctx, "sysbench", append(args, cmd)...)
	out, err := c.CombinedOutput()
	var cpu float64
	if c.ProcessState != nil {
		cpu = (c.ProcessState.UserTime() + c.ProcessState.SystemTime()).Seconds()
	}
	if err != nil {
		return string(out), cpu, fmt.Errorf("sysbench %s %s: %v\n%s", args[0], cmd, err, tail(string(out), 15))
	}
	return string(out), cpu, nil
}

// sumCPU is the CPU seconds of the processes (unreadable ones count 0).
func sumCPU(pids []int) float64 {
	var s float64
	for _, p := range pids {
		if v, err := cpuSeconds(p); err == nil {
			s += v
		}
	}
	return s
}

// measure runs one sysbench run, accounting the proxy's CPU and RSS.
func measure(c *config, t target, w workload, threads, seconds int) sbResult {
	var cpu0 float64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var maxRSS int64
	var r0, w0 float64
	if t.proxy != nil {
		r0, w0 = syscallCounts(t.proxy.pid())
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
	st0 := statusCounters(t.dbs)
	db0 := sumCPU(t.dbPids)
	args := sbArgs(c, t, w, threads, seconds)
	out, sbCPU, err := runSysbenchCPU(args, "run", time.Duration(seconds+90)*time.Second)
	db1 := sumCPU(t.dbPids)
	st1 := statusCounters(t.dbs)
	saveRaw(c, t, w, threads, args, out)
	close(stop)
	wg.Wait()
	r := parseSysbench(out)
	if err != nil {
		r.err = err
	}
	r.maxRSSKiB = maxRSS
	r.backend = perQuery(st0, st1, r.queries)
	if f := strings.Fields(loadAvg()); len(f) > 0 {
		r.load1 = f[0]
	}
	if r.queries > 0 {
		r.dbUSPerQuery = (db1 - db0) * 1e6 / float64(r.queries)
		r.sbUSPerQuery = sbCPU * 1e6 / float64(r.queries)
	}
	if t.proxy != nil && r.queries > 0 {
		if cpu1, err := cpuSeconds(t.proxy.pid()); err == nil {
			r.cpuUSPerQuery = (cpu1 - cpu0) * 1e6 / float64(r.queries)
		}
		r1, w1 := syscallCounts(t.proxy.pid())
		r.proxyReads, r.proxyWrites = (r1-r0)/float64(r.queries), (w1-w0)/float64(r.queries)
	}
	return r
}

var rawSeq atomic.Int64

// saveRaw keeps the sysbench output under BENCH_DIR/results/sysbench.
func saveRaw(c *config, t target, w workload, threads int, args []string, out string) {
	dir := filepath.Join(c.dir, "results", "sysbench")
	if os.MkdirAll(dir, 0o755) != nil {
		return
	}
	name := fmt.Sprintf("%03d-%s-%s-%s-%dthr.txt", rawSeq.Add(1), t.name, w.script, strings.Join(w.args, ""), threads)
	name = strings.NewReplacer("--", "", "=", "-").Replace(name)
	_ = os.WriteFile(filepath.Join(dir, name), []byte("sysbench "+strings.Join(args, " ")+" run\n\n"+out), 0o644)
}

var (
	reTxns    = regexp.MustCompile(`transactions:\s+(\d+)\s+\(([\d.]+) per sec`)
	reQueries = regexp.MustCompile(`queries:\s+(\d+)\s+\(([\d.]+) per sec`)
	reErrors  = regexp.MustCompile(`ignored errors:\s+(\d+)`)
	reP95     = regexp.MustCompile(`95th percentile:\s+([\d.]+)`)
	reMax     = regexp.MustCompile(`max:\s+([\d.]+)`)
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
	if m := reMax.FindStringSubmatch(out); m != nil {
		r.max, _ = strconv.ParseFloat(m[1], 64)
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
