package xa

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestResolver checks the resolver against real shards. Each case says
// what breaks if it fails.
func TestResolver(t *testing.T) {
	c := startCluster(t, 2)
	tests := []struct {
		name string
		fn   func(t *testing.T, c *cluster)
	}{
		{"1397 while the owner lives is retried, not an error", resOwnerAlive},
		{"young undecided branch is left alone; foreign XIDs never touched", resYoungAndForeign},
		{"shard down: the others are finished, nothing marked resolved", resShardDown},
		{"shard killed after the decision is committed after restart", resKilledAfterDecision},
		{"Run resolves in the background and stops with its context", resRunLoop},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sub := *c
			sub.t = t
			tc.fn(t, &sub)
		})
	}
}

// prepareOurs prepares a Shardline branch of gtrid on shard i, inserting
// a fresh row, on a connection left open; it returns the conn and the row.
func prepareOurs(t *testing.T, e *env, i int, gtrid string) (Conn, int64) {
	t.Helper()
	x, err := NewXID(gtrid, e.c.names[i])
	mustOK(t, err, "xid")
	conn := e.c.dial(i)
	id := nextRowID.Add(1)
	prepareInsert(t, conn, x, int(id))
	return conn, id
}

// resOwnerAlive: if it fails, the resolver treats 1397 as "done" (and
// marks a decision resolved while its branch is still prepared) or as a
// failure, or never finishes the branch once the owner is gone.
func resOwnerAlive(t *testing.T, c *cluster) {
	e := newEnv(t, c, nil)
	g := e.coord.Begin().Gtrid()
	owner, id := prepareOurs(t, e, 0, g)
	_, _ = e.log.RecordDecision(context.Background(), g, Commit)
	rep, err := e.res.RunOnce(context.Background())
	mustOK(t, err, "round with the owner alive")
	if rep.Retry != 1 || rep.Committed != 0 || e.log.isResolved(g) {
		t.Fatalf("report %+v, resolved %v", rep, e.log.isResolved(g))
	}
	owner.(interface{ Close() error }).Close()
	e.resolveAll()
	if e.rowsOn(0, id) != 1 {
		t.Fatal("branch not committed after the owner left")
	}
	if _, err := e.res.RunOnce(context.Background()); err != nil || !e.log.isResolved(g) {
		t.Fatalf("not marked resolved: %v", err)
	}
}

// resYoungAndForeign: if it fails, the resolver aborts transactions that
// are still preparing, or finishes XA transactions of other applications.
func resYoungAndForeign(t *testing.T, c *cluster) {
	e := newEnv(t, c, nil)
	e.res = NewResolver(ResolverConfig{PrepareTimeout: time.Hour, Logger: quietLogger()}, e.log, c.shards())
	g := e.coord.Begin().Gtrid()
	owner, _ := prepareOurs(t, e, 0, g)
	owner.(interface{ Close() error }).Close()
	foreign := XID{Gtrid: "other-app-1", Bqual: "b", FormatID: 1}
	fc := c.dial(1)
	prepareInsert(t, fc, foreign, int(nextRowID.Add(1)))
	fc.Close()
	for range 2 {
		rep, err := e.res.RunOnce(context.Background())
		mustOK(t, err, "round")
		if rep.InDoubt != 1 || rep.Retry != 1 || rep.RolledBack+rep.Committed != 0 {
			t.Fatalf("report %+v", rep)
		}
	}
	list, err := e.res.InDoubt(context.Background())
	mustOK(t, err, "InDoubt")
	if len(list) != 1 || list[0].XID.Gtrid != g || list[0].Decision != "" || list[0].Shard != c.names[0] {
		t.Fatalf("InDoubt = %+v", list)
	}
	if !slices.Contains(c.recovered(1), foreign) {
		t.Fatal("foreign XID was finished by the resolver")
	}
	mustOK(t, run(c.dial(1), xaRollback(foreign.SQL())), "clean foreign")
	_, _ = e.log.RecordDecision(context.Background(), g, Abort)
	e.resolveAll()
}

// resShardDown: if it fails, one dead shard stops the resolver from
// finishing the others, or a decision is marked resolved while a branch
// may still sit on the dead shard.
func resShardDown(t *testing.T, c *cluster) {
	e := newEnv(t, c, nil)
	g := e.coord.Begin().Gtrid()
	o0, id0 := prepareOurs(t, e, 0, g)
	o1, id1 := prepareOurs(t, e, 1, g)
	o0.(interface{ Close() error }).Close()
	o1.(interface{ Close() error }).Close()
	_, _ = e.log.RecordDecision(context.Background(), g, Commit)
	mustOK(t, c.servers[1].Stop(), "stop shard 1")
	waitFor(t, "shard 0 committed", func() bool {
		rep, err := e.res.RunOnce(context.Background())
		return err != nil && rep.Committed == 1
	})
	if e.log.isResolved(g) {
		t.Fatal("marked resolved while shard 1 was down")
	}
	mustOK(t, c.servers[1].Start(), "start shard 1")
	e.resolveAll()
	if _, err := e.res.RunOnce(context.Background()); err != nil || !e.log.isResolved(g) {
		t.Fatalf("not resolved after shard 1 came back: %v", err)
	}
	if e.rowsOn(0, id0) != 1 || e.rowsOn(1, id1) != 1 {
		t.Fatal("rows missing")
	}
}

// resKilledAfterDecision: if it fails, a shard that crashed between the
// commit point and its XA COMMIT keeps the transaction half committed.
func resKilledAfterDecision(t *testing.T, c *cluster) {
	var e *env
	e = newEnv(t, c, func(name string) error {
		if name == "after-decision" {
			return e.c.servers[1].Kill()
		}
		return nil
	})
	txn := e.coord.Begin()
	id0, id1 := e.write(txn, 0, c.dial(0)), e.write(txn, 1, c.dial(1))
	mustOK(t, txn.Commit(context.Background()), "commit (phase-2 failure is not the client's)")
	if got := txn.Abandoned(); !slices.Equal(got, []string{c.names[1]}) {
		t.Fatalf("Abandoned() = %v", got)
	}
	if s := e.coord.Stats(); s.Deferred != 1 {
		t.Fatalf("stats %+v", s)
	}
	mustOK(t, c.servers[1].Start(), "restart shard 1")
	if len(e.ours(1)) != 1 {
		t.Fatal("prepared branch did not survive kill -9")
	}
	e.resolveAll()
	if e.rowsOn(0, id0) != 1 || e.rowsOn(1, id1) != 1 {
		t.Fatal("transaction not fully committed after the restart")
	}
	if _, err := e.res.RunOnce(context.Background()); err != nil || !e.log.isResolved(txn.Gtrid()) {
		t.Fatalf("not resolved: %v", err)
	}
}

// resRunLoop: if it fails, the background loop the proxy starts on the
// Raft leader does not finish in-doubt branches or does not stop with its
// context (a leaked goroutine after leadership loss).
func resRunLoop(t *testing.T, c *cluster) {
	e := newEnv(t, c, nil)
	e.res = NewResolver(ResolverConfig{Interval: 20 * time.Millisecond, Logger: quietLogger()}, e.log, c.shards())
	g := e.coord.Begin().Gtrid()
	owner, id := prepareOurs(t, e, 1, g)
	owner.(interface{ Close() error }).Close()
	_, _ = e.log.RecordDecision(context.Background(), g, Commit)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.res.Run(ctx); close(done) }()
	waitFor(t, "Run to resolve", func() bool { return e.log.isResolved(g) })
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop after cancel")
	}
	if e.rowsOn(1, id) != 1 {
		t.Fatal("row not committed")
	}
	if s := e.res.Stats(); s.Resolved == 0 || s.InDoubtFound == 0 {
		t.Fatalf("stats %+v", s)
	}
}
