// Package loadtest holds the many-connections load test of the proxy: the
// real shardline binary in its own process, so its memory is measured alone.
package loadtest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/shardline/shardline/internal/mariadbtest"
)

// connections is how many clients the test holds open at once.
const connections = 2000

// TestTwoThousandConnections opens 2,000 client connections to one
// shardline process, uses each (a query and a prepared statement), holds
// them all open, uses them all again, and measures the proxy's resident
// memory. If it fails, many idle clients exhaust the proxy's memory or
// connections stop being served under that load.
func TestTwoThousandConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("2,000 connections: skipped in -short")
	}
	srv := mariadbtest.StartN(t, 1)[0]
	dir := t.TempDir()
	bin := filepath.Join(dir, "shardline")
	build := exec.Command("go", "build", "-o", bin, "github.com/shardline/shardline/cmd/shardline")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	cfg := fmt.Sprintf(`node_id: load
log_level: warn
proxy:
  listen: %s
  users: [{name: app, password: app}]
  max_connections: 4000
shardmap:
  shards: {s0: {addr: %s, user: root, max_conns: 32}}
  schemas: {mysql: {default_shard: s0}}
`, addr, srv.Addr())
	cfgPath := filepath.Join(dir, "cfg.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config", cfgPath)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	waitListening(t, addr)

	idle := rssKiB(t, cmd.Process.Pid)
	conns := make([]*client.Conn, connections)
	var wg sync.WaitGroup
	errs := make(chan error, connections)
	sem := make(chan struct{}, 64) // connect 64 at a time
	for i := range conns {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			c, err := client.Connect(addr, "app", "app", "mysql")
			if err != nil {
				errs <- fmt.Errorf("connection %d: %w", i, err)
				return
			}
			conns[i] = c
			if _, err := c.Execute("SELECT 1"); err != nil {
				errs <- fmt.Errorf("connection %d query: %w", i, err)
				return
			}
			if _, err := c.Execute("SELECT ? + 1", i); err != nil { // prepared statement
				errs <- fmt.Errorf("connection %d prepared: %w", i, err)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	held := rssKiB(t, cmd.Process.Pid)
	// Every connection is still served while all are open.
	for i, c := range conns {
		r, err := c.Execute("SELECT " + strconv.Itoa(i))
		if err != nil {
			t.Fatalf("connection %d after all were opened: %v", i, err)
		}
		if v, _ := r.GetInt(0, 0); v != int64(i) {
			t.Fatalf("connection %d answered %d", i, v)
		}
	}
	used := rssKiB(t, cmd.Process.Pid)
	per := (held - idle) / connections
	t.Logf("shardline RSS: idle %d KiB; %d connections open and used %d KiB (%d KiB per connection); after a second round %d KiB",
		idle, connections, held, per, used)
	if per > 128 {
		t.Fatalf("%d KiB per idle connection: memory per client is not bounded as designed (~40 KiB)", per)
	}
}

// freeAddr is mariadbtest.FreeAddr (no port handed out twice in a process).
func freeAddr(t testing.TB) string { return mariadbtest.FreeAddr(t) }

func waitListening(t *testing.T, addr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("shardline did not listen on %s", addr)
}

// rssKiB reads VmRSS of pid from /proc.
func rssKiB(t *testing.T, pid int) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}
