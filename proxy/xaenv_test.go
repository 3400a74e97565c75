package proxy_test

import (
	"context"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shardline/shardline/internal/mariadbtest"
	"github.com/shardline/shardline/metaraft"
	"github.com/shardline/shardline/proxy"
	"github.com/shardline/shardline/router"
	"github.com/shardline/shardline/xa"
)

// xaEnv is a proxy over n MariaDB servers with cross-shard transactions: a
// real single-node Raft group holds the decisions, the xa coordinator runs
// the commits and a resolver can be run on demand.
type xaEnv struct {
	*env
	meta     *metaraft.Node
	coord    *xa.Coordinator
	resolver *xa.Resolver
}

// freeAddr is mariadbtest.FreeAddr (no port handed out twice in a process).
func freeAddr(t testing.TB) string { return mariadbtest.FreeAddr(t) }

// startXAEnv is startEnv with a Raft decision log and an XA coordinator;
// xcfg may adjust the coordinator (failpoints).
func startXAEnv(t *testing.T, n int, mk func([]*mariadbtest.Server) *router.ShardMap, xcfg func(*xa.Config)) *xaEnv {
	t.Helper()
	return startXAEnvWith(t, n, mk, xcfg, nil)
}

// startXAEnvWith is startXAEnv with a proxy config tweak.
func startXAEnvWith(t *testing.T, n int, mk func([]*mariadbtest.Server) *router.ShardMap, xcfg func(*xa.Config), tweak func(*proxy.Config)) *xaEnv {
	t.Helper()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	meta := startLeader(t, log)
	cfg := xa.DefaultConfig("n1", uint64(time.Now().UnixMilli()))
	cfg.Logger = log
	cfg.BranchWaitTimeout = 5 * time.Second
	if xcfg != nil {
		xcfg(&cfg)
	}
	coord, err := xa.NewCoordinator(cfg, xa.AdaptLog[metaraft.Outcome](meta))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(coord.Close)
	e := startEnvWith(t, n, mk, tweak, proxy.XATxns(coord))
	resolver := xa.NewResolver(xa.ResolverConfig{PrepareTimeout: time.Second, Logger: log},
		xa.AdaptLog[metaraft.Outcome](meta), backendShards{e.srv})
	return &xaEnv{env: e, meta: meta, coord: coord, resolver: resolver}
}

// startLeader opens a single-node Raft group and waits until it leads.
func startLeader(tb testing.TB, log *slog.Logger) *metaraft.Node {
	tb.Helper()
	mc := metaraft.DefaultConfig()
	mc.NodeID, mc.RaftAddr, mc.DataDir, mc.Bootstrap = "n1", freeAddr(tb), tb.TempDir(), true
	mc.AdminAddr = freeAddr(tb) // advertised only: a single node forwards nothing
	mc.HeartbeatTimeout, mc.ElectionTimeout, mc.LeaderLeaseTimeout = 200*time.Millisecond, 200*time.Millisecond, 100*time.Millisecond
	mc.Logger = log
	meta, err := metaraft.Open(mc)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = meta.Close() })
	deadline := time.Now().Add(10 * time.Second)
	for !meta.IsLeader() {
		if time.Now().After(deadline) {
			tb.Fatal("single Raft node did not become leader")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return meta
}

// resolve runs the resolver until no branch of ours is left in doubt.
func (e *xaEnv) resolve(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := e.resolver.RunOnce(ctx)
		left, err2 := e.resolver.InDoubt(ctx)
		if err == nil && err2 == nil && len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("resolver did not finish: err=%v/%v, in doubt: %+v", err, err2, left)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// backendShards lends the proxy's pooled connections to the resolver.
type backendShards struct{ s *proxy.Server }

func (b backendShards) Names() []string { return b.s.ShardNames() }

func (b backendShards) Conn(ctx context.Context, shard string) (xa.Conn, func(), error) {
	return b.s.BackendConn(ctx, shard)
}

// atomicString is a string read by the coordinator's goroutines.
type atomicString struct{ v atomic.Value }

func (a *atomicString) Load() string {
	s, _ := a.v.Load().(string)
	return s
}

func (a *atomicString) Store(s string) { a.v.Store(s) }
