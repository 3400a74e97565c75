package chaos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/shardline/shardline/internal/mariadbtest"
	"github.com/shardline/shardline/metaraft"
	"github.com/shardline/shardline/xa"
)

// directShards gives the resolver fresh root connections to the servers.
type directShards struct{ servers []*mariadbtest.Server }

func (d directShards) Names() []string { return []string{"s0", "s1"} }

func (d directShards) Conn(_ context.Context, shard string) (xa.Conn, func(), error) {
	i := slices.Index(d.Names(), shard)
	if i < 0 {
		return nil, nil, fmt.Errorf("no shard %q", shard)
	}
	c, err := client.ConnectWithTimeout(d.servers[i].Addr(), "root", "", "", 5*time.Second)
	if err != nil {
		return nil, nil, err
	}
	return c, func() { c.Close() }, nil
}

// TestChaosDecisionResolvedAfterCoordinatorCrash is the deterministic
// reproduction of a leak the bank chaos run finds now and then: a
// coordinator commits both branches of a two-phase commit and dies before
// its MarkResolved (the xa failpoint "after-commit"); the resolver, on the
// production decision log (a metaraft node through xa.AdaptLog, as
// cmd/shardline wires it), never sees a branch in XA RECOVER and so must
// learn the unresolved decision from xa.PendingLister. If it fails, such
// decisions stay unresolved forever: never garbage-collected (kept in
// memory and in every Raft snapshot) and listed by GET /v1/transactions.
func TestChaosDecisionResolvedAfterCoordinatorCrash(t *testing.T) {
	servers := mariadbtest.StartN(t, 2)
	conns := make([]*client.Conn, 2)
	for i, s := range servers {
		c, err := client.ConnectWithTimeout(s.Addr(), "root", "", "", 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		for _, q := range []string{"CREATE DATABASE IF NOT EXISTS xt", "CREATE TABLE IF NOT EXISTS xt.acc (id INT PRIMARY KEY) ENGINE=InnoDB"} {
			if _, err := c.Execute(q); err != nil {
				t.Fatal(err)
			}
		}
		conns[i] = c
	}

	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	mc := metaraft.DefaultConfig()
	mc.NodeID, mc.RaftAddr, mc.AdminAddr, mc.DataDir, mc.Bootstrap = "n1", freeAddr(t), freeAddr(t), t.TempDir(), true
	mc.Logger = quiet
	node, err := metaraft.Open(mc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = node.Close() })
	for deadline := time.Now().Add(20 * time.Second); !node.IsLeader(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("single node never became leader")
		}
	}
	log := xa.AdaptLog[metaraft.Outcome](node)
	_, lists := log.(xa.PendingLister)
	t.Logf("decision log implements xa.PendingLister: %v", lists)

	errCrash := errors.New("coordinator process dies here")
	cfg := xa.DefaultConfig("c1", 1)
	cfg.Logger = quiet
	cfg.Failpoint = func(name string) error {
		if name == xa.FailAfterCommit {
			return errCrash
		}
		return nil
	}
	coord, err := xa.NewCoordinator(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	txn := coord.Begin()
	for i, shard := range []string{"s0", "s1"} {
		if err := txn.Enlist(shard, conns[i]); err != nil {
			t.Fatal(err)
		}
		if _, err := conns[i].Execute("INSERT INTO xt.acc (id) VALUES (1)"); err != nil {
			t.Fatal(err)
		}
		txn.MarkWrite(shard)
	}
	if err := txn.Commit(context.Background()); !errors.Is(err, xa.ErrFailpoint) {
		t.Fatalf("Commit = %v, want the injected crash after phase 2", err)
	}

	res := xa.NewResolver(xa.ResolverConfig{Interval: 100 * time.Millisecond, PrepareTimeout: -1, Logger: quiet}, log, directShards{servers})
	gtrid := txn.Gtrid()
	unresolved := func() bool {
		return slices.ContainsFunc(node.Decisions(), func(d metaraft.Decision) bool { return d.Gtrid == gtrid })
	}
	for range 10 {
		if _, err := res.RunOnce(context.Background()); err != nil {
			t.Logf("resolver round: %v", err)
		}
		if !unresolved() {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	o, found, _ := node.LookupDecision(context.Background(), gtrid)
	t.Fatalf("decision %s=%s (found %v) still unresolved after 10 resolver rounds: both branches were committed "+
		"before the coordinator died, XA RECOVER is empty, and the resolver cannot list pending decisions "+
		"(xa.PendingLister implemented by the log: %v)", gtrid, o, found, lists)
}
