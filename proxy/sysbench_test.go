package proxy_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/shardline/shardline/internal/mariadbtest"
	"github.com/shardline/shardline/router"
)

// sysbenchPath finds sysbench; CI must have it (.ci/run installs it).
func sysbenchPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("sysbench")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("sysbench is missing (CI=true: .ci/run must install it)")
		}
		t.Skip("sysbench is not installed")
	}
	return p
}

// runSysbench runs one sysbench command against the proxy and returns its output.
func runSysbench(t *testing.T, bin, addr, db string, args ...string) string {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	all := append([]string{"--mysql-host=" + host, "--mysql-port=" + port, "--mysql-user=app", "--mysql-password=app",
		"--mysql-db=" + db, "--mysql-ssl=off", "--tables=2", "--table-size=10000"}, args...)
	cmd := exec.Command(bin, all...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("sysbench %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

var sysbenchErrors = regexp.MustCompile(`ignored errors:\s+(\d+)`)
var sysbenchTxns = regexp.MustCompile(`transactions:\s+(\d+)`)

// checkSysbench asserts a run committed transactions without a fatal error.
// sysbench's "ignored errors" are deadlocks and lock wait timeouts
// (1213/1205/1020), which concurrent oltp_read_write transactions get from
// MariaDB itself (the direct runs of make bench have some too): a few are
// allowed, at most one per hundred transactions.
func checkSysbench(t *testing.T, out string) {
	t.Helper()
	e := sysbenchErrors.FindStringSubmatch(out)
	n := sysbenchTxns.FindStringSubmatch(out)
	if e == nil || n == nil || strings.Contains(out, "FATAL") {
		t.Fatalf("sysbench run not clean:\n%s", out)
	}
	errs, _ := strconv.Atoi(e[1])
	txns, _ := strconv.Atoi(n[1])
	if txns == 0 || errs*100 > txns {
		t.Fatalf("sysbench: %d transactions, %d ignored errors (deadlocks/lock waits), want transactions and at most 1%% errors:\n%s", txns, errs, out)
	}
	t.Logf("sysbench: %d transactions, %d ignored errors", txns, errs)
}

// TestSysbenchReadWrite runs a short sysbench oltp_read_write (prepared
// statements, transactions) through the proxy: pass-through to one server,
// and with the sbtest tables sharded by id over two servers (every
// transaction then spans shards: two-phase commit). If it fails, a standard
// OLTP workload breaks through Shardline.
func TestSysbenchReadWrite(t *testing.T) {
	bin := sysbenchPath(t)
	t.Run("passthrough", func(t *testing.T) {
		e := startEnv(t, 1, passThroughMap, nil)
		runSysbench(t, bin, e.addr, "app", "oltp_read_write", "prepare")
		checkSysbench(t, runSysbench(t, bin, e.addr, "app", "oltp_read_write", "--threads=2", "--time=3", "run"))
		checkSysbench(t, runSysbench(t, bin, e.addr, "app", "oltp_read_write", "--threads=2", "--time=2", "--db-ps-mode=disable", "run"))
	})
	t.Run("sharded", func(t *testing.T) {
		e := startXAEnv(t, 2, sbtestShardedMap, nil)
		runSysbench(t, bin, e.addr, "app", "oltp_read_write", "--auto-inc=off", "prepare")
		checkSysbench(t, runSysbench(t, bin, e.addr, "app", "oltp_read_write", "--auto-inc=off", "--threads=2", "--time=3", "run"))
		assertNoXA(t, e.env)
	})
}

// sbtestShardedMap shards sbtest1 and sbtest2 by id (hash, 4 partitions over
// 2 servers).
func sbtestShardedMap(servers []*mariadbtest.Server) *router.ShardMap {
	m := passThroughMap(servers)
	m.Schemas["app"].Tables = map[string]*router.TableRule{}
	for _, tbl := range []string{"sbtest1", "sbtest2"} {
		var parts []router.Partition
		for i := 0; i < 4; i++ {
			parts = append(parts, router.Partition{Shard: fmt.Sprintf("s%d", i%2), Table: fmt.Sprintf("%s_%d", tbl, i)})
		}
		m.Schemas["app"].Tables[tbl] = &router.TableRule{ShardKey: "id", Algorithm: router.AlgoHash, Partitions: parts}
	}
	return m
}
