package proxy_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/shardline/shardline/proxy"
)

// TestCrossShardLockCycle: two transactions lock a row on each of two shards
// in opposite order. Neither server sees a deadlock; without the cross-shard
// lock wait timeout both would wait the servers' 50 s. If it fails, the
// branches of a transaction spanning shards do not get
// CrossShardLockWait, a session's own innodb_lock_wait_timeout is
// overridden, or a pooled connection keeps the short timeout for the next
// session.
func TestCrossShardLockCycle(t *testing.T) {
	e := startXAEnvWith(t, 2, shardedMap, nil, func(c *proxy.Config) { c.CrossShardLockWait = time.Second })
	db := e.db(false)
	db.SetMaxOpenConns(8)
	for _, ddl := range schemaDDL {
		mustExec(t, db, ddl)
	}
	// user 4 → order_01 on s0, user 5 → order_02 on s1.
	mustExec(t, db, "INSERT INTO orders (id, user_id, amount, status, name, created) VALUES (1, 4, 0, 'new', 'a', '2026-01-01'), (2, 5, 0, 'new', 'b', '2026-01-01')")
	ctx := context.Background()

	lockWait := func(q interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}) int {
		t.Helper()
		var v int
		if err := q.QueryRowContext(ctx, "SELECT @@innodb_lock_wait_timeout").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}

	// The timeout applies once the transaction spans shards, and a
	// session's own value wins.
	for _, own := range []int{0, 7} {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if own != 0 {
			mustExec(t, c, "SET SESSION innodb_lock_wait_timeout = 7")
		}
		mustExec(t, c, "BEGIN")
		mustExec(t, c, "UPDATE orders SET amount = amount + 1 WHERE user_id = 4")
		single := lockWait(c) // s0 is the default shard: the same branch
		mustExec(t, c, "UPDATE orders SET amount = amount + 1 WHERE user_id = 5")
		spanning := lockWait(c)
		mustExec(t, c, "COMMIT")
		c.Close()
		wantSingle, wantSpanning := 50, 1
		if own != 0 {
			wantSingle, wantSpanning = own, own
		}
		if single != wantSingle || spanning != wantSpanning {
			t.Fatalf("session value %d: innodb_lock_wait_timeout %d on one shard and %d across shards, want %d and %d",
				own, single, spanning, wantSingle, wantSpanning)
		}
	}
	// Pooled backend connections go back to the server default for the next
	// session (new client sessions: the ones above keep their own value).
	fresh := e.db(false)
	for i := 0; i < 8; i++ {
		if v := lockWait(fresh); v != 50 {
			t.Fatalf("a session outside any transaction sees innodb_lock_wait_timeout %d, want the default 50", v)
		}
	}

	// The lock cycle: A locks s0 then s1, B locks s1 then s0.
	a, b := beginOn(t, db), beginOn(t, db)
	mustExec(t, a, "UPDATE orders SET amount = amount + 1 WHERE user_id = 4")
	mustExec(t, b, "UPDATE orders SET amount = amount + 1 WHERE user_id = 5")
	errs := make(chan error, 2)
	go func() {
		_, err := a.ExecContext(ctx, "UPDATE orders SET amount = amount + 1 WHERE user_id = 5")
		errs <- err
	}()
	go func() {
		_, err := b.ExecContext(ctx, "UPDATE orders SET amount = amount + 1 WHERE user_id = 4")
		errs <- err
	}()
	timeouts := 0
	for range 2 {
		select {
		case err := <-errs:
			var me *gomysql.MySQLError
			switch {
			case err == nil:
			case errors.As(err, &me) && me.Number == 1205:
				timeouts++
			default:
				t.Fatalf("statement in the lock cycle: %v, want success or 1205", err)
			}
		case <-time.After(20 * time.Second): // the servers' own timeout is 50 s
			t.Fatal("the cross-shard lock cycle was not broken within 20 s")
		}
	}
	if timeouts == 0 {
		t.Fatal("both statements of the lock cycle succeeded: there was no cycle")
	}
	// 1205 undoes only the statement: both transactions can still end.
	for _, c := range []*sql.Conn{a, b} {
		mustExec(t, c, "ROLLBACK")
		c.Close()
	}
	assertNoXA(t, e.env)
}

func beginOn(t *testing.T, db *sql.DB) *sql.Conn {
	t.Helper()
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, c, "BEGIN")
	return c
}
