package demotest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shardline/shardline/internal/mariadbtest"
)

// TestDemo runs the demo as a user would, from a clean .demo/: `make demo`,
// the README walkthrough through every node, the Raft leader killed and
// brought back with `make demo` (together with a killed shard), then
// `make demo-down` and `make demo` again on the kept state, then
// `make demo-down`. If it fails, `make demo` or the README's quick start is
// broken for users: the cluster does not come up, a node does not serve the
// walkthrough, a cross-shard transaction is not atomic across order_01 (t3306)
// and order_02 (t3307), the cluster stops serving writes when its leader dies,
// a killed node or shard does not come back, the cluster does not start again
// from its state after demo-down, or demo-down leaves a process or port behind. The demo's ports are fixed: the test fails at once, naming
// them, when something already listens there (run `make demo-down`).
// Takes about 25 s (40 s when the binaries must be built).
func TestDemo(t *testing.T) {
	mariadbtest.Require(t)
	if testing.Short() {
		t.Skip("-short: the demo test starts 2 MariaDB servers and 3 Shardline nodes")
	}
	root := repoRoot(t)
	if busy := busyPorts(); len(busy) > 0 {
		t.Fatalf("demo ports %v are already in use (a demo running? `make demo-down`; or another program): "+
			"the demo test needs all of %v free", busy, demoPorts())
	}
	if procs := demoProcesses(root); len(procs) > 0 {
		t.Fatalf("demo processes are running without their ports:\n%s", strings.Join(procs, "\n"))
	}
	makeTarget(t, root, "demo-clean", time.Minute)
	t.Cleanup(func() {
		if t.Failed() {
			for _, n := range demoNodes {
				if b, err := os.ReadFile(filepath.Join(root, ".demo", n.id+".log")); err == nil {
					t.Logf("tail of .demo/%s.log:\n%s", n.id, tail(string(b), 15))
				}
			}
		}
		if out, err := tryMake(root, "demo-clean", 2*time.Minute); err != nil {
			t.Errorf("make demo-clean: %v\n%s", err, out)
		}
	})

	start := time.Now()
	out := makeTarget(t, root, "demo", 3*time.Minute)
	for _, want := range []string{"t3306 127.0.0.1:13306", "t3307 127.0.0.1:13307", "proxy n1 127.0.0.1:6033",
		"proxy n2 127.0.0.1:6034", "proxy n3 127.0.0.1:6035", "mariadb -h127.0.0.1 -P6033 -uapp -papp oms", "demo-token"} {
		if !strings.Contains(out, want) {
			t.Errorf("make demo output lacks %q", want)
		}
	}
	t.Logf("make demo (with build) took %v", time.Since(start))

	shardctl(t, root, "map show", "t3306:order_01,t3307:order_02")
	shardctl(t, root, "cluster status", "leader n1")
	for i, n := range demoNodes {
		walkthrough(t, n, int64(10*(i+1)))
	}
	leader := killLeader(t, root)
	killShard(t, root, "t3307")
	restart(t, root, leader)
	stop(t, root)
	restartAll(t, root)
	stop(t, root)
}

// shardctl runs bin/shardctl (built by make demo) against n1's admin API, as
// the README does, and checks that its output contains want.
func shardctl(t *testing.T, root, args, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "bin", "shardctl"), strings.Fields(args)...)
	cmd.Env = append(os.Environ(), "SHARDCTL_ADDR=127.0.0.1:9090", "SHARDCTL_TOKEN="+adminToken)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), want) {
		t.Errorf("shardctl %s: %v; output lacks %q:\n%s", args, err, want, out)
	}
}

// walkthrough replays the README's statements through node n: the sample
// rows, single-shard routing, EXPLAIN FORMAT=SHARDLINE, the origin
// transaction (one order into order_01 on t3306, one into order_02 on t3307)
// checked on each shard directly, a cross-shard rollback, a scatter GROUP BY.
func walkthrough(t *testing.T, n demoNode, id int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db := openProxy(t, n.mysql, "oms")
	var count int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM orders").Scan(&count); err != nil || count < 4 {
		t.Fatalf("%s: SELECT COUNT(*) FROM orders = %d, %v; want the 4 sample rows at least", n.id, count, err)
	}
	var item string
	if err := db.QueryRowContext(ctx, "SELECT item FROM orders WHERE user_id = 3").Scan(&item); err != nil || item != "monitor" {
		t.Errorf("%s: sample row of user 3: %q, %v; want monitor", n.id, item, err)
	}
	explain := explainRows(ctx, t, db, "EXPLAIN FORMAT=SHARDLINE SELECT id, item FROM orders WHERE user_id = 2")
	if len(explain) != 1 || explain[0][0] != "t3306" || !strings.Contains(explain[0][1], "`order_01`") {
		t.Errorf("%s: EXPLAIN of user_id = 2: %q; want one target, t3306 order_01", n.id, explain)
	}
	explain = explainRows(ctx, t, db, "EXPLAIN FORMAT=SHARDLINE SELECT COUNT(*) FROM orders")
	if len(explain) != 3 || explain[2][0] != "merge" {
		t.Errorf("%s: EXPLAIN of a scatter COUNT(*): %q; want t3306, t3307 and a merge row", n.id, explain)
	}

	before, _ := metric(n.admin, "shardline_xa_commits_2pc_total")
	if err := crossShardTxn(ctx, db, id, true); err != nil {
		t.Fatalf("%s: origin transaction: %v", n.id, err)
	}
	checkShards(t, id, true)
	if after, err := metric(n.admin, "shardline_xa_commits_2pc_total"); err != nil || after < before+1 {
		t.Errorf("%s: shardline_xa_commits_2pc_total %v -> %v (%v): the commit did not run as XA 2PC", n.id, before, after, err)
	}
	// hashicorp/raft's own metrics are exported too (every node stores log batches).
	if batches, err := metric(n.admin, "shardline_raft_boltdb_logsPerBatch_count"); err != nil || batches < 1 {
		t.Errorf("%s: raft's metrics missing from /metrics: shardline_raft_boltdb_logsPerBatch_count %v (%v)", n.id, batches, err)
	}
	if err := crossShardTxn(ctx, db, id+5, false); err != nil {
		t.Fatalf("%s: rolled-back transaction: %v", n.id, err)
	}
	checkShards(t, id+5, false)

	rows, err := db.QueryContext(ctx, "SELECT user_id, COUNT(*), SUM(amount) FROM orders GROUP BY user_id ORDER BY user_id")
	if err != nil {
		t.Fatalf("%s: scatter GROUP BY: %v", n.id, err)
	}
	defer rows.Close()
	var users []int64
	for rows.Next() {
		var u, c int64
		var sum string
		if err := rows.Scan(&u, &c, &sum); err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil || fmt.Sprint(users) != "[1 2 3 4]" {
		t.Errorf("%s: GROUP BY user_id gave users %v (%v); want [1 2 3 4]", n.id, users, err)
	}
}

func explainRows(ctx context.Context, t *testing.T, db *sql.DB, q string) [][2]string {
	t.Helper()
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var r [2]string
		if err := rows.Scan(&r[0], &r[1]); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// crossShardTxn inserts order id (user 2: order_01 on t3306) and id+1
// (user 1: order_02 on t3307) in one transaction, then commits or rolls back.
func crossShardTxn(ctx context.Context, db *sql.DB, id int64, commit bool) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	const ins = "INSERT INTO orders (id, user_id, item, amount) VALUES (%d, %d, '%s', %s)"
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(ins, id, 2, "lamp", "30.00")); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(ins, id+1, 1, "desk", "250.00")); err != nil {
		return err
	}
	if commit {
		return tx.Commit()
	}
	return tx.Rollback()
}

// checkShards looks at each shard directly: order id is in t3306's order_01
// and id+1 in t3307's order_02 (both or, when want is false, neither).
func checkShards(t *testing.T, id int64, want bool) {
	t.Helper()
	for _, c := range []struct {
		shard, table string
		id, user     int64
	}{{"t3306", "order_01", id, 2}, {"t3307", "order_02", id + 1, 1}} {
		var user int64
		err := openShard(t, c.shard).QueryRow("SELECT user_id FROM "+c.table+" WHERE id = ?", c.id).Scan(&user)
		switch {
		case want && (err != nil || user != c.user):
			t.Errorf("shard %s: oms.%s id %d: user %d, %v; want the committed row of user %d", c.shard, c.table, c.id, user, err, c.user)
		case !want && err != sql.ErrNoRows:
			t.Errorf("shard %s: oms.%s id %d: %v; want no row (rolled back)", c.shard, c.table, c.id, err)
		}
	}
}

// killLeader reads the Raft leader from GET /v1/cluster, kills its process
// with SIGKILL and checks that the other two elect a new leader and serve
// cross-shard writes (whose commit point is a Raft append) within seconds.
func killLeader(t *testing.T, root string) demoNode {
	t.Helper()
	ci, err := getCluster(demoNodes[0].admin)
	if err != nil || ci.Leader == "" {
		t.Fatalf("GET /v1/cluster: %+v, %v; want a leader", ci, err)
	}
	leader := nodeByID(t, ci.Leader)
	pid := readPid(t, filepath.Join(root, ".demo", leader.id+".pid"))
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	t.Logf("killed the leader %s (pid %d)", leader.id, pid)
	id := int64(1000)
	for _, n := range demoNodes {
		if n.id == leader.id {
			continue
		}
		db := openProxy(t, n.mysql, "oms")
		err := eventually(15*time.Second, func() error {
			ci, err := getCluster(n.admin)
			if err != nil {
				return err
			}
			if ci.Leader == "" || ci.Leader == leader.id {
				return fmt.Errorf("%s sees leader %q", n.id, ci.Leader)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			id += 10
			return crossShardTxn(ctx, db, id, true)
		})
		if err != nil {
			t.Fatalf("after killing leader %s, node %s did not serve a cross-shard write within 15s: %v", leader.id, n.id, err)
		}
		checkShards(t, id, true)
		t.Logf("node %s served a cross-shard write %v after the leader died", n.id, time.Since(killed).Round(time.Millisecond))
	}
	return leader
}

// killShard kills a shard's mariadbd with SIGKILL (make demo must restart it).
func killShard(t *testing.T, root, shard string) {
	t.Helper()
	pid := readPid(t, filepath.Join(root, ".demo", shard, "mysqld.pid"))
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := eventually(5*time.Second, func() error {
		if portOpen(shardPorts[shard]) {
			return fmt.Errorf("shard %s still listening", shard)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// restart runs `make demo` again: it must start exactly the killed node and
// shard, leave the others running, and the node must rejoin and serve.
func restart(t *testing.T, root string, leader demoNode) {
	t.Helper()
	out := makeTarget(t, root, "demo", 2*time.Minute)
	started := regexp.MustCompile(`(?m)^(proxy )?(\S+) 127\.0\.0\.1:\d+ pid=\d+ started`).FindAllStringSubmatch(out, -1)
	var names []string
	for _, m := range started {
		names = append(names, m[2])
	}
	if fmt.Sprint(names) != fmt.Sprint([]string{"t3307", leader.id}) {
		t.Errorf("make demo after the kills started %v; want exactly [t3307 %s]", names, leader.id)
	}
	err := eventually(15*time.Second, func() error {
		ci, err := getCluster(leader.admin)
		if err != nil {
			return err
		}
		if ci.Leader == "" || len(ci.Nodes) != 3 {
			return fmt.Errorf("restarted %s sees leader %q and %d nodes", leader.id, ci.Leader, len(ci.Nodes))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return crossShardTxn(ctx, openProxy(t, leader.mysql, "oms"), 2000, true)
	})
	if err != nil {
		t.Fatalf("restarted node %s did not rejoin and serve: %v", leader.id, err)
	}
	checkShards(t, 2000, true)
}

// restartAll runs `make demo` after `make demo-down`: every part starts again
// from the kept state (the nodes must start together: a node with Raft state
// serves only once a majority is up) and the committed orders are still there.
func restartAll(t *testing.T, root string) {
	t.Helper()
	out := makeTarget(t, root, "demo", 2*time.Minute)
	if n := strings.Count(out, " started"); n != 5 {
		t.Errorf("make demo after demo-down started %d parts; want 2 shards and 3 nodes", n)
	}
	for _, n := range demoNodes {
		var got int
		q := "SELECT COUNT(*) FROM orders WHERE id IN (10, 11, 2000, 2001)"
		if err := openProxy(t, n.mysql, "oms").QueryRow(q).Scan(&got); err != nil || got != 4 {
			t.Errorf("%s after a full restart: %d of the committed orders 10, 11, 2000, 2001 (%v); want 4", n.id, got, err)
		}
	}
}

// stop runs `make demo-down` and checks that no demo process and no demo
// port is left.
func stop(t *testing.T, root string) {
	t.Helper()
	makeTarget(t, root, "demo-down", 2*time.Minute)
	if procs := demoProcesses(root); len(procs) > 0 {
		t.Errorf("processes left after make demo-down:\n%s", strings.Join(procs, "\n"))
	}
	if busy := busyPorts(); len(busy) > 0 {
		t.Errorf("ports still open after make demo-down: %v", busy)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
