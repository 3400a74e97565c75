package proxy_test

import (
	"errors"
	"strings"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/shardline/shardline/router"
)

// TestShardMapChangesLive publishes new shard maps under open sessions: a new
// rule takes effect for the next statement, and a removed shard's pool is
// closed so statements that need it fail naming it. If it fails, a node keeps
// routing by a stale map after an admin change.
func TestShardMapChangesLive(t *testing.T) {
	e := startXAEnv(t, 2, passThroughMap, nil)
	db := e.db(false)
	db.SetMaxOpenConns(1) // one session sees every map change
	for i := 0; i < 2; i++ {
		mustExec(t, e.direct(i, "app"), "CREATE TABLE kv_"+string(rune('0'+i))+" (k INT PRIMARY KEY, v INT) ENGINE=InnoDB")
	}
	mustExec(t, e.direct(0, "app"), "CREATE TABLE kv (k INT PRIMARY KEY, v INT) ENGINE=InnoDB")
	mustExec(t, db, "INSERT INTO kv (k, v) VALUES (1, 1)") // unsharded: the default shard's kv

	m := passThroughMap(e.servers)
	m.Version = 2
	m.Schemas["app"].Tables = map[string]*router.TableRule{"kv": {ShardKey: "k", Algorithm: router.AlgoMod,
		Partitions: []router.Partition{{Shard: "s0", Table: "kv_0"}, {Shard: "s1", Table: "kv_1"}}}}
	e.setMap(m)
	mustExec(t, db, "INSERT INTO kv (k, v) VALUES (2, 2), (3, 3)")
	if a, b := countOn(t, e.env, 0, "kv_0"), countOn(t, e.env, 1, "kv_1"); a != 1 || b != 1 {
		t.Fatalf("after the rule was published: kv_0 has %d rows, kv_1 %d; want 1 and 1", a, b)
	}

	m2 := passThroughMap(e.servers[:1])
	m2.Version = 3
	e.setMap(m2) // s1 leaves the map; kv is unsharded again
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM kv").Scan(&n); err != nil || n != 1 {
		t.Fatalf("after the rule was removed: %d rows, %v (want the default shard's 1)", n, err)
	}
	e.setMap(m) // a map naming s1 again reopens its pool
	if err := db.QueryRow("SELECT COUNT(*) FROM kv WHERE k = 3").Scan(&n); err != nil || n != 1 {
		t.Fatalf("after s1 came back into the map: %d, %v", n, err)
	}
	m3 := passThroughMap(e.servers[:1])
	m3.Shards["s1"] = &router.Shard{Addr: "127.0.0.1:1", User: "root"} // moved to an address that refuses
	m3.Schemas["app"].Tables = m.Schemas["app"].Tables
	e.setMap(m3)
	err := db.QueryRow("SELECT COUNT(*) FROM kv WHERE k = 3").Scan(&n)
	var me *gomysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1429 || !strings.Contains(me.Message, "s1") {
		t.Fatalf("s1 at a dead address: want 1429 naming s1, got %v", err)
	}
}
