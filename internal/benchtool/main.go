// Command benchtool is the benchmark suite behind `make bench`
// (scripts/bench.sh): sysbench direct vs through Shardline (pass-through and
// sharded over two servers), a cross-shard transfer workload, proxy CPU and
// memory from /proc, Raft decision appends and the Go micro-benchmarks. It
// writes a markdown report (BENCHMARKS.md by default) and prints it.
//
//	go run ./internal/benchtool            # everything, settings from the environment
//
// Environment (defaults in parentheses): DURATION (5) seconds per measured
// run; ROUNDS (3) rounds, each running direct, pass-through, sharded in turn;
// THREADS ("8 32"); TABLES (2) and TABLE_SIZE (10000) for sysbench;
// TRANSFER_THREADS (8), ACCOUNTS (10000); IDLE_CONNS (1000);
// GOBENCH_COUNT (3), GOBENCH_TIME (300ms), RAFT_BENCHTIME (1s);
// SECTIONS ("sysbench transfer resources gobench"); OUT (BENCHMARKS.md);
// SHARDLINE_BIN (bin/shardline); BENCH_DIR (.bench); NOTES
// (scripts/bench/notes.md: hand-written findings copied into the report);
// PROFILE (1: after the rounds, a few extra runs with a CPU profile of the
// proxy; 0: none).
package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// config is the suite's settings.
type config struct {
	duration, rounds           int
	threads                    []int
	tables, tableSize          int
	transferThreads, accounts  int
	idleConns                  int
	profile                    bool
	goBenchCount               int
	goBenchTime, raftBenchTime string
	sections                   map[string]bool
	out, bin, dir, notes       string
}

func envInt(name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		log.Fatalf("%s must be a positive integer, got %q", name, v)
	}
	return n
}

func envStr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func loadConfig() *config {
	c := &config{duration: envInt("DURATION", 5), rounds: envInt("ROUNDS", 3),
		tables: envInt("TABLES", 2), tableSize: envInt("TABLE_SIZE", 10000),
		transferThreads: envInt("TRANSFER_THREADS", 8), accounts: envInt("ACCOUNTS", 10000),
		idleConns: envInt("IDLE_CONNS", 1000), goBenchCount: envInt("GOBENCH_COUNT", 3),
		goBenchTime: envStr("GOBENCH_TIME", "300ms"), raftBenchTime: envStr("RAFT_BENCHTIME", "1s"),
		out: envStr("OUT", "BENCHMARKS.md"), bin: envStr("SHARDLINE_BIN", "bin/shardline"),
		dir: envStr("BENCH_DIR", ".bench"), sections: map[string]bool{}, profile: envStr("PROFILE", "1") != "0",
		notes: envStr("NOTES", "scripts/bench/notes.md")}
	for _, f := range strings.Fields(envStr("THREADS", "8 32")) {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			log.Fatalf("THREADS: bad value %q", f)
		}
		c.threads = append(c.threads, n)
	}
	for _, s := range strings.Fields(envStr("SECTIONS", "sysbench transfer resources gobench")) {
		c.sections[s] = true
	}
	return c
}

func main() {
	log.SetFlags(log.Ltime)
	log.SetPrefix("bench: ")
	c := loadConfig()
	cleanupOnSignal()
	rep := &report{cfg: c, started: time.Now().UTC(), machine: machineInfo(), loadStart: loadAvg(),
		others: otherProcesses()}
	_ = os.RemoveAll(filepath.Join(c.dir, "results"))
	if err := os.MkdirAll(filepath.Join(c.dir, "results"), 0o755); err != nil {
		log.Fatal(err)
	}
	failed := false
	if c.sections["sysbench"] || c.sections["transfer"] || c.sections["resources"] {
		if err := runLive(c, rep); err != nil {
			log.Printf("FAILED: %v", err)
			rep.failures = append(rep.failures, err.Error())
			failed = true
		}
	}
	if c.sections["gobench"] {
		runGoBenches(c, rep)
	}
	rep.finished = time.Now().UTC()
	rep.loadEnd = loadAvg()
	md := rep.markdown()
	if err := os.WriteFile(c.out, []byte(md), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Print(md)
	log.Printf("report written to %s; raw output in %s", c.out, filepath.Join(c.dir, "results"))
	if failed || len(rep.failures) > 0 {
		os.Exit(1)
	}
}

func runGoBenches(c *config, rep *report) {
	raw := filepath.Join(c.dir, "results", "gobench.txt")
	_ = os.Remove(raw)
	for _, g := range goBenches(c) {
		log.Printf("go test %s", strings.Join(g.args, " "))
		lines, err := runGoBench(g, raw, 10*time.Minute)
		if err != nil {
			log.Printf("FAILED: %v", err)
			rep.failures = append(rep.failures, fmt.Sprintf("go benchmark %s failed (see %s)", g.title, raw))
		}
		rep.gobench = append(rep.gobench, goBenchResult{bench: g, lines: lines, failed: err != nil})
	}
	rep.gobenchRaw = raw
}
