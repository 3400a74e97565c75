package proxy_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/shardline/shardline/proxy"
)

// TestShardDown kills one of two shards: statements for the other keep
// working, statements that need the dead one fail promptly with an error
// naming it, and everything works again once it is back. If it fails, one
// dead shard takes the whole proxy down or hangs its clients.
func TestShardDown(t *testing.T) {
	e := startXAEnv(t, 2, shardedMap, nil)
	db := e.db(false)
	for _, ddl := range schemaDDL {
		mustExec(t, db, ddl)
	}
	loadData(t, db)
	if err := e.servers[1].Kill(); err != nil {
		t.Fatal(err)
	}
	var n int
	for i := 0; i < 3; i++ { // user_id 4 lives in order_01 on s0
		if err := db.QueryRow("SELECT COUNT(*) FROM orders WHERE user_id = 4").Scan(&n); err != nil {
			t.Fatalf("query on the live shard: %v", err)
		}
	}
	for _, q := range []string{"SELECT COUNT(*) FROM orders WHERE user_id = 5", "SELECT COUNT(*) FROM orders"} {
		start := time.Now()
		err := db.QueryRow(q).Scan(&n)
		took := time.Since(start)
		var me *gomysql.MySQLError
		if !errors.As(err, &me) || (me.Number != 1429 && me.Number != 1158) || !strings.Contains(me.Message, "s1") {
			t.Fatalf("%s with s1 down: want error 1429/1158 naming s1, got %v", q, err)
		}
		if took > 5*time.Second {
			t.Errorf("%s: the error took %v (want a prompt failure)", q, took)
		}
	}
	if err := e.servers[1].Start(); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT COUNT(*) FROM orders").Scan(&n); err != nil || n != 400 {
		t.Fatalf("after the shard came back: %d rows, %v", n, err)
	}
}

// TestTxnAfterShardRestart restarts a shard under pooled connections and at
// once runs a cross-shard transaction: its branch on the restarted shard
// must start on a fresh connection rather than fail on a dead pooled one.
// If it fails, every shard restart costs clients failed transactions.
func TestTxnAfterShardRestart(t *testing.T) {
	// No health check on checkout: the dead pooled connections are found
	// only by using them.
	e := startXAEnvWith(t, 2, shardedMap, nil, func(c *proxy.Config) { c.Pool.CheckAfter = time.Hour })
	db := e.db(false)
	db.SetMaxOpenConns(4)
	for _, ddl := range schemaDDL {
		mustExec(t, db, ddl)
	}
	transfer := func(id int) error {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		for _, user := range []int{4, 5} { // order_01 on s0, order_02 on s1
			if _, err := tx.Exec("INSERT INTO orders (id, user_id, status, name, created) VALUES (?, ?, 'new', 'x', '2026-01-01')", id+user, user); err != nil {
				tx.Rollback()
				return err
			}
		}
		return tx.Commit()
	}
	for i := 0; i < 4; i++ { // fill the pools
		if err := transfer(100 * (i + 1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.servers[1].Kill(); err != nil {
		t.Fatal(err)
	}
	if err := e.servers[1].Start(); err != nil {
		t.Fatal(err)
	}
	if err := transfer(1000); err != nil {
		t.Fatalf("first transaction after the shard restarted: %v", err)
	}
}
