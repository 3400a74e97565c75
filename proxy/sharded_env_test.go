package proxy_test

import (
	"database/sql"
	"fmt"
	"testing"

	"github.com/shardline/shardline/internal/mariadbtest"
	"github.com/shardline/shardline/router"
)

// shardedMap is the layout of the sharded tests: schema app (default shard
// s0) over two servers, one table per algorithm with four partitions, two
// on each server, plus a broadcast table.
//
//	orders, order_lines  mod(user_id)   order_01..04 / line_01..04 on s0,s1,s0,s1
//	users_h              hash(id)       users_01..04
//	events_r             range(id)      events_01..04, upper 100/200/300/-
//	countries            broadcast
func shardedMap(servers []*mariadbtest.Server) *router.ShardMap {
	m := passThroughMap(servers)
	parts := func(prefix string, uppers ...any) []router.Partition {
		var ps []router.Partition
		for i := 0; i < 4; i++ {
			p := router.Partition{Shard: fmt.Sprintf("s%d", i%2), Table: fmt.Sprintf("%s_%02d", prefix, i+1)}
			if i < len(uppers) {
				p.Upper = uppers[i]
			}
			ps = append(ps, p)
		}
		return ps
	}
	m.Schemas["app"].Tables = map[string]*router.TableRule{
		"orders":      {ShardKey: "user_id", Algorithm: router.AlgoMod, Partitions: parts("order")},
		"order_lines": {ShardKey: "user_id", Algorithm: router.AlgoMod, Partitions: parts("line")},
		"users_h":     {ShardKey: "id", Algorithm: router.AlgoHash, Partitions: parts("users")},
		"events_r":    {ShardKey: "id", Algorithm: router.AlgoRange, Partitions: parts("events", 100, 200, 300)},
		"countries":   {Type: router.TypeBroadcast},
	}
	return m
}

// schemaDDL creates the logical tables (through the proxy: DDL fans out to
// the partitions) or the reference tables (directly, on a plain server).
var schemaDDL = []string{
	`CREATE TABLE orders (id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, amount DECIMAL(10,2) NULL,
		status VARCHAR(16) NOT NULL, name VARCHAR(32) NOT NULL, created DATE NOT NULL) ENGINE=InnoDB`,
	`CREATE TABLE order_lines (id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, order_id BIGINT NOT NULL,
		qty INT NOT NULL) ENGINE=InnoDB`,
	`CREATE TABLE users_h (id BIGINT PRIMARY KEY, name VARCHAR(32) NOT NULL, score INT NULL,
		city VARCHAR(16) NOT NULL) ENGINE=InnoDB`,
	`CREATE TABLE events_r (id INT PRIMARY KEY, kind ENUM('view','click','buy') NOT NULL, v DOUBLE NOT NULL) ENGINE=InnoDB`,
	`CREATE TABLE countries (code CHAR(2) PRIMARY KEY, name VARCHAR(32) NOT NULL) ENGINE=InnoDB`,
}

var (
	names    = []string{"bob", "BOB", "Émile", "emile", "zed", "alice", "Ålice", "carol", "dave", "Eve"}
	statuses = []string{"new", "paid", "shipped", "cancelled"}
	cities   = []string{"oslo", "lima", "rome", "kyiv", "pune"}
	kinds    = []string{"click", "view", "buy"}
)

// loadData inserts the same deterministic rows through db (multi-row INSERTs).
func loadData(t *testing.T, db *sql.DB) {
	t.Helper()
	var rows []string
	for i := 1; i <= 400; i++ {
		amount := fmt.Sprintf("%d.%02d", (i*37)%500, (i*13)%100)
		if i%17 == 0 {
			amount = "NULL"
		}
		rows = append(rows, fmt.Sprintf("(%d,%d,%s,'%s','%s','2026-%02d-%02d')", i, 1+(i*7)%50, amount,
			statuses[i%4], names[i%len(names)], 1+i%12, 1+i%28))
	}
	insertChunks(t, db, "INSERT INTO orders (id, user_id, amount, status, name, created) VALUES ", rows)
	rows = rows[:0]
	for i := 1; i <= 600; i++ {
		order := 1 + (i*3)%400
		rows = append(rows, fmt.Sprintf("(%d,%d,%d,%d)", i, 1+(order*7)%50, order, 1+i%9))
	}
	insertChunks(t, db, "INSERT INTO order_lines (id, user_id, order_id, qty) VALUES ", rows)
	rows = rows[:0]
	for i := 1; i <= 200; i++ {
		score := fmt.Sprint((i * 31) % 1000)
		if i%11 == 0 {
			score = "NULL"
		}
		rows = append(rows, fmt.Sprintf("(%d,'%s',%s,'%s')", i*1000+i, names[(i*3)%len(names)], score, cities[i%5]))
	}
	insertChunks(t, db, "INSERT INTO users_h (id, name, score, city) VALUES ", rows)
	rows = rows[:0]
	for i := 0; i < 400; i++ {
		rows = append(rows, fmt.Sprintf("(%d,'%s',%d.25)", i, kinds[i%3], (i*53)%97))
	}
	insertChunks(t, db, "INSERT INTO events_r (id, kind, v) VALUES ", rows)
	mustExec(t, db, `INSERT INTO countries (code, name) VALUES ('no','Norway'),('pe','Peru'),('it','Italy'),('ua','Ukraine'),('in','India')`)
}

func insertChunks(t *testing.T, db *sql.DB, prefix string, rows []string) {
	t.Helper()
	for len(rows) > 0 {
		n := min(50, len(rows))
		q := prefix
		for i, r := range rows[:n] {
			if i > 0 {
				q += ","
			}
			q += r
		}
		mustExec(t, db, q)
		rows = rows[n:]
	}
}
