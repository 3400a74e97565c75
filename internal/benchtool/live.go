package main

import (
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/shardline/shardline/internal/mariadbtest"
)

// runKey identifies a cell of the sysbench matrix.
type runKey struct {
	workload int
	threads  int
	target   string
}

var targetNames = []string{"direct", "passthrough", "sharded"}

// idleAfterLoad is how long after the sysbench load the idle RSS is taken:
// longer than the nodes' memory_release_interval (10 s).
const idleAfterLoad = 15 * time.Second

// runLive starts two MariaDB servers and two proxies, runs the sysbench
// matrix, the resource measurements and the transfer workload, and stops
// everything it started.
func runLive(c *config, rep *report) error {
	dir, err := filepath.Abs(filepath.Join(c.dir, "servers"))
	if err != nil {
		return err
	}
	_ = os.RemoveAll(dir)
	defer runCleanups()
	atCleanup(func() { _ = os.RemoveAll(dir) })
	log.Printf("starting 2 MariaDB servers under %s", dir)
	servers, err := startServers(dir, 2)
	if err != nil {
		return err
	}
	for _, s := range servers {
		atCleanup(func() { _ = s.Stop() })
	}
	a, b := servers[0], servers[1]
	if err := execSQL(a, "CREATE DATABASE "+directDB); err != nil {
		return err
	}
	p1, p2, err := startProxies(c, dir, a, b)
	if err != nil {
		return err
	}
	// Runs after both proxies stopped (cleanups run newest first), before
	// the server directory (which holds the logs) is removed.
	atCleanup(func() { keepLogs(c, p1, p2) })
	atCleanup(p1.stop)
	atCleanup(p2.stop)
	time.Sleep(2 * time.Second)
	rep.rss.idleStartPass, rep.rss.idleStartSharded = rssKiB(p1.pid()), rssKiB(p2.pid())
	var dbs []*sql.DB
	for _, s := range servers {
		db, err := openStatusDB(s.DSN(""))
		if err != nil {
			return err
		}
		atCleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	targets := []target{
		{name: "direct", addr: a.Addr(), user: "root", db: directDB, dbPids: []int{a.Pid()}, dbs: dbs[:1]},
		{name: "passthrough", addr: p1.addr, user: "app", pass: "app", db: directDB, proxy: p1, dbPids: []int{a.Pid()}, dbs: dbs[:1]},
		{name: "sharded", addr: p2.addr, user: "app", pass: "app", db: shardedDB, proxy: p2, dbPids: []int{a.Pid(), b.Pid()}, dbs: dbs},
	}
	if c.sections["resources"] {
		idleConns(c, rep, p1, p2)
	}
	if err := prepare(c, targets, p2); err != nil {
		return err
	}
	if c.sections["transfer"] && c.sections["sysbench"] {
		freshTransfers(c, rep, p2)
	}
	if c.sections["sysbench"] {
		if err := sysbenchMatrix(c, rep, targets); err != nil {
			return err
		}
		if c.profile {
			profiles(c, rep, targets)
		}
		// Idle after the load, once the node has returned freed heap to the
		// OS (memory_release_interval, 10 s by default).
		time.Sleep(idleAfterLoad)
		rep.rss.idleAfterPass, rep.rss.idleAfterSharded = rssKiB(p1.pid()), rssKiB(p2.pid())
	}
	if c.sections["transfer"] {
		if err := transfers(c, rep, p2); err != nil {
			return err
		}
	}
	return nil
}

func startProxies(c *config, dir string, a, b *mariadbtest.Server) (*proxyProc, *proxyProc, error) {
	var addrs [6]string
	for i := range addrs {
		var err error
		if addrs[i], err = freeAddr(); err != nil {
			return nil, nil, err
		}
	}
	log.Printf("starting shardline pass-through on %s and sharded (1 Raft node) on %s", addrs[0], addrs[1])
	p1, err := startProxy(c.bin, dir, "passthrough", addrs[0], addrs[4], passThroughConfig(addrs[0], addrs[4], a), "")
	if err != nil {
		return nil, nil, err
	}
	cfg := shardedConfig(addrs[1], addrs[5], addrs[2], addrs[3], filepath.Join(dir, "raft"), a, b, c.tables)
	p2, err := startProxy(c.bin, dir, "sharded", addrs[1], addrs[5], cfg, "http://"+addrs[2]+"/readyz")
	if err != nil {
		p1.stop()
		return nil, nil, err
	}
	return p1, p2, nil
}

// prepare loads the sysbench tables directly on A (sbtest) and through the
// sharded proxy (sbshard: the proxy's DDL makes the partitions), and the
// transfer accounts.
func prepare(c *config, targets []target, p2 *proxyProc) error {
	conn, err := client.ConnectWithTimeout(p2.addr, "app", "app", "", 10*time.Second)
	if err != nil {
		return err
	}
	_, err = conn.Execute("CREATE DATABASE " + shardedDB)
	conn.Close()
	if err != nil {
		return fmt.Errorf("CREATE DATABASE through the sharded proxy: %w", err)
	}
	for _, t := range []target{targets[0], targets[2]} {
		log.Printf("sysbench prepare (%s): %d tables x %d rows", t.name, c.tables, c.tableSize)
		if _, err := runSysbench(sbArgs(c, t, workloads[0], 0, 0), "prepare", 10*time.Minute); err != nil {
			return err
		}
	}
	if c.sections["transfer"] {
		log.Printf("loading %d transfer accounts through the sharded proxy", c.accounts)
		return loadAccounts(p2.addr, c.accounts)
	}
	return nil
}

// sysbenchMatrix runs every workload x threads, rotating the three targets
// inside each cell, ROUNDS times.
func sysbenchMatrix(c *config, rep *report, targets []target) error {
	log.Printf("warm-up: 2 s point selects per target")
	for _, t := range targets {
		if r := measure(c, t, workloads[0], c.threads[0], 2); r.err != nil {
			return fmt.Errorf("warm-up %s: %w", t.name, r.err)
		}
	}
	rep.runs = map[runKey][]sbResult{}
	total := c.rounds * len(workloads) * len(c.threads) * len(targets)
	n := 0
	for round := 1; round <= c.rounds; round++ {
		for wi, w := range workloads {
			for _, th := range c.threads {
				for _, t := range targets {
					n++
					r := measure(c, t, w, th, c.duration)
					k := runKey{wi, th, t.name}
					rep.runs[k] = append(rep.runs[k], r)
					if r.err != nil {
						log.Printf("[%d/%d] round %d %s %d threads %s: FAILED: %v", n, total, round, w.name, th, t.name, r.err)
						rep.failures = append(rep.failures, fmt.Sprintf("sysbench %s, %d threads, %s, round %d: %v", w.name, th, t.name, round, firstLine(r.err)))
						continue
					}
					log.Printf("[%d/%d] round %d %s %d threads %s: %.0f qps %.0f tps p95 %.2f ms errors %d",
						n, total, round, w.name, th, t.name, r.qps, r.tps, r.p95, r.errors)
				}
			}
		}
	}
	rep.rss.loadPass, rep.rss.loadSharded = maxRSSOf(rep.runs, "passthrough"), maxRSSOf(rep.runs, "sharded")
	return nil
}

func maxRSSOf(runs map[runKey][]sbResult, target string) int64 {
	var m int64
	for k, rs := range runs {
		for _, r := range rs {
			if k.target == target && r.maxRSSKiB > m {
				m = r.maxRSSKiB
			}
		}
	}
	return m
}

// idleConns holds IDLE_CONNS idle client connections open on each proxy,
// while they are still fresh (no load yet: the heap has no free space left
// over from earlier work to hide the connections' cost).
func idleConns(c *config, rep *report, p1, p2 *proxyProc) {
	for _, p := range []*proxyProc{p1, p2} {
		db := directDB
		if p == p2 {
			db = shardedDB
		}
		log.Printf("holding %d idle connections on %s", c.idleConns, p.name)
		r := holdIdle(p, db, c.idleConns)
		if r.firstErr != nil {
			rep.failures = append(rep.failures, fmt.Sprintf("%d of %d idle connections to %s failed: %v", r.failed, r.conns, p.name, r.firstErr))
		}
		rep.idle = append(rep.idle, idleRun{proxy: p.name, idleResult: r})
		time.Sleep(2 * time.Second)
	}
}

// freshTransfers: one cross-shard and one single-shard run on the fresh
// sharded node, before the sysbench load (the main transfer rounds run
// after it), to show whether the load leaves the 2PC path slower.
func freshTransfers(c *config, rep *report, p2 *proxyProc) {
	rep.transferFresh = map[bool]transferResult{}
	for _, cross := range []bool{true, false} {
		r := runTransfer(p2.addr, c.accounts, c.transferThreads, time.Duration(c.duration)*time.Second, cross)
		log.Printf("transfer before the load, cross=%v: %.0f commits/s, commit p50 %.2f ms p99 %.2f ms", cross, r.perSec, r.commitP50, r.commitP99)
		rep.transferFresh[cross] = r
	}
}

// transfers alternates cross-shard and single-shard transfer runs.
func transfers(c *config, rep *report, p2 *proxyProc) error {
	rep.transfer, rep.transferCPU = map[bool][]transferResult{}, map[bool][]float64{}
	for round := 1; round <= c.rounds; round++ {
		for _, cross := range []bool{true, false} {
			cpu0, _ := cpuSeconds(p2.pid())
			r := runTransfer(p2.addr, c.accounts, c.transferThreads, time.Duration(c.duration)*time.Second, cross)
			cpu1, _ := cpuSeconds(p2.pid())
			kind := map[bool]string{true: "cross-shard", false: "single-shard"}[cross]
			if r.err != nil {
				rep.failures = append(rep.failures, fmt.Sprintf("transfer %s round %d: %v", kind, round, r.err))
				log.Printf("transfer %s round %d: FAILED: %v", kind, round, r.err)
			}
			if r.commits > 0 {
				rep.transferCPU[cross] = append(rep.transferCPU[cross], (cpu1-cpu0)*1e6/float64(r.commits))
			}
			log.Printf("transfer %s round %d: %.0f commits/s, commit p50 %.2f ms p99 %.2f ms, %d failed", kind, round, r.perSec, r.commitP50, r.commitP99, r.errors)
			rep.transfer[cross] = append(rep.transfer[cross], r)
		}
	}
	if c.profile {
		profileTransfer(c, rep, p2)
	}
	return nil
}

// profileTransfer: one extra cross-shard transfer run with a CPU profile of
// the sharded proxy.
func profileTransfer(c *config, rep *report, p2 *proxyProc) {
	path, _ := filepath.Abs(filepath.Join(c.dir, "results", "sharded-transfer-cross.pprof"))
	pr := profileRun{title: fmt.Sprintf("sharded, cross-shard transfer, %d workers", c.transferThreads), path: path}
	done := make(chan error, 1)
	go func() { done <- fetchProfile(p2.pprof, max(1, c.duration-1), path) }()
	log.Printf("profiling %s", pr.title)
	r := runTransfer(p2.addr, c.accounts, c.transferThreads, time.Duration(c.duration)*time.Second, true)
	if pr.err = <-done; pr.err == nil && r.err == nil {
		pr.top, pr.err = pprofTop(c.bin, path)
	} else if pr.err == nil {
		pr.err = r.err
	}
	rep.profiles = append(rep.profiles, pr)
}

func firstLine(err error) string {
	s := err.Error()
	for i, ch := range s {
		if ch == '\n' {
			return s[:i]
		}
	}
	return s
}

// keepLogs copies the proxies' logs into BENCH_DIR/results.
func keepLogs(c *config, procs ...*proxyProc) {
	for _, p := range procs {
		if b, err := os.ReadFile(p.log); err == nil {
			_ = os.WriteFile(filepath.Join(c.dir, "results", p.name+".log"), b, 0o644)
		}
	}
}
