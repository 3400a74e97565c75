package proxy_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
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
