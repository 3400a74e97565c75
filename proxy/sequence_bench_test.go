package proxy_test

import (
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shardline/shardline/internal/mariadbtest"
	"github.com/shardline/shardline/proxy"
	"github.com/shardline/shardline/router"
)

// BenchmarkInsertIDs measures single-row INSERTs per second through the
// proxy into real MariaDB (two servers, a real single-node Raft group with
// BoltDB): explicit ids on a sharded table, ids generated from the global
// sequence (block 1000: the usual case, and block 1: one Raft round trip
// per INSERT), and an unsharded table with MariaDB's own AUTO_INCREMENT.
// serial is one connection; parallel is 8 connections. Compare inserts/s.
//
//	go test -run XXX -bench InsertIDs -benchtime 3s ./proxy/
func BenchmarkInsertIDs(b *testing.B) {
	mariadbtest.Require(b)
	servers := mariadbtest.StartN(b, 2)
	for _, s := range servers {
		db, err := sql.Open("mysql", s.DSN(""))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.Exec("CREATE DATABASE IF NOT EXISTS app"); err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
	meta := startLeader(b, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	maps := &staticMap{}
	maps.m.Store(seqMap(servers))
	addr := func(block uint64) string {
		cfg := proxy.DefaultConfig()
		cfg.Listen = "127.0.0.1:0"
		cfg.Users = []proxy.User{{Name: "app", Password: "app"}}
		log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		srv, err := proxy.NewServer(cfg, proxy.Deps{Map: maps, Planner: router.NewPlanner(), Logger: log,
			Sequences: proxy.NewSequences(meta, block)})
		if err != nil {
			b.Fatal(err)
		}
		if err := srv.Listen(); err != nil {
			b.Fatal(err)
		}
		go func() { _ = srv.Serve() }()
		b.Cleanup(func() { _ = srv.Close() })
		return srv.Addr()
	}
	big, one := addr(1000), addr(1)
	setup := openBenchDB(b, big)
	for _, q := range append(seqDDL, `CREATE TABLE plain (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, title VARCHAR(64) NOT NULL) ENGINE=InnoDB`) {
		if _, err := setup.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	var explicit atomic.Int64
	explicit.Store(1 << 40) // far above the generated ids
	cases := []struct {
		name string
		addr string
		sql  func() string
	}{
		{"ids=explicit", big, func() string {
			return fmt.Sprintf("INSERT INTO tickets (id, title) VALUES (%d, 'x')", explicit.Add(1))
		}},
		{"ids=sequence-block1000", big, func() string { return "INSERT INTO tickets (title) VALUES ('x')" }},
		{"ids=sequence-block1", one, func() string { return "INSERT INTO tickets (title) VALUES ('x')" }},
		{"ids=unsharded-auto_increment", big, func() string { return "INSERT INTO plain (title) VALUES ('x')" }},
	}
	for _, c := range cases {
		db := openBenchDB(b, c.addr)
		b.Run(c.name+"/serial", func(b *testing.B) {
			start := time.Now()
			for i := 0; i < b.N; i++ {
				if _, err := db.Exec(c.sql()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "inserts/s")
		})
		b.Run(c.name+"/parallel8", func(b *testing.B) {
			b.SetParallelism(4) // 4 × GOMAXPROCS(2) connections
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := db.Exec(c.sql()); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "inserts/s")
		})
	}
}

func openBenchDB(b *testing.B, addr string) *sql.DB {
	db, err := sql.Open("mysql", "app:app@tcp("+addr+")/app")
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxIdleConns(16)
	b.Cleanup(func() { db.Close() })
	return db
}
