package chaos

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shardline/shardline/internal/mariadbtest"
)

const adminToken = "chaos-token"

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
	buildDir  string
)

// shardlineBinary builds cmd/shardline once per test process into a temp dir.
func shardlineBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "chaos-bin-")
		if buildErr != nil {
			return
		}
		// go test puts its own GOROOT/bin first on the test's PATH.
		cmd := exec.Command("go", "build", "-o", buildDir+"/", "github.com/shardline/shardline/cmd/shardline")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/shardline: %v\n%s", err, out)
			return
		}
		builtBin = filepath.Join(buildDir, "shardline")
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// freeAddr is mariadbtest.FreeAddr (no port handed out twice in a process).
func freeAddr(t testing.TB) string { return mariadbtest.FreeAddr(t) }

// procNode is one shardline process (restartable with the same config).
type procNode struct {
	id                     string
	mysql, admin, raftBind string
	raftAdvert             string // the Raft fault proxy's address, once enabled
	dir, cfgPath, logPath  string
	bin                    string
	args, env              []string // default: --config cfgPath, the test's environment

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{}
	paused bool
}

func (n *procNode) start() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil {
		select {
		case <-n.done:
		default:
			return fmt.Errorf("%s already running", n.id)
		}
	}
	logf, err := os.OpenFile(n.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	args := n.args
	if args == nil {
		args = []string{"--config", n.cfgPath}
	}
	cmd := exec.Command(n.bin, args...)
	if n.env != nil {
		cmd.Env = append(os.Environ(), n.env...)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	n.cmd, n.done, n.paused = cmd, done, false
	return nil
}

// signal sends sig to the node's process group, if it runs.
func (n *procNode) signal(sig syscall.Signal) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.runningLocked() {
		return false
	}
	_ = syscall.Kill(-n.cmd.Process.Pid, sig)
	switch sig {
	case syscall.SIGSTOP:
		n.paused = true
	case syscall.SIGCONT:
		n.paused = false
	}
	return true
}

func (n *procNode) runningLocked() bool {
	if n.cmd == nil {
		return false
	}
	select {
	case <-n.done:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL to the process group and waits for the exit.
func (n *procNode) kill() {
	if n.signal(syscall.SIGKILL) {
		n.mu.Lock()
		done := n.done
		n.mu.Unlock()
		<-done
	}
}

// live reports whether the process runs and is not paused.
func (n *procNode) live() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.runningLocked() && !n.paused
}

func (n *procNode) pid() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.runningLocked() {
		return 0
	}
	return n.cmd.Process.Pid
}

// logTail returns the last lines of the node's log.
func (n *procNode) logTail(lines int) string {
	b, _ := os.ReadFile(n.logPath)
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// keepLogs copies the node logs to $CHAOS_LOGS (if set) when the test ends.
func keepLogs(t testing.TB, nodes []*procNode) {
	dir := os.Getenv("CHAOS_LOGS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("CHAOS_LOGS: %v", err)
		return
	}
	for _, n := range nodes {
		if b, err := os.ReadFile(n.logPath); err == nil {
			dst := filepath.Join(dir, t.Name()+"-"+n.id+".log")
			if err := os.WriteFile(dst, b, 0o644); err == nil {
				t.Logf("log of %s kept in %s", n.id, dst)
			}
		}
	}
}

// cluster is two MariaDB shards and three shardline processes.
type cluster struct {
	t     testing.TB
	dbs   []*mariadbtest.Server
	nodes []*procNode
	http  *http.Client
	proxy *raftProxy // nil until enablePartitions
}

// startCluster starts two MariaDB servers, creates the bank database on
// both, writes the three node configs and starts the nodes (n1 bootstraps
// the shard map, n2 and n3 join), and waits for a leader with 3 voters.
func startCluster(t testing.TB) *cluster {
	t.Helper()
	bin := shardlineBinary(t)
	c := &cluster{t: t, http: &http.Client{Timeout: 2 * time.Second}}
	c.dbs = mariadbtest.StartN(t, 2)
	for _, s := range c.dbs {
		db := openDirect(t, s, "")
		if _, err := db.Exec("CREATE DATABASE IF NOT EXISTS bank"); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	base := t.TempDir()
	for i := range 3 {
		id := fmt.Sprintf("n%d", i+1)
		n := &procNode{id: id, bin: bin, mysql: freeAddr(t), admin: freeAddr(t), raftBind: freeAddr(t),
			dir: filepath.Join(base, id)}
		n.cfgPath, n.logPath = filepath.Join(n.dir, "shardline.yaml"), filepath.Join(n.dir, "shardline.log")
		if err := os.MkdirAll(n.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		c.nodes = append(c.nodes, n)
	}
	t.Cleanup(func() {
		for _, n := range c.nodes {
			n.kill()
		}
		keepLogs(t, c.nodes)
		if t.Failed() {
			for _, n := range c.nodes {
				t.Logf("tail of %s log:\n%s", n.id, n.logTail(25))
			}
		}
	})
	for i, n := range c.nodes {
		if err := os.WriteFile(n.cfgPath, []byte(c.nodeConfig(i)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := n.start(); err != nil {
			t.Fatal(err)
		}
		// Join one at a time: n1 must serve before n2 asks it, n2 must be a
		// voter before n3 joins (else both race for the same config change).
		if err := c.waitVoters(i+1, 60*time.Second); err != nil {
			t.Fatalf("starting %s: %v\n%s", n.id, err, n.logTail(20))
		}
	}
	return c
}

// nodeConfig renders the YAML config of node i.
func (c *cluster) nodeConfig(i int) string {
	n := c.nodes[i]
	var b strings.Builder
	fmt.Fprintf(&b, "node_id: %s\nlog_level: info\n", n.id)
	fmt.Fprintf(&b, "proxy: {listen: %q, users: [{name: app, password: app}]}\n", n.mysql)
	fmt.Fprintf(&b, "admin: {listen: %q, token: %s}\n", n.admin, adminToken)
	fmt.Fprintf(&b, "xa: {prepare_timeout: 5s, resolve_interval: 1s}\n")
	if i > 0 {
		var join []string
		for _, o := range c.nodes[:i] {
			join = append(join, fmt.Sprintf("%q", o.admin))
		}
		fmt.Fprintf(&b, "raft: {addr: %q, data_dir: %q, join: [%s]}\n", n.raftBind, filepath.Join(n.dir, "raft"), strings.Join(join, ", "))
		return b.String()
	}
	fmt.Fprintf(&b, "raft: {addr: %q, data_dir: %q, bootstrap: true}\n", n.raftBind, filepath.Join(n.dir, "raft"))
	fmt.Fprintf(&b, `shardmap:
  shards:
    s0: {addr: %q, user: root}
    s1: {addr: %q, user: root}
  schemas:
    bank:
      default_shard: s0
      tables:
        accounts: {shard_key: id, algorithm: mod, partitions: [{shard: s0, table: accounts_0}, {shard: s1, table: accounts_1}]}
        transfers: {shard_key: id, algorithm: mod, partitions: [{shard: s0, table: transfers_0}, {shard: s1, table: transfers_1}]}
`, c.dbs[0].Addr(), c.dbs[1].Addr())
	return b.String()
}

// clusterInfo is the part of GET /v1/cluster the tests use.
type clusterInfo struct {
	Self   string `json:"self"`
	Leader string `json:"leader"`
	Nodes  []struct {
		ID       string `json:"id"`
		RaftAddr string `json:"raft_addr"`
		State    string `json:"state"`
		Voter    bool   `json:"voter"`
	} `json:"nodes"`
}

func (c *cluster) adminGet(ctx context.Context, n *procNode, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+n.admin+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s on %s: %s", path, n.id, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (c *cluster) info(n *procNode) (clusterInfo, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var ci clusterInfo
	return ci, c.adminGet(ctx, n, "/v1/cluster", &ci)
}

func (c *cluster) node(id string) *procNode {
	for _, n := range c.nodes {
		if n.id == id {
			return n
		}
	}
	return nil
}

// leader returns the live node that reports itself as the Raft leader and
// whose leadership a majority of the live nodes agree on, or nil.
func (c *cluster) leader() *procNode {
	votes := map[string]int{}
	for _, n := range c.nodes {
		if !n.live() {
			continue
		}
		if ci, err := c.info(n); err == nil && ci.Leader != "" {
			votes[ci.Leader]++
		}
	}
	for id, v := range votes {
		l := c.node(id)
		if v < 2 || l == nil || !l.live() {
			continue
		}
		if ci, err := c.info(l); err == nil && ci.Self == id && ci.Leader == id {
			return l
		}
	}
	return nil
}

// waitLeader waits until a leader exists (see leader).
func (c *cluster) waitLeader(within time.Duration) (*procNode, error) {
	deadline := time.Now().Add(within)
	for {
		if l := c.leader(); l != nil {
			return l, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no leader within %v", within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitVoters waits until the leader lists want voters.
func (c *cluster) waitVoters(want int, within time.Duration) error {
	deadline := time.Now().Add(within)
	var last error
	for time.Now().Before(deadline) {
		if l := c.leader(); l != nil || want == 1 {
			if l == nil {
				l = c.nodes[0]
			}
			ci, err := c.info(l)
			voters := 0
			for _, m := range ci.Nodes {
				if m.Voter {
					voters++
				}
			}
			if err == nil && ci.Leader != "" && voters == want {
				return nil
			}
			last = fmt.Errorf("leader %q, %d voters: %v", ci.Leader, voters, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("not %d voters within %v (last: %v)", want, within, last)
}

// dsn is the go-sql-driver DSN of a node's MySQL listener, database bank.
func (n *procNode) dsn() string {
	// readTimeout bounds a statement on a paused node; it exceeds the
	// coordinator's decision timeouts so that a slow COMMIT is not cut short.
	return "app:app@tcp(" + n.mysql + ")/bank?timeout=2s&readTimeout=20s&writeTimeout=20s&interpolateParams=true"
}

// openDirect opens a connection pool to a shard server as root.
func openDirect(t testing.TB, s *mariadbtest.Server, db string) *sql.DB {
	t.Helper()
	d, err := sql.Open("mysql", s.DSN(db)+"?timeout=5s&readTimeout=30s")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// shardlineXIDs lists the Shardline branches in XA RECOVER on a server.
func shardlineXIDs(s *mariadbtest.Server) ([]string, error) {
	db, err := sql.Open("mysql", s.DSN("")+"?timeout=5s&readTimeout=10s")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.Query("XA RECOVER")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var fid, gl, bl int64
		var data string
		if err := rows.Scan(&fid, &gl, &bl, &data); err != nil {
			return nil, err
		}
		if fid == 0x5348 || strings.HasPrefix(data, "shl:") {
			out = append(out, data)
		}
	}
	return out, rows.Err()
}

// waitNoXIDs waits until neither server lists a Shardline XID in XA RECOVER.
func (c *cluster) waitNoXIDs(within time.Duration) (time.Duration, error) {
	start := time.Now()
	var left []string
	for time.Since(start) < within {
		left = left[:0]
		var errs []error
		for _, s := range c.dbs {
			x, err := shardlineXIDs(s)
			errs = append(errs, err)
			left = append(left, x...)
		}
		if err := errors.Join(errs...); err == nil && len(left) == 0 {
			return time.Since(start), nil
		}
		time.Sleep(250 * time.Millisecond)
	}
	return time.Since(start), fmt.Errorf("Shardline XIDs still in XA RECOVER after %v: %v", within, left)
}

// decisionView is the part of GET /v1/transactions the tests use.
type decisionView struct {
	Decisions []struct {
		Gtrid   string    `json:"gtrid"`
		Outcome string    `json:"outcome"`
		Created time.Time `json:"created"`
	} `json:"decisions"`
}

// waitDecisionsResolved waits until the leader lists no unresolved
// decision: once every branch is finished, the resolver or the coordinator
// must mark each decision resolved (else it is kept, in memory and in every
// snapshot, forever: the GC only collects resolved decisions).
func (c *cluster) waitDecisionsResolved(within time.Duration) (time.Duration, []string, error) {
	start := time.Now()
	var left []string
	var last error
	for time.Since(start) < within {
		l := c.leader()
		if l == nil {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var dv decisionView
		last = c.adminGet(ctx, l, "/v1/transactions", &dv)
		cancel()
		if last == nil {
			left = left[:0]
			for _, d := range dv.Decisions {
				left = append(left, d.Gtrid+"="+d.Outcome)
			}
			if len(left) == 0 {
				return time.Since(start), nil, nil
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	if last != nil {
		return time.Since(start), left, last
	}
	return time.Since(start), left, fmt.Errorf("%d decisions still unresolved after %v: %v", len(left), within, left[:min(len(left), 5)])
}
