package demotest

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
)

// The demo layout (README.md "Quick start"; scripts/demo.sh and
// scripts/demo/nN.yaml must agree).
type demoNode struct {
	id                     string
	mysql, admin, raftPort int
}

var (
	demoNodes = []demoNode{
		{"n1", 6033, 9090, 7001},
		{"n2", 6034, 9091, 7002},
		{"n3", 6035, 9092, 7003},
	}
	shardPorts = map[string]int{"t3306": 13306, "t3307": 13307}
)

const adminToken = "demo-token"

// demoPorts lists every fixed port of the demo.
func demoPorts() []int {
	ports := []int{shardPorts["t3306"], shardPorts["t3307"]}
	for _, n := range demoNodes {
		ports = append(ports, n.mysql, n.admin, n.raftPort)
	}
	return ports
}

func nodeByID(t *testing.T, id string) demoNode {
	t.Helper()
	for _, n := range demoNodes {
		if n.id == id {
			return n
		}
	}
	t.Fatalf("unknown node id %q", id)
	return demoNode{}
}

// repoRoot is the directory holding go.mod (tests run in their package dir).
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// portOpen reports whether something accepts connections on 127.0.0.1:port.
func portOpen(port int) bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 300*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func busyPorts() []int {
	var busy []int
	for _, p := range demoPorts() {
		if portOpen(p) {
			busy = append(busy, p)
		}
	}
	return busy
}

// makeTarget runs `make TARGET` in the repository root with a time bound and
// returns its combined output; a failure ends the test with that output.
func makeTarget(t *testing.T, root, target string, timeout time.Duration) string {
	t.Helper()
	start := time.Now()
	out, err := tryMake(root, target, timeout)
	if err != nil {
		t.Fatalf("make %s: %v\n%s", target, err, out)
	}
	t.Logf("make %s (%v):\n%s", target, time.Since(start).Round(time.Millisecond), out)
	return out
}

func tryMake(root, target string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", "--no-print-directory", target)
	cmd.Dir = root
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// openProxy opens a go-sql-driver pool on a proxy node's MySQL port.
func openProxy(t *testing.T, port int, db string) *sql.DB {
	t.Helper()
	dsn := fmt.Sprintf("app:app@tcp(127.0.0.1:%d)/%s?timeout=3s&readTimeout=10s&writeTimeout=10s", port, db)
	return openDB(t, dsn)
}

// openShard opens a pool straight to a demo shard (root, no password).
func openShard(t *testing.T, shard string) *sql.DB {
	t.Helper()
	return openDB(t, fmt.Sprintf("root@tcp(127.0.0.1:%d)/oms?timeout=3s&readTimeout=10s", shardPorts[shard]))
}

func openDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxIdleConns(2)
	t.Cleanup(func() { db.Close() })
	return db
}

// clusterInfo mirrors GET /v1/cluster.
type clusterInfo struct {
	Self   string `json:"self"`
	Leader string `json:"leader"`
	Nodes  []struct {
		ID    string `json:"id"`
		State string `json:"state"`
		Voter bool   `json:"voter"`
	} `json:"nodes"`
}

var httpClient = &http.Client{Timeout: 3 * time.Second}

func getCluster(adminPort int) (clusterInfo, error) {
	var ci clusterInfo
	req, err := http.NewRequest("GET", fmt.Sprintf("http://127.0.0.1:%d/v1/cluster", adminPort), nil)
	if err != nil {
		return ci, err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := httpClient.Do(req)
	if err != nil {
		return ci, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ci, fmt.Errorf("GET /v1/cluster on %d: HTTP %d", adminPort, resp.StatusCode)
	}
	return ci, json.NewDecoder(resp.Body).Decode(&ci)
}

// metric reads one unlabelled counter from a node's /metrics.
func metric(adminPort int, name string) (float64, error) {
	resp, err := httpClient.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", adminPort))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	return 0, fmt.Errorf("metric %s not found on admin port %d", name, adminPort)
}

// demoProcesses lists the live processes of the demo rooted at root: proxies
// started from root (cwd) with a demo config, and mariadbd serving a datadir
// under root/.demo. Other people's shardline and mariadbd processes do not
// count.
func demoProcesses(root string) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || len(raw) == 0 {
			continue
		}
		cmdline := strings.ReplaceAll(strings.TrimRight(string(raw), "\x00"), "\x00", " ")
		switch {
		case strings.Contains(cmdline, "--datadir="+filepath.Join(root, ".demo")+"/"):
		case strings.Contains(cmdline, "shardline --config") && strings.Contains(cmdline, "scripts/demo/"):
			if cwd, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); cwd != root {
				continue
			}
		default:
			continue
		}
		if !zombie(pid) {
			out = append(out, fmt.Sprintf("%d: %s", pid, cmdline))
		}
	}
	return out
}

func zombie(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(stat), ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

// readPid reads a pid file of the demo and checks that the pid is alive.
func readPid(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 || zombie(pid) {
		t.Fatalf("%s: no live pid in %q", path, b)
	}
	return pid
}

// eventually retries f every 200 ms until it succeeds or d passes; it
// returns the last error.
func eventually(d time.Duration, f func() error) error {
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}
