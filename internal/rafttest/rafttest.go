// Package rafttest starts real metaraft nodes with their admin endpoint for
// the tests of other packages: loopback addresses, short Raft timeouts, a
// discarded log. Every node and server is stopped when the test ends.
package rafttest

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shardline/shardline/admin"
	"github.com/shardline/shardline/internal/mariadbtest"
	"github.com/shardline/shardline/metaraft"
)

// Options configure one member.
type Options struct {
	// Token is the admin bearer token (also between nodes).
	Token string
	// Join lists admin addresses to join; empty bootstraps a new cluster.
	Join []string
	// TLS, when set, is the cluster TLS of the node and its admin server.
	TLS *tls.Config
	// Transactions is admin.Config.Transactions (GET /v1/transactions).
	Transactions func(context.Context) (any, error)
}

// Member is one metaraft node served by a real admin.Server.
type Member struct {
	Node     *metaraft.Node
	Server   *admin.Server
	Registry *prometheus.Registry
	// URL is the admin endpoint, http(s)://host:port.
	URL  string
	once sync.Once
}

// Start opens a node (bootstrap, or join o.Join) and serves its admin API
// on its advertised admin address.
func Start(t testing.TB, id string, o Options) *Member {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := metaraft.DefaultConfig()
	cfg.NodeID, cfg.RaftAddr, cfg.AdminAddr, cfg.DataDir = id, mariadbtest.FreeAddr(t), l.Addr().String(), t.TempDir()
	cfg.Token, cfg.Bootstrap, cfg.Join, cfg.TLS = o.Token, len(o.Join) == 0, o.Join, o.TLS
	cfg.HeartbeatTimeout, cfg.ElectionTimeout = 300*time.Millisecond, 300*time.Millisecond
	cfg.LeaderLeaseTimeout, cfg.CommitTimeout = 150*time.Millisecond, 10*time.Millisecond
	cfg.ApplyTimeout, cfg.JoinTimeout = 5*time.Second, 10*time.Second
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	node, err := metaraft.Open(cfg)
	if err != nil {
		l.Close()
		t.Fatal(err)
	}
	m := &Member{Node: node, Registry: prometheus.NewRegistry(), URL: "http://" + cfg.AdminAddr}
	if o.TLS != nil {
		m.URL = "https://" + cfg.AdminAddr
	}
	acfg := admin.DefaultConfig()
	acfg.Addr, acfg.Token, acfg.Transactions, acfg.Logger, acfg.TLS = cfg.AdminAddr, o.Token, o.Transactions, cfg.Logger, o.TLS
	m.Server = admin.New(acfg, node, m.Registry)
	go func() { _ = m.Server.Serve(l) }()
	t.Cleanup(m.Stop)
	return m
}

// Stop shuts the admin server and the node down (idempotent).
func (m *Member) Stop() {
	m.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = m.Server.Shutdown(ctx)
		_ = m.Node.Close()
	})
}
