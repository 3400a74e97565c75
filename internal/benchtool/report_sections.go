package main

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
)

func workloadIndex(name string) int {
	for i, w := range workloads {
		if w.name == name {
			return i
		}
	}
	return -1
}

func metOrNot(v, goal float64, atMost bool) string {
	switch {
	case v <= 0:
		return "not measured"
	case atMost && v <= goal, !atMost && v >= goal:
		return "**met**"
	default:
		return "**not met**"
	}
}

func (r *report) writeTargets(b *strings.Builder) {
	b.WriteString("## Targets (issue 8)\n\n| target | goal | measured | verdict |\n|---|---|---|---|\n")
	row := func(name, goal string, v, g float64, atMost bool, shown string) {
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", name, goal, shown, metOrNot(v, g, atMost))
	}
	t0 := 8
	if len(r.cfg.threads) > 0 && !contains(r.cfg.threads, 8) {
		t0 = r.cfg.threads[0]
	}
	if r.runs != nil {
		for _, w := range []string{"point_select (prepared)", "point_select (text)"} {
			wi := workloadIndex(w)
			d := r.cell(wi, t0, "direct")
			for _, tg := range []string{"passthrough", "sharded"} {
				p := r.cell(wi, t0, tg)
				v := 0.0
				if d.qps > 0 {
					v = p.qps / d.qps
				}
				row(fmt.Sprintf("%s, %s / direct QPS, %d threads", w, tg, t0), "≥ 0.70×", v, 0.70, false,
					fmt.Sprintf("%.2f× (%.0f / %.0f)", v, p.qps, d.qps))
			}
		}
		wi := workloadIndex("read_write")
		for _, th := range r.cfg.threads {
			d, s := r.cell(wi, th, "direct"), r.cell(wi, th, "sharded")
			v := 0.0
			if d.tps > 0 {
				v = s.tps / d.tps
			}
			row(fmt.Sprintf("oltp_read_write sharded / direct TPS, %d threads", th), "≥ 0.60×", v, 0.60, false,
				fmt.Sprintf("%.2f× (%.0f / %.0f)", v, s.tps, d.tps))
		}
	}
	if r.transfer != nil {
		x, s := r.transferMedian(true), r.transferMedian(false)
		v := 0.0
		if s > 0 {
			v = x / s
		}
		row("cross-shard / single-shard transfer commits/s", "≥ 0.40×", v, 0.40, false, fmt.Sprintf("%.2f× (%.0f / %.0f)", v, x, s))
	}
	if ops := r.goMetric("RecordDecision/via=leader/writers=64", "ops/s"); ops >= 0 {
		row("Raft decision appends/s, 64 writers (leader)", "≥ 5,000/s", ops, 5000, false, fmt.Sprintf("%.0f/s", ops))
	}
	if r.rss.idleStartPass > 0 {
		v := float64(r.rss.idleStartPass) / 1024
		row("idle RSS, pass-through node (after start)", "≤ 64 MiB", v, 64, true, mib(r.rss.idleStartPass))
	}
	if r.rss.idleAfterPass > 0 {
		v := float64(r.rss.idleAfterPass) / 1024
		row(fmt.Sprintf("idle RSS, pass-through node (%v after the sysbench load)", idleAfterLoad), "≤ 64 MiB", v, 64, true, mib(r.rss.idleAfterPass))
	}
	for _, i := range r.idle {
		row(fmt.Sprintf("RSS per idle client connection (%s, %d conns)", i.proxy, i.conns), "≤ 64 KiB", i.kibPerConn, 64, true,
			fmt.Sprintf("%.1f KiB", i.kibPerConn))
	}
	b.WriteString("\nRatios are ratios of medians over the rounds, all measured in this run.\n\n")
}

func contains(v []int, x int) bool {
	for _, y := range v {
		if y == x {
			return true
		}
	}
	return false
}

func (r *report) writeSysbench(b *strings.Builder) {
	if r.runs == nil {
		return
	}
	c := r.cfg
	fmt.Fprintf(b, "## sysbench: direct vs Shardline\n\n")
	fmt.Fprintf(b, "Targets: **direct** = one MariaDB (root, database sbtest); **passthrough** = one Shardline node (no Raft) whose schema sbtest has default_shard = that server; **sharded** = one Shardline node (single-node Raft for XA decisions) with sbtest1..%d hashed by `id` into 4 partitions over two MariaDB servers (the first is the direct server). Medians of %d rounds × %d s; latency in ms (p95 as printed by sysbench, p50/p99 from its `--histogram=on` output, which gives the same p95 as sysbench's own, max = the worst of the rounds); CPU µs/query = user+sys CPU of the Shardline process, of the MariaDB server(s) behind the target (/proc/PID/stat deltas over the run) and of the sysbench client (rusage), divided by the queries of the run: on 2 cores all three compete for the same CPUs, so a proxy that costs as much CPU per query as MariaDB itself roughly halves the throughput. Errors are sysbench's ignored errors (deadlocks; duplicate keys for insert).\n\n",
		c.tables, c.rounds, c.duration)
	b.WriteString("| workload | threads | target | QPS | TPS | p50 | p95 | p99 | max | QPS vs direct | CPU µs/query: proxy | MariaDB | sysbench | errors | ok runs |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for wi, w := range workloads {
		for _, th := range c.threads {
			d := r.cell(wi, th, "direct")
			for _, tg := range targetNames {
				x := r.cell(wi, th, tg)
				rat, cpu := "1.00×", "–"
				if tg != "direct" {
					rat = ratio(x.qps, d.qps)
					if x.cpu > 0 {
						cpu = fmt.Sprintf("%.0f", x.cpu)
					}
				}
				fmt.Fprintf(b, "| %s | %d | %s | %.0f | %.0f | %.2f | %.2f | %.2f | %.0f | %s | %s | %.0f | %.0f | %d | %d/%d |\n",
					w.name, th, tg, x.qps, x.tps, x.p50, x.p95, x.p99, x.max, rat, cpu, x.dbCPU, x.sbCPU, x.errors, x.ok, x.n)
			}
		}
	}
	b.WriteString("\n")
	r.writeCPUBudget(b)
	r.writeBackendMix(b)
	b.WriteString("<details><summary>Every round (QPS; ratio to the direct run of the same round)</summary>\n\n")
	b.WriteString("| workload | threads | round | direct | passthrough | sharded | pt/direct | sharded/direct | load avg (1 min) after each |\n|---|---|---|---|---|---|---|---|---|\n")
	for wi, w := range workloads {
		for _, th := range c.threads {
			for round := 0; round < c.rounds; round++ {
				q := map[string]float64{}
				var loads []string
				for _, tg := range targetNames {
					if rs := r.runs[runKey{wi, th, tg}]; round < len(rs) {
						loads = append(loads, rs[round].load1)
						if rs[round].err == nil {
							q[tg] = rs[round].qps
						}
					}
				}
				fmt.Fprintf(b, "| %s | %d | %d | %.0f | %.0f | %.0f | %s | %s | %s |\n", w.name, th, round+1,
					q["direct"], q["passthrough"], q["sharded"], ratio(q["passthrough"], q["direct"]), ratio(q["sharded"], q["direct"]),
					strings.Join(loads, " / "))
			}
		}
	}
	b.WriteString("\n</details>\n\n")
}

func (r *report) transferMedian(cross bool) float64 {
	var v []float64
	for _, x := range r.transfer[cross] {
		if x.err == nil || x.commits > 0 {
			v = append(v, x.perSec)
		}
	}
	return median(v)
}

func (r *report) writeTransfer(b *strings.Builder) {
	if r.transfer == nil {
		return
	}
	c := r.cfg
	fmt.Fprintf(b, "## Cross-shard transactions: transfer workload\n\n")
	fmt.Fprintf(b, "Through the sharded node: `BEGIN; UPDATE accounts SET balance = balance - 1 WHERE id = a; UPDATE accounts SET balance = balance + 1 WHERE id = b; COMMIT` (text protocol, go-mysql client, ids in ascending order so no deadlock), %d workers, %d s per run, %d rounds alternating cross-shard / single-shard. accounts is split by `id mod 2` (even ids on server A, odd on B): cross-shard picks one even and one odd id (two-phase commit: XA PREPARE on both, decision recorded in Raft, XA COMMIT), single-shard picks two ids of the same random parity (one backend, plain COMMIT). Commit latency = the COMMIT statement; transaction latency = BEGIN..COMMIT.\n\n",
		c.transferThreads, c.duration, c.rounds)
	b.WriteString("| workload | commits/s | commit p50 ms | commit p99 ms | txn p50 ms | txn p99 ms | failed txns | proxy CPU µs/txn |\n|---|---|---|---|---|---|---|---|\n")
	for _, cross := range []bool{true, false} {
		var per, c50, c99, t50, t99 []float64
		var fails int64
		for _, x := range r.transfer[cross] {
			if x.commits == 0 {
				continue
			}
			per, c50, c99 = append(per, x.perSec), append(c50, x.commitP50), append(c99, x.commitP99)
			t50, t99 = append(t50, x.txnP50), append(t99, x.txnP99)
			fails += x.errors
		}
		name := map[bool]string{true: "cross-shard (2 shards)", false: "single-shard"}[cross]
		fmt.Fprintf(b, "| %s | %.0f | %.2f | %.2f | %.2f | %.2f | %d | %.0f |\n", name, median(per), median(c50), median(c99),
			median(t50), median(t99), fails, median(r.transferCPU[cross]))
	}
	fmt.Fprintf(b, "\nCross-shard / single-shard commits/s: **%s**. Per round (cross, single):", ratio(r.transferMedian(true), r.transferMedian(false)))
	for i := range r.transfer[true] {
		s := 0.0
		if i < len(r.transfer[false]) {
			s = r.transfer[false][i].perSec
		}
		fmt.Fprintf(b, " %.0f/%.0f", r.transfer[true][i].perSec, s)
	}
	b.WriteString(".\n\n")
	if x, ok := r.transferFresh[true]; ok {
		s := r.transferFresh[false]
		fmt.Fprintf(b, "The rounds above run after the sysbench load. One run of each on the fresh node, before that load: cross-shard %.0f commits/s (commit p50 %.2f ms, p99 %.2f ms), single-shard %.0f commits/s (commit p50 %.2f ms, p99 %.2f ms): **%s**.\n\n",
			x.perSec, x.commitP50, x.commitP99, s.perSec, s.commitP50, s.commitP99, ratio(x.perSec, s.perSec))
	}
}

func (r *report) writeResources(b *strings.Builder) {
	if r.rss.idleStartPass == 0 {
		return
	}
	b.WriteString("## Proxy memory (VmRSS from /proc/PID/status)\n\n| state | pass-through node | sharded node (with Raft) |\n|---|---|---|\n")
	fmt.Fprintf(b, "| idle, 2 s after start | %s | %s |\n", mib(r.rss.idleStartPass), mib(r.rss.idleStartSharded))
	byName := map[string]idleRun{}
	for _, i := range r.idle {
		byName[i.proxy] = i
	}
	if p, ok := byName["passthrough"]; ok {
		s := byName["sharded"]
		fmt.Fprintf(b, "| %d idle client connections held, before any load (before → with them) | %s → %s | %s → %s |\n", p.conns,
			mib(p.rssBeforeKiB), mib(p.rssHeldKiB), mib(s.rssBeforeKiB), mib(s.rssHeldKiB))
		fmt.Fprintf(b, "| per idle client connection | %.1f KiB | %.1f KiB |\n", p.kibPerConn, s.kibPerConn)
	}
	if r.rss.loadPass > 0 {
		fmt.Fprintf(b, "| under sysbench load (max sampled every 0.5 s) | %s | %s |\n", mib(r.rss.loadPass), mib(r.rss.loadSharded))
	}
	if r.rss.idleAfterPass > 0 {
		fmt.Fprintf(b, "| idle, %v after the load (after a memory release) | %s | %s |\n", idleAfterLoad, mib(r.rss.idleAfterPass), mib(r.rss.idleAfterSharded))
	}
	b.WriteString("\nIdle connections: the suite (go-mysql client, 16 dialers) opens them on the fresh proxy (handshake + database, no statement), waits 3 s, reads VmRSS, closes them; per connection = (with − before) / connections. The idle-after-load row is taken once the node has returned freed heap to the OS (memory_release_interval, 10 s); what remains is live memory, mostly the statement and plan caches. CPU per query is in the sysbench table.\n\n")
}

// goMetric is the median of unit for the named benchmark, -1 if absent.
func (r *report) goMetric(name, unit string) float64 {
	for _, g := range r.gobench {
		_, med := benchMedians(g.lines)
		if m, ok := med[name]; ok {
			if v, ok := m[unit]; ok {
				return v
			}
		}
	}
	return -1
}

func (r *report) writeGoBench(b *strings.Builder) {
	if len(r.gobench) == 0 {
		return
	}
	fmt.Fprintf(b, "## Go benchmarks\n\nMedians of -count=%d; the raw `go test -bench` output (benchstat input) is in `%s`.\n\n", r.cfg.goBenchCount, r.gobenchRaw)
	for _, g := range r.gobench {
		fmt.Fprintf(b, "### %s\n\n`go test %s`%s\n\n", g.bench.title, strings.Join(g.bench.args, " "), map[bool]string{true: " — **failed** (see the raw output)", false: ""}[g.failed])
		order, med := benchMedians(g.lines)
		if len(order) == 0 {
			continue
		}
		b.WriteString("| benchmark | metrics (median) |\n|---|---|\n")
		for _, name := range order {
			fmt.Fprintf(b, "| %s | %s |\n", name, formatMetrics(med[name]))
		}
		b.WriteString("\n")
		for _, mode := range []string{"text", "prepared"} {
			d, okd := med["Forward/target=direct/mode="+mode]["ns/row"]
			p, okp := med["Forward/target=proxy/mode="+mode]["ns/row"]
			if okd && okp {
				fmt.Fprintf(b, "Forwarding, %s protocol: the proxy adds %.0f ns per row (%.2f× the direct read).\n\n", mode, p-d, p/d)
			}
		}
	}
}

// formatMetrics: ns/op first, then custom units, then B/op and allocs/op.
func formatMetrics(m map[string]float64) string {
	rank := func(u string) int {
		switch u {
		case "ns/op":
			return 0
		case "B/op":
			return 2
		case "allocs/op":
			return 3
		}
		return 1
	}
	units := make([]string, 0, len(m))
	for u := range m {
		units = append(units, u)
	}
	sort.Slice(units, func(i, j int) bool {
		if rank(units[i]) != rank(units[j]) {
			return rank(units[i]) < rank(units[j])
		}
		return units[i] < units[j]
	})
	parts := make([]string, len(units))
	for i, u := range units {
		parts[i] = fmt.Sprintf("%s %s", formatNum(m[u]), u)
	}
	return strings.Join(parts, ", ")
}

func formatNum(v float64) string {
	if v >= 100 || v == float64(int64(v)) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func (r *report) writeSetup(b *strings.Builder) {
	c := r.cfg
	b.WriteString("## How it was run\n\n```sh\n")
	fmt.Fprintf(b, "DURATION=%d ROUNDS=%d THREADS=%q make bench   # make build, then scripts/bench.sh builds and runs internal/benchtool\n```\n\nOne part only: `SECTIONS=\"sysbench transfer resources gobench\"` (any subset); everything the suite reads from the environment is listed in scripts/bench.sh. Raw output of this run (every sysbench run, go test -bench output, proxy CPU profiles, proxy logs): .bench/results.\n\n", c.duration, c.rounds, joinInts(c.threads))
	if r.runs == nil && r.transfer == nil {
		return
	}
	b.WriteString("The suite starts two MariaDB servers (internal/mariadbtest: `--innodb-flush-log-at-trx-commit=2`, no binlog, datadirs under .bench/servers) and two `bin/shardline` processes (configs written next to them: pass-through without Raft; sharded with `admin` + single-node `raft`, `pool.max_conns: 64` and shard `max_conns: 64`). It prepares sbtest directly on the first server and sbshard through the sharded proxy (its DDL creates the partitions), then runs, per round, every workload × threads with the three targets back to back. Everything it started is stopped at the end.\n\nsysbench commands (`$HOST:$PORT`/`$USER`/`$DB`: root@direct server/sbtest, app@pass-through/sbtest, app@sharded/sbshard):\n\n```sh\n")
	fmt.Fprintf(b, "sysbench oltp_point_select --tables=%d --table-size=%d --auto-inc=off ... prepare\n", c.tables, c.tableSize)
	for _, w := range workloads {
		b.WriteString(sbCommand(w, c.threads[0], c) + "\n")
	}
	b.WriteString("```\n\n(the same with each value of THREADS). `--auto-inc=off` everywhere: INSERTs must name the shard key through the sharded proxy, and the direct runs use the same statements.\n\nThe transfer workload, the idle connections and the /proc accounting are Go code in internal/benchtool (transfer.go, idle.go, proc.go, status.go); the Go benchmarks' commands are above their tables.\n\n")
}

// writeCPUBudget: where the CPU of a query goes, and the throughput the
// machine's cores would allow if nothing else ran (cores ÷ CPU per query).
func (r *report) writeCPUBudget(b *strings.Builder) {
	if r.runs == nil {
		return
	}
	cores := float64(runtimeCPUs())
	fmt.Fprintf(b, "### CPU per query (first thread count: %d)\n\n", r.cfg.threads[0])
	fmt.Fprintf(b, "Every process of a run shares the same %d cores, so CPU per query bounds throughput: ceiling = %d cores × 10⁶ ÷ (proxy + MariaDB + sysbench µs/query). Measured QPS well under the ceiling means waiting (latency, locks, stalls) or other work on the machine rather than CPU.\n\n", int(cores), int(cores))
	b.WriteString("| workload | target | proxy µs | MariaDB µs | sysbench µs | total µs/query | CPU ceiling QPS | measured QPS |\n|---|---|---|---|---|---|---|---|\n")
	th := r.cfg.threads[0]
	for wi, w := range workloads {
		for _, tg := range targetNames {
			x := r.cell(wi, th, tg)
			total := x.cpu + x.dbCPU + x.sbCPU
			ceiling := 0.0
			if total > 0 {
				ceiling = cores * 1e6 / total
			}
			fmt.Fprintf(b, "| %s | %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |\n", w.name, tg, x.cpu, x.dbCPU, x.sbCPU, total, ceiling, x.qps)
		}
	}
	b.WriteString("\n")
}

func runtimeCPUs() int { return runtime.NumCPU() }

// writeBackendMix: what MariaDB executed per client query (Com_* counters of
// the target's servers over the run, last round), first thread count.
func (r *report) writeBackendMix(b *strings.Builder) {
	th := r.cfg.threads[0]
	fmt.Fprintf(b, "### What MariaDB executed per client query (%d threads, last round)\n\n", th)
	b.WriteString("`SHOW GLOBAL STATUS` Questions and Com_* deltas over the run on the target's server(s), divided by the queries sysbench counted (counters under 0.01 per query left out). Direct shows the workload itself; anything more through the proxy is extra backend work. Proxy syscalls = read-class / write-class system calls of the Shardline process per client query (/proc/PID/io syscr, syscw), client and backend sides together.\n\n| workload | target | MariaDB, per client query | proxy syscalls per query (read / write) |\n|---|---|---|---|\n")
	for wi, w := range workloads {
		for _, tg := range targetNames {
			rs := r.runs[runKey{wi, th, tg}]
			var m map[string]float64
			for i := len(rs) - 1; i >= 0; i-- {
				if rs[i].err == nil {
					m = rs[i].backend
					break
				}
			}
			sys := "–"
			if tg != "direct" {
				for i := len(rs) - 1; i >= 0; i-- {
					if rs[i].err == nil {
						sys = fmt.Sprintf("%.1f / %.1f", rs[i].proxyReads, rs[i].proxyWrites)
						break
					}
				}
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s |\n", w.name, tg, formatCounters(m), sys)
		}
	}
	b.WriteString("\n")
}
