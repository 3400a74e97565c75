package xa

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// TestCoordinator runs the commit paths against three real MariaDB shards.
// Each case says what breaks if it fails.
func TestCoordinator(t *testing.T) {
	c := startCluster(t, 3)
	tests := []struct {
		name string
		fn   func(t *testing.T, c *cluster)
	}{
		{"2PC commit is visible on both shards", coordCommit2PC},
		{"rollback leaves nothing on any shard", coordRollback},
		{"1-shard fast path: no PREPARE, no decision", coordOnePhase},
		{"read-only branch is left out of 2PC", coordReadOnlyBranch},
		{"write-marked branch that changed nothing still commits", coordEmptyWriteBranch},
		{"client gone before COMMIT: rolled back, connections dropped", coordClientGone},
		{"branch lost before prepare: presumed abort", coordPresumedAbort},
		{"deadlock on one shard rolls back every shard", coordDeadlock},
		{"resolver recorded ABORT first: coordinator rolls back", coordResolverWins},
		{"indeterminate decision append settles by retrying the CAS", coordIndeterminateSettles},
		{"decision log down: 1180 and the resolver aborts", coordLogDown},
		{"lock-wait timeout 1205: the transaction goes on and commits", coordLockWaitContinues},
		{"shard paused during PREPARE: timeout, ABORT recorded, resolver finishes", coordPausedDuringPrepare},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sub := *c
			sub.t = t
			tc.fn(t, &sub)
		})
	}
}

// coordCommit2PC: if it fails, a cross-shard commit is not atomic or
// leaves prepared branches, a decision or a short wait_timeout behind.
func coordCommit2PC(t *testing.T, c *cluster) {
	e := newEnv(t, c, nil)
	conns := []*logConn{{Conn: c.dial(0)}, {Conn: c.dial(1)}}
	txn := e.coord.Begin()
	id0, id1 := e.write(txn, 0, conns[0]), e.write(txn, 1, conns[1])
	mustOK(t, txn.Commit(context.Background()), "commit")
	if e.rowsOn(0, id0) != 1 || e.rowsOn(1, id1) != 1 {
		t.Fatal("committed rows missing")
	}
	if o, ok := e.log.decision(txn.Gtrid()); !ok || o != Commit {
		t.Fatalf("decision = %q %v, want commit", o, ok)
	}
	e.coord.Close()
	if !e.log.isResolved(txn.Gtrid()) {
		t.Fatal("decision not marked resolved")
	}
	for i, lc := range conns {
		if !lc.sent("XA PREPARE") || len(e.ours(i)) != 0 {
			t.Fatalf("shard %d: prepared=%v, left %v", i, lc.sent("XA PREPARE"), e.ours(i))
		}
		if !sessionClean(t, lc, txn.Gtrid(), c.names[i]) {
			t.Fatalf("shard %d: owner lock or short wait_timeout left on a pooled connection", i)
		}
	}
	if s := e.coord.Stats(); s.Commits2PC != 1 || s.Commits1PC != 0 {
		t.Fatalf("stats %+v", s)
	}
	if len(txn.Abandoned()) != 0 {
		t.Fatalf("abandoned %v after a clean commit", txn.Abandoned())
	}
}

// coordRollback: if it fails, Rollback leaves writes or open branches.
func coordRollback(t *testing.T, c *cluster) {
	e := newEnv(t, c, nil)
	a, b := c.dial(0), c.dial(1)
	txn := e.coord.Begin()
	id0, id1 := e.write(txn, 0, a), e.write(txn, 1, b)
	mustOK(t, txn.Rollback(context.Background()), "rollback")
	if e.rowsOn(0, id0)+e.rowsOn(1, id1) != 0 {
		t.Fatal("rolled-back rows visible")
	}
	mustOK(t, run(a, "SELECT 1"), "connection reusable after rollback")
	if err := txn.Commit(context.Background()); !errors.Is(err, ErrTxnDone) {
		t.Fatalf("Commit after Rollback = %v, want ErrTxnDone", err)
	}
}

// coordOnePhase: if it fails, single-shard transactions pay for XA PREPARE
// and a Raft append they do not need.
func coordOnePhase(t *testing.T, c *cluster) {
	e := newEnv(t, c, nil)
	lc := &logConn{Conn: c.dial(0)}
	txn := e.coord.Begin()
	id := e.write(txn, 0, lc)
	mustOK(t, txn.Commit(context.Background()), "commit")
	if e.rowsOn(0, id) != 1 {
		t.Fatal("row missing")
	}
	if lc.sent("XA PREPARE") || lc.sent("SET SESSION wait_timeout") || e.log.recordCount() != 0 {
		t.Fatalf("fast path prepared or recorded: %q, records %d", lc.log, e.log.recordCount())
	}
	if s := e.coord.Stats(); s.Commits1PC != 1 {
		t.Fatalf("stats %+v", s)
	}
}

// coordReadOnlyBranch: if it fails, a branch that only read is prepared
// (and, if orphaned, cannot be finished from another connection: 1402), or
// is held open until after the decision.
func coordReadOnlyBranch(t *testing.T, c *cluster) {
	e := newEnv(t, c, nil)
	reader := &logConn{Conn: c.dial(2)}
	txn := e.coord.Begin()
	id0, id1 := e.write(txn, 0, c.dial(0)), e.write(txn, 1, c.dial(1))
	mustOK(t, txn.Enlist(c.names[2], reader), "enlist reader")
	mustOK(t, run(reader, "SELECT COUNT(*) FROM xt.acc"), "read")
	mustOK(t, txn.Commit(context.Background()), "commit")
	if reader.sent("XA PREPARE") || !reader.sent("XA COMMIT") {
		t.Fatalf("reader statements: %q", reader.log)
	}
	if e.rowsOn(0, id0) != 1 || e.rowsOn(1, id1) != 1 {
		t.Fatal("rows missing")
	}
}

// coordPresumedAbort: if it fails, a branch lost before PREPARE leaves the
// others committed or locked, or costs a decision append.
func coordPresumedAbort(t *testing.T, c *cluster) {
	e := newEnv(t, c, nil)
	a, b := c.dial(0), c.dial(1)
	txn := e.coord.Begin()
	id0, id1 := e.write(txn, 0, a), e.write(txn, 1, b)
	b.Close() // shard 1's connection dies before COMMIT
	err := txn.Commit(context.Background())
	if !errors.Is(err, ErrAborted) {
		t.Fatalf("Commit = %v, want ErrAborted", err)
	}
	if e.rowsOn(0, id0)+e.rowsOn(1, id1) != 0 || e.log.recordCount() != 0 {
		t.Fatalf("rows visible or decision recorded (%d)", e.log.recordCount())
	}
	if len(e.ours(0)) != 0 || len(e.ours(1)) != 0 {
		t.Fatal("prepared branches left")
	}
	if !sessionClean(t, a, txn.Gtrid(), c.names[0]) {
		t.Fatal("the surviving connection keeps the owner lock or the short wait_timeout")
	}
}

// sessionClean reports whether conn holds no owner lock for gtrid's branch
// on shard and has its default wait_timeout back.
func sessionClean(t *testing.T, conn Conn, gtrid, shard string) bool {
	t.Helper()
	x, err := NewXID(gtrid, shard)
	mustOK(t, err, "xid")
	r, err := conn.Execute("SELECT IS_USED_LOCK('" + ownerLock(x) + "') IS NULL AND @@session.wait_timeout = @@global.wait_timeout")
	mustOK(t, err, "session state")
	v, _ := r.GetInt(0, 0)
	return v == 1
}

// coordResolverWins: if it fails, the coordinator commits after the
// resolver recorded ABORT (mixed outcome), or leaves branches prepared.
func coordResolverWins(t *testing.T, c *cluster) {
	var e *env
	var gtrid string
	e = newEnv(t, c, func(name string) error {
		if name == "before-decision" {
			_, err := e.log.RecordDecision(context.Background(), gtrid, Abort)
			return err
		}
		return nil
	})
	txn := e.coord.Begin()
	gtrid = txn.Gtrid()
	id0, id1 := e.write(txn, 0, c.dial(0)), e.write(txn, 1, c.dial(1))
	if err := txn.Commit(context.Background()); !errors.Is(err, ErrAborted) {
		t.Fatalf("Commit = %v, want ErrAborted", err)
	}
	if e.rowsOn(0, id0)+e.rowsOn(1, id1) != 0 || len(e.ours(0))+len(e.ours(1)) != 0 {
		t.Fatal("rows visible or branches left after a recorded ABORT")
	}
	e.coord.Close()
	if !e.log.isResolved(gtrid) {
		t.Fatal("ABORT decision with nothing left behind was not marked resolved")
	}
}

// coordIndeterminateSettles: if it fails, a Raft append whose reply was
// lost (but which applied) turns a committed transaction into an error.
func coordIndeterminateSettles(t *testing.T, c *cluster) {
	e := newEnv(t, c, nil)
	e.log.failNext, e.log.applyFail = 2, true
	txn := e.coord.Begin()
	id0, id1 := e.write(txn, 0, c.dial(0)), e.write(txn, 1, c.dial(1))
	mustOK(t, txn.Commit(context.Background()), "commit")
	if e.rowsOn(0, id0) != 1 || e.rowsOn(1, id1) != 1 {
		t.Fatal("rows missing")
	}
}

// coordLogDown: if it fails, a commit whose decision cannot be recorded is
// reported as committed or as rolled back (it is unknown: 1180), or its
// prepared branches are rolled back without a recorded ABORT.
func coordLogDown(t *testing.T, c *cluster) {
	e := newEnv(t, c, nil)
	e.log.down = true
	txn := e.coord.Begin()
	id0, id1 := e.write(txn, 0, c.dial(0)), e.write(txn, 1, c.dial(1))
	err := txn.Commit(context.Background())
	mustCode(t, err, 1180, "commit with the log down")
	if !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("%v is not ErrOutcomeUnknown", err)
	}
	if len(e.ours(0)) != 1 || len(e.ours(1)) != 1 {
		t.Fatal("maybe-committed branches were not left prepared")
	}
	e.log.mu.Lock()
	e.log.down = false
	e.log.mu.Unlock()
	e.resolveAll()
	if e.rowsOn(0, id0)+e.rowsOn(1, id1) != 0 {
		t.Fatal("rows visible after the resolver aborted")
	}
}

// coordDeadlock: if it fails, a transaction that lost a deadlock on one
// shard keeps (or commits) its writes on the other shard.
func coordDeadlock(t *testing.T, c *cluster) {
	e := newEnv(t, c, nil)
	r1, r2 := nextRowID.Add(1), nextRowID.Add(1)
	c.exec(0, fmt.Sprintf("INSERT INTO xt.acc VALUES (%d, 0), (%d, 0)", r1, r2))
	t1, t2 := e.coord.Begin(), e.coord.Begin()
	a1, a2 := c.dial(0), c.dial(0)
	mustOK(t, t1.Enlist(c.names[0], a1), "enlist")
	mustOK(t, t2.Enlist(c.names[0], a2), "enlist")
	mustOK(t, run(a1, fmt.Sprintf("UPDATE xt.acc SET v=1 WHERE id=%d", r1)), "t1 r1")
	mustOK(t, run(a2, fmt.Sprintf("UPDATE xt.acc SET v=2 WHERE id=%d", r2)), "t2 r2")
	t1.MarkWrite(c.names[0])
	t2.MarkWrite(c.names[0])
	s1, s2 := e.write(t1, 1, c.dial(1)), e.write(t2, 1, c.dial(1))
	errs := make(chan error, 1)
	go func() { errs <- run(a1, fmt.Sprintf("UPDATE xt.acc SET v=1 WHERE id=%d", r2)) }()
	time.Sleep(100 * time.Millisecond)
	err2 := run(a2, fmt.Sprintf("UPDATE xt.acc SET v=2 WHERE id=%d", r1))
	err1 := <-errs
	victim, winner, vRow, wRow, wantV := t2, t1, s2, s1, int64(1)
	if IsTxnFatal(err1) {
		victim, winner, vRow, wRow, wantV = t1, t2, s1, s2, 2
		err1, err2 = err2, err1
	}
	mustCode(t, err2, 1213, "deadlock")
	mustOK(t, err1, "winner's statement")
	mustOK(t, victim.Rollback(context.Background()), "victim rollback")
	mustOK(t, winner.Commit(context.Background()), "winner commit")
	if e.rowsOn(1, vRow) != 0 || e.rowsOn(1, wRow) != 1 {
		t.Fatal("victim's write survived on the other shard, or the winner's is missing")
	}
	if n := c.count(0, fmt.Sprintf("id IN (%d,%d) AND v=%d", r1, r2, wantV)); n != 2 {
		t.Fatalf("winner's updates on shard 0: %d of 2", n)
	}
}

// coordLockWaitContinues: if it fails, a lock-wait timeout (1205) kills a
// transaction that the client may still commit, or its earlier writes are
// lost at commit.
func coordLockWaitContinues(t *testing.T, c *cluster) {
	e := newEnv(t, c, nil)
	r := nextRowID.Add(1)
	c.exec(0, fmt.Sprintf("INSERT INTO xt.acc VALUES (%d, 0)", r))
	holder := c.dial(0)
	mustOK(t, run(holder, "BEGIN"), "begin")
	mustOK(t, run(holder, fmt.Sprintf("UPDATE xt.acc SET v=9 WHERE id=%d", r)), "lock")
	a := c.dial(0)
	mustOK(t, run(a, "SET SESSION innodb_lock_wait_timeout=1"), "set")
	txn := e.coord.Begin()
	id0, id1 := e.write(txn, 0, a), e.write(txn, 1, c.dial(1))
	err := run(a, fmt.Sprintf("UPDATE xt.acc SET v=1 WHERE id=%d", r))
	mustCode(t, err, 1205, "lock wait")
	if IsTxnFatal(err) {
		t.Fatal("1205 classified as fatal")
	}
	mustOK(t, run(holder, "ROLLBACK"), "release")
	mustOK(t, txn.Commit(context.Background()), "commit after 1205")
	if e.rowsOn(0, id0) != 1 || e.rowsOn(1, id1) != 1 {
		t.Fatal("rows written before the 1205 were lost")
	}
}

// hookConn runs before(q) ahead of each statement on a real connection.
type hookConn struct {
	*logConn
	before func(q string)
}

func (h hookConn) Execute(q string, args ...any) (*mysql.Result, error) {
	h.before(q)
	return h.logConn.Execute(q, args...)
}

// coordPausedDuringPrepare: if it fails, a shard that hangs while its XA
// PREPARE is in flight blocks COMMIT past PrepareTimeout, or the other
// (prepared) branch is rolled back without a recorded ABORT, or the
// maybe-prepared branch is never finished (xa/DESIGN.md, fact 13).
func coordPausedDuringPrepare(t *testing.T, c *cluster) {
	e := newEnv(t, c, nil)
	e.coord.cfg.PrepareTimeout = 500 * time.Millisecond
	srv := c.servers[1]
	var once sync.Once
	slow := hookConn{logConn: &logConn{Conn: c.dial(1)}, before: func(q string) {
		if strings.HasPrefix(q, "XA PREPARE") {
			once.Do(func() {
				mustOK(t, srv.Pause(), "pause")
				waitStopped(t, srv.Pid())
			})
		}
	}}
	defer srv.Resume()
	txn := e.coord.Begin()
	id0, id1 := e.write(txn, 0, c.dial(0)), e.write(txn, 1, slow)
	err := txn.Commit(context.Background())
	if !errors.Is(err, ErrAborted) {
		t.Fatalf("Commit = %v, want ErrAborted", err)
	}
	if o, ok := e.log.decision(txn.Gtrid()); !ok || o != Abort {
		t.Fatalf("decision %q %v: a maybe-prepared branch needs ABORT recorded", o, ok)
	}
	mustOK(t, srv.Resume(), "resume")
	e.resolveAll()
	if e.rowsOn(0, id0)+e.rowsOn(1, id1) != 0 {
		t.Fatal("rows visible after abort")
	}
	if _, err := e.res.RunOnce(context.Background()); err != nil || !e.log.isResolved(txn.Gtrid()) {
		t.Fatalf("ABORT decision never marked resolved (%v)", err)
	}
}

// coordEmptyWriteBranch: the proxy marks every write statement, so a branch
// whose UPDATE matched nothing is prepared read-only. If this fails, such a
// commit errors, leaves the branch prepared, or the resolver cannot finish
// it after a crash (MariaDB answers 1402 from another connection).
func coordEmptyWriteBranch(t *testing.T, c *cluster) {
	for _, crash := range []bool{false, true} {
		e := newEnv(t, c, func(name string) error {
			if crash && name == "after-decision" {
				return errCrash
			}
			return nil
		})
		txn := e.coord.Begin()
		id0 := e.write(txn, 0, c.dial(0))
		b := c.dial(1)
		mustOK(t, txn.Enlist(c.names[1], b), "enlist")
		mustOK(t, run(b, "UPDATE xt.acc SET v=v+1 WHERE id=-1"), "update nothing")
		txn.MarkWrite(c.names[1])
		err := txn.Commit(context.Background())
		if crash != (err != nil) {
			t.Fatalf("crash=%v: Commit = %v", crash, err)
		}
		e.resolveAll()
		if e.rowsOn(0, id0) != 1 || len(e.ours(0))+len(e.ours(1)) != 0 {
			t.Fatalf("crash=%v: row missing or branches left", crash)
		}
		if !crash && len(txn.Abandoned()) != 0 {
			t.Fatalf("read-only prepared branch failed phase 2: %v", txn.Abandoned())
		}
	}
}

// waitStopped waits until process pid is really stopped: SIGSTOP is
// delivered asynchronously, and a statement sent before it lands would
// still be executed.
func waitStopped(t *testing.T, pid int) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return // not Linux: best effort
		}
		if f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:])); len(f) > 0 && f[0] == "T" {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Errorf("process %d did not stop", pid)
}

// coordClientGone: if it fails, a commit whose client went away (context
// cancelled) leaves branches open or locked, or commits part of them.
func coordClientGone(t *testing.T, c *cluster) {
	e := newEnv(t, c, nil)
	txn := e.coord.Begin()
	id0, id1 := e.write(txn, 0, c.dial(0)), e.write(txn, 1, c.dial(1))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := txn.Commit(ctx); !errors.Is(err, ErrAborted) {
		t.Fatalf("Commit = %v, want ErrAborted", err)
	}
	if got := txn.Abandoned(); len(got) != 2 {
		t.Fatalf("Abandoned() = %v, want both connections dropped", got)
	}
	waitFor(t, "server to roll back the dropped branches", func() bool {
		return e.rowsOn(0, id0)+e.rowsOn(1, id1) == 0 && len(e.ours(0))+len(e.ours(1)) == 0
	})
}
