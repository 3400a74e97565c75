package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shardline/shardline/admin"
	"github.com/shardline/shardline/metaraft"
)

// startServer runs a single-node metaraft with the real admin API and
// returns its URL.
func startServer(t *testing.T) string { return startServerTLS(t, nil) }

// startServerTLS is startServer with cluster TLS (nil: plain HTTP).
func startServerTLS(t *testing.T, tlsCfg *tls.Config) string {
	t.Helper()
	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	raftAddr := l.Addr().String()
	l.Close()
	cfg := metaraft.DefaultConfig()
	cfg.NodeID, cfg.RaftAddr, cfg.AdminAddr, cfg.DataDir = "n1", raftAddr, adminLn.Addr().String(), t.TempDir()
	cfg.Bootstrap, cfg.Token, cfg.TLS = true, "tok", tlsCfg
	cfg.HeartbeatTimeout, cfg.ElectionTimeout, cfg.LeaderLeaseTimeout = 200*time.Millisecond, 200*time.Millisecond, 100*time.Millisecond
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	node, err := metaraft.Open(cfg)
	if err != nil {
		adminLn.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = node.Close() })
	acfg := admin.DefaultConfig()
	acfg.Token, acfg.Logger, acfg.TLS = "tok", cfg.Logger, tlsCfg
	srv := admin.New(acfg, node, nil)
	go func() { _ = srv.Serve(adminLn) }()
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	deadline := time.Now().Add(10 * time.Second)
	for !node.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("node not ready")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if tlsCfg != nil {
		return "https://" + cfg.AdminAddr
	}
	return "http://" + cfg.AdminAddr
}

// TestShardctl: if it fails, an operator following README.md cannot manage
// the shard map with shardctl (wrong routes, flags, file formats, output
// or exit codes).
func TestShardctl(t *testing.T) {
	url := startServer(t)
	dir := t.TempDir()
	yamlRule := filepath.Join(dir, "orders.yaml")
	os.WriteFile(yamlRule, []byte("shard_key: user_id\nalgorithm: mod\npartitions:\n  - {shard: t3306, table: order_01}\n  - {shard: t3307, table: order_02}\n"), 0o600)
	jsonRule := filepath.Join(dir, "items.json")
	os.WriteFile(jsonRule, []byte(`{"type": "broadcast"}`), 0o600)
	badRule := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badRule, []byte("shard_key: id\nshards: 2\n"), 0o600)
	t.Setenv("SHARDCTL_ADDR", url)
	t.Setenv("SHARDCTL_TOKEN", "tok")
	steps := []struct {
		args     string
		wantCode int
		wantOut  string
	}{
		{"shard put t3306 --addr 127.0.0.1:13306 --user root --max-conns 64", 0, "version 1"},
		{"shard put t3307 --addr 127.0.0.1:13307 --password secret", 0, "version 2"},
		{"shard put t3308", 1, "--addr"},
		{"schema put oms --default-shard t3306", 0, "version 3"},
		{"table set oms orders -f " + yamlRule, 0, "version 4"},
		{"table set oms items -f " + jsonRule + " --if-match 4", 0, "version 5"},
		{"table set oms x -f " + jsonRule + " --if-match 4", 1, "conflict"},
		{"table set oms x -f " + badRule, 1, "shards"},
		{"shard delete t3307", 1, "in use"},
		{"map show", 0, "oms.orders  sharded    user_id    mod        t3306:order_01,t3307:order_02"},
		{"map show -o json", 0, `"max_conns": 64`},
		{"table delete oms items", 0, "version 6"},
		{"cluster status", 0, "self n1, leader n1"},
		{"cluster status -o json", 0, `"state": "leader"`},
		{"txn list", 0, "GTRID"},
		{"cluster remove n9", 1, "not found"},
		{"sequence advance orders.id 1000", 0, ">= 1000"},
		{"sequence advance orders.id x", 1, "integer"},
		{"map show --token wrong", 1, "bearer token"},
		{"map show -o yaml", 1, "-o must be"},
		{"map show --admin 127.0.0.1:1", 1, "connect"},
	}
	for _, st := range steps {
		var out, errOut bytes.Buffer
		code := run(strings.Fields(st.args), &out, &errOut)
		got := out.String() + errOut.String()
		if testing.Verbose() {
			t.Logf("$ shardctl %s\n%s", st.args, got)
		}
		if code != st.wantCode || !strings.Contains(got, st.wantOut) {
			t.Errorf("shardctl %s: exit %d, output:\n%s\nwant exit %d containing %q", st.args, code, got, st.wantCode, st.wantOut)
		}
		if code != 0 && (out.Len() != 0 || !strings.HasPrefix(errOut.String(), "shardctl: ")) {
			t.Errorf("shardctl %s: errors must go plainly to stderr; stdout %q stderr %q", st.args, out.String(), errOut.String())
		}
	}
}
