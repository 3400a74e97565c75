package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/shardline/shardline/internal/mariadbtest"
)

// Database names: sbtest lives on server A only (direct and pass-through);
// sbshard is the sharded schema (physical tables on A and B).
const (
	directDB  = "sbtest"
	shardedDB = "sbshard"
)

// proxyProc is one bin/shardline process started by the suite.
type proxyProc struct {
	name  string
	addr  string // MySQL listener host:port
	pprof string // net/http/pprof host:port
	cmd   *exec.Cmd
	done  chan struct{}
	log   string
}

func (p *proxyProc) pid() int { return p.cmd.Process.Pid }

// stop sends SIGTERM, waits up to 10 s, then SIGKILL.
func (p *proxyProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// freeAddr returns a free 127.0.0.1 port as host:port.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// startServers starts n MariaDB servers with datadirs under dir.
func startServers(dir string, n int) ([]*mariadbtest.Server, error) {
	var out []*mariadbtest.Server
	for i := range n {
		s, err := mariadbtest.StartServer(mariadbtest.Options{Name: fmt.Sprintf("m%d", i), BaseDir: dir})
		if err != nil {
			for _, o := range out {
				_ = o.Stop()
			}
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// execSQL runs statements on a server as root.
func execSQL(s *mariadbtest.Server, stmts ...string) error {
	db, err := sql.Open("mysql", s.DSN(""))
	if err != nil {
		return err
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// passThroughConfig: a standalone node (no Raft) with schema sbtest on A.
func passThroughConfig(listen, pprof string, a *mariadbtest.Server) string {
	return fmt.Sprintf(`node_id: p1
log_level: warn
pprof_listen: %s
proxy:
  listen: %s
  users: [{name: app, password: app}]
  pool: {max_conns: 64}
shardmap:
  shards:
    s1: {addr: %s, user: root, max_conns: 64}
  schemas:
    %s: {default_shard: s1}
`, pprof, listen, a.Addr(), directDB)
}

// shardedConfig: a single Raft node (needed for XA decisions) with schema
// sbshard: sbtest1..N hashed by id over 4 partitions on A and B, accounts
// (the transfer workload) by id mod 2: even ids on A, odd ids on B.
func shardedConfig(listen, pprof, admin, raftAddr, raftDir string, a, b *mariadbtest.Server, tables int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, `node_id: p2
log_level: warn
pprof_listen: %s
proxy:
  listen: %s
  users: [{name: app, password: app}]
  pool: {max_conns: 64}
admin: {listen: %s, token: bench}
raft: {addr: %s, data_dir: %s, bootstrap: true}
shardmap:
  shards:
    s1: {addr: %s, user: root, max_conns: 64}
    s2: {addr: %s, user: root, max_conns: 64}
  schemas:
    %s:
      default_shard: s1
      tables:
        accounts: {shard_key: id, algorithm: mod, partitions: [{shard: s1, table: accounts_0}, {shard: s2, table: accounts_1}]}
`, pprof, listen, admin, raftAddr, raftDir, a.Addr(), b.Addr(), shardedDB)
	for t := 1; t <= tables; t++ {
		fmt.Fprintf(&sb, "        sbtest%d: {shard_key: id, algorithm: hash, partitions: [", t)
		for p := range 4 {
			if p > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "{shard: s%d, table: sbtest%d_%d}", p%2+1, t, p)
		}
		sb.WriteString("]}\n")
	}
	return sb.String()
}

// startProxy writes the config and starts bin/shardline on it; it returns
// once the MySQL listener accepts (and readyURL, if set, answers 200).
func startProxy(bin, dir, name, listen, pprof, config, readyURL string) (*proxyProc, error) {
	cfgPath := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o644); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--config", cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	p := &proxyProc{name: name, addr: listen, pprof: pprof, cmd: cmd, done: make(chan struct{}), log: logPath}
	go func() { _ = cmd.Wait(); logf.Close(); close(p.done) }()
	if err := waitReady(p, readyURL, 60*time.Second); err != nil {
		p.stop()
		return nil, fmt.Errorf("%s: %w (log %s)", name, err, logPath)
	}
	return p, nil
}

func waitReady(p *proxyProc, readyURL string, within time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for {
		select {
		case <-p.done:
			return errors.New("exited during startup")
		case <-ctx.Done():
			return errors.New("not ready in time")
		case <-time.After(200 * time.Millisecond):
		}
		c, err := net.DialTimeout("tcp", p.addr, time.Second)
		if err != nil {
			continue
		}
		c.Close()
		if readyURL == "" {
			return nil
		}
		if resp, err := http.Get(readyURL); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
}
