package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shardline/shardline/admin"
	"github.com/shardline/shardline/internal/tlstest"
	"github.com/shardline/shardline/metaraft"
)

// TestShardctlTLS: against an admin endpoint serving the cluster's TLS,
// shardctl works with --ca and refuses the server without it. If it fails,
// an operator of a cluster_tls cluster cannot use shardctl, or shardctl
// trusts a certificate nobody vouched for.
func TestShardctlTLS(t *testing.T) {
	files := tlstest.WriteCerts(t, t.TempDir())
	cert, err := tls.LoadX509KeyPair(files.Cert, files.Key)
	if err != nil {
		t.Fatal(err)
	}
	pemCA, _ := os.ReadFile(files.CA)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemCA)
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, ClientCAs: pool, MinVersion: tls.VersionTLS12}

	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	raftLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	raftAddr := raftLn.Addr().String()
	raftLn.Close()
	cfg := metaraft.DefaultConfig()
	cfg.NodeID, cfg.RaftAddr, cfg.AdminAddr, cfg.DataDir = "n1", raftAddr, adminLn.Addr().String(), t.TempDir()
	cfg.Bootstrap, cfg.Token, cfg.TLS = true, "tok", tlsCfg
	cfg.HeartbeatTimeout, cfg.ElectionTimeout, cfg.LeaderLeaseTimeout = 200*time.Millisecond, 200*time.Millisecond, 100*time.Millisecond
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	node, err := metaraft.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = node.Close() })
	acfg := admin.DefaultConfig()
	acfg.Token, acfg.Logger, acfg.TLS = "tok", cfg.Logger, tlsCfg
	srv := admin.New(acfg, node, nil)
	go func() { _ = srv.Serve(adminLn) }()
	t.Cleanup(func() { _ = srv.Shutdown(t.Context()) })
	deadline := time.Now().Add(10 * time.Second)
	for !node.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("node not ready")
		}
		time.Sleep(20 * time.Millisecond)
	}

	url := "https://" + cfg.AdminAddr
	for _, tc := range []struct {
		args     string
		wantCode int
		wantOut  string
	}{
		{"cluster status --addr " + url + " --token tok --ca " + files.CA, 0, "n1"},
		{"cluster status --addr " + url + " --token tok", 1, "certificate"},
	} {
		var out, errOut bytes.Buffer
		code := run(strings.Fields(tc.args), &out, &errOut)
		if code != tc.wantCode || !strings.Contains(out.String()+errOut.String(), tc.wantOut) {
			t.Errorf("shardctl %s: exit %d, output %q %q; want exit %d containing %q", tc.args, code, out.String(), errOut.String(), tc.wantCode, tc.wantOut)
		}
	}
}
