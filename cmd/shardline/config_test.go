package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLoadConfig reads sample configs: the demo node files load, and bad
// files fail with an error naming the field. If it fails, shardline starts
// with a config it misread, or refuses a good one.
func TestLoadConfig(t *testing.T) {
	for _, n := range []string{"n1", "n2", "n3"} {
		cfg, err := loadConfig(filepath.Join("..", "..", "scripts", "demo", n+".yaml"))
		if err != nil {
			t.Fatalf("demo config %s: %v", n, err)
		}
		if cfg.NodeID != n || cfg.Raft == nil || cfg.Admin.Token == "" || cfg.Proxy.Listen == "" {
			t.Errorf("demo config %s read as %+v", n, cfg)
		}
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name, yaml, wantErr string
	}{
		{"static map", `
node_id: a
proxy: {listen: 127.0.0.1:0, users: [{name: u, password: p}], idle_timeout: 90s}
shardmap:
  shards: {s: {addr: 127.0.0.1:3306, user: root}}
  schemas: {db: {default_shard: s}}`, ""},
		{"no users", `
node_id: a
proxy: {listen: 127.0.0.1:0}`, "proxy.users"},
		{"unknown default shard", `
node_id: a
proxy: {listen: 127.0.0.1:0, users: [{name: u, password: p}]}
shardmap:
  schemas: {db: {default_shard: nope}}`, "default_shard"},
		{"raft without admin", `
node_id: a
proxy: {listen: 127.0.0.1:0, users: [{name: u, password: p}]}
raft: {addr: 127.0.0.1:7001, data_dir: /tmp/x}`, "admin.listen"},
		{"misspelt field", `
node_id: a
proxy: {listen: 127.0.0.1:0, users: [{name: u, password: p}], idle_timeut: 1s}`, "idle_timeut"},
		{"bad auth method", `
node_id: a
proxy: {listen: 127.0.0.1:0, users: [{name: u, password: p}], auth_method: plain}`, "auth_method"},
		{"cluster tls without a key", `
node_id: a
proxy: {listen: 127.0.0.1:0, users: [{name: u, password: p}]}
cluster_tls: {cert_file: c.pem, ca_file: ca.pem}`, "cluster_tls"},
		{"cluster tls files missing", `
node_id: a
proxy: {listen: 127.0.0.1:0, users: [{name: u, password: p}]}
cluster_tls: {cert_file: /nonexistent/c.pem, key_file: /nonexistent/k.pem, ca_file: /nonexistent/ca.pem}`, "cluster_tls"},
		{"lock wait under a second", `
node_id: a
proxy: {listen: 127.0.0.1:0, users: [{name: u, password: p}]}
xa: {lock_wait_timeout: 500ms}`, "xa.lock_wait_timeout"},
	} {
		path := filepath.Join(dir, tc.name+".yaml")
		if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := loadConfig(path)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: want an error naming %s, got %v", tc.name, tc.wantErr, err)
		case tc.wantErr == "" && cfg.Proxy.IdleTimeout != 90*time.Second:
			t.Errorf("%s: idle_timeout read as %v", tc.name, cfg.Proxy.IdleTimeout)
		}
	}
}
