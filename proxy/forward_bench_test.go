package proxy_test

import (
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/internal/mariadbtest"
	"github.com/shardline/shardline/proxy"
	"github.com/shardline/shardline/router"
)

// forwardRows is the size of the result each iteration reads.
const forwardRows = 10_000

// BenchmarkForward reads a 10k-row result (id BIGINT, k INT, c CHAR(120))
// with go-mysql's streaming client, directly from MariaDB and through a
// pass-through proxy (single shard: the proxy forwards the backend's row
// packets), as text and as a prepared statement. ns/row is the cost per row
// seen by the client; proxy minus direct is what forwarding adds.
func BenchmarkForward(b *testing.B) {
	mariadbtest.Require(b)
	servers := mariadbtest.StartN(b, 1)
	fillForwardTable(b, servers[0])
	maps := &staticMap{}
	maps.m.Store(passThroughMap(servers))
	cfg := proxy.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.Users = []proxy.User{{Name: "app", Password: "app"}}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := proxy.NewServer(cfg, proxy.Deps{Map: maps, Planner: router.NewPlanner(), Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.Serve() }()
	b.Cleanup(func() { _ = srv.Close() })

	targets := []struct{ name, addr, user, pass string }{
		{"direct", servers[0].Addr(), "root", ""},
		{"proxy", srv.Addr(), "app", "app"},
	}
	for _, tg := range targets {
		for _, prepared := range []bool{false, true} {
			mode := "text"
			if prepared {
				mode = "prepared"
			}
			b.Run(fmt.Sprintf("target=%s/mode=%s", tg.name, mode), func(b *testing.B) {
				c, err := client.ConnectWithTimeout(tg.addr, tg.user, tg.pass, "app", 5*time.Second)
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				benchForwardRead(b, c, prepared)
			})
		}
	}
}

// benchForwardRead runs the full-table SELECT b.N times, counting rows.
func benchForwardRead(b *testing.B, c *client.Conn, prepared bool) {
	const q = "SELECT id, k, c FROM fwd WHERE id > ?"
	var stmt *client.Stmt
	if prepared {
		var err error
		if stmt, err = c.Prepare(q); err != nil {
			b.Fatal(err)
		}
		defer stmt.Close()
	}
	var res mysql.Result
	rows := 0
	onRow := func([]mysql.FieldValue) error { rows++; return nil }
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		var err error
		if prepared {
			err = stmt.ExecuteSelectStreaming(&res, onRow, nil, 0)
		} else {
			err = c.ExecuteSelectStreaming("SELECT id, k, c FROM fwd WHERE id > 0", &res, onRow, nil)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	if rows != b.N*forwardRows {
		b.Fatalf("read %d rows, want %d", rows, b.N*forwardRows)
	}
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(rows), "ns/row")
}

// fillForwardTable creates app.fwd with forwardRows rows on the server.
func fillForwardTable(b *testing.B, s *mariadbtest.Server) {
	db, err := sql.Open("mysql", s.DSN(""))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	stmts := []string{"CREATE DATABASE IF NOT EXISTS app",
		"CREATE TABLE app.fwd (id BIGINT PRIMARY KEY, k INT NOT NULL, c CHAR(120) NOT NULL)"}
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	pad := strings.Repeat("x", 110)
	for start := 1; start <= forwardRows; start += 1000 {
		var sb strings.Builder
		sb.WriteString("INSERT INTO app.fwd VALUES ")
		for i := start; i < start+1000; i++ {
			if i > start {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, "(%d,%d,'%s-%d')", i, i*7%10007, pad, i)
		}
		if _, err := db.Exec(sb.String()); err != nil {
			b.Fatal(err)
		}
	}
}
