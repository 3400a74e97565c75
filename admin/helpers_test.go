package admin_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"github.com/shardline/shardline/internal/mariadbtest"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shardline/shardline/admin"
	"github.com/shardline/shardline/metaraft"
)

const token = "t0ken"

// member is one metaraft node served by a real admin.Server.
type member struct {
	node *metaraft.Node
	srv  *admin.Server
	reg  *prometheus.Registry
	url  string
}

// freeAddr is mariadbtest.FreeAddr (no port handed out twice in a process).
func freeAddr(t testing.TB) string { return mariadbtest.FreeAddr(t) }

// startMember opens a node (bootstrap or join) and serves the admin API on
// its AdminAddr.
func startMember(t testing.TB, id string, join []string, tx func(context.Context) (any, error)) *member {
	t.Helper()
	return startMemberTLS(t, id, join, tx, nil)
}

// startMemberTLS is startMember with cluster TLS (nil: none).
func startMemberTLS(t testing.TB, id string, join []string, tx func(context.Context) (any, error), tlsCfg *tls.Config) *member {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := metaraft.DefaultConfig()
	cfg.NodeID, cfg.RaftAddr, cfg.AdminAddr, cfg.DataDir = id, freeAddr(t), l.Addr().String(), t.TempDir()
	cfg.Token, cfg.Bootstrap, cfg.Join = token, len(join) == 0, join
	cfg.HeartbeatTimeout, cfg.ElectionTimeout = 300*time.Millisecond, 300*time.Millisecond
	cfg.LeaderLeaseTimeout, cfg.CommitTimeout = 150*time.Millisecond, 10*time.Millisecond
	cfg.ApplyTimeout, cfg.JoinTimeout = 5*time.Second, 10*time.Second
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.TLS = tlsCfg
	node, err := metaraft.Open(cfg)
	if err != nil {
		l.Close()
		t.Fatal(err)
	}
	m := &member{node: node, reg: prometheus.NewRegistry(), url: "http://" + cfg.AdminAddr}
	if tlsCfg != nil {
		m.url = "https://" + cfg.AdminAddr
	}
	acfg := admin.DefaultConfig()
	acfg.Addr, acfg.Token, acfg.Transactions, acfg.Logger = cfg.AdminAddr, token, tx, cfg.Logger
	acfg.TLS = tlsCfg
	m.srv = admin.New(acfg, node, m.reg)
	go func() { _ = m.srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = m.srv.Shutdown(ctx)
		_ = node.Close()
	})
	return m
}

// startCluster starts n members: the first bootstraps, the others join it.
func startCluster(t *testing.T, n int) []*member {
	t.Helper()
	ms := []*member{startMember(t, "n1", nil, nil)}
	waitFor(t, "n1 ready", ms[0].node.Ready)
	for i := 1; i < n; i++ {
		ms = append(ms, startMember(t, "n"+string(rune('1'+i)), []string{ms[0].node.Cluster().Nodes[0].AdminAddr}, nil))
	}
	for _, m := range ms {
		waitFor(t, "cluster formed", func() bool { return m.node.Ready() && len(m.node.Cluster().Nodes) == n })
	}
	return ms
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// call does one request and returns status and body.
func call(t *testing.T, method, url, tok string, body any, hdr ...string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}
