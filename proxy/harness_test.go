package proxy_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/shardline/shardline/internal/mariadbtest"
	"github.com/shardline/shardline/proxy"
	"github.com/shardline/shardline/router"
)

// staticMap is a MapSource over a fixed map.
type staticMap struct {
	m atomic.Pointer[router.ShardMap]
}

func (s *staticMap) ShardMap() *router.ShardMap { return s.m.Load() }

// env is a proxy in front of real MariaDB servers.
type env struct {
	t       testing.TB
	servers []*mariadbtest.Server
	srv     *proxy.Server
	addr    string
	maps    *staticMap
}

// passThroughMap puts schema "app" on the first server.
func passThroughMap(servers []*mariadbtest.Server) *router.ShardMap {
	m := &router.ShardMap{Shards: map[string]*router.Shard{}, Schemas: map[string]*router.Schema{}}
	for i, s := range servers {
		m.Shards[fmt.Sprintf("s%d", i)] = &router.Shard{Addr: s.Addr(), User: "root", MaxConns: 8}
	}
	m.Schemas["app"] = &router.Schema{DefaultShard: "s0"}
	return m
}

// startEnv starts n MariaDB servers, creates database app on each, and a
// proxy with users app/app over the map built by mk.
func startEnv(t testing.TB, n int, mk func([]*mariadbtest.Server) *router.ShardMap, tweak func(*proxy.Config)) *env {
	t.Helper()
	return startEnvWith(t, n, mk, tweak, nil)
}

// startEnvWith is startEnv with a transaction coordinator (nil: none).
func startEnvWith(t testing.TB, n int, mk func([]*mariadbtest.Server) *router.ShardMap, tweak func(*proxy.Config), txns proxy.TxnCoordinator) *env {
	t.Helper()
	servers := mariadbtest.StartN(t, n)
	for _, s := range servers {
		db, err := sql.Open("mysql", s.DSN(""))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("CREATE DATABASE IF NOT EXISTS app"); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	return startProxyOver(t, servers, mk, tweak, txns)
}

// startEnvOver starts a proxy over servers the test started itself.
func startEnvOver(t testing.TB, servers []*mariadbtest.Server, mk func([]*mariadbtest.Server) *router.ShardMap) *env {
	t.Helper()
	return startProxyOver(t, servers, mk, nil, nil)
}

func startProxyOver(t testing.TB, servers []*mariadbtest.Server, mk func([]*mariadbtest.Server) *router.ShardMap, tweak func(*proxy.Config), txns proxy.TxnCoordinator) *env {
	t.Helper()
	maps := &staticMap{}
	maps.m.Store(mk(servers))
	cfg := proxy.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.Users = []proxy.User{{Name: "app", Password: "app"}}
	if tweak != nil {
		tweak(&cfg)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := proxy.NewServer(cfg, proxy.Deps{Map: maps, Planner: router.NewPlanner(), Logger: log, Txns: txns})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve() }()
	t.Cleanup(func() { _ = srv.Close() })
	return &env{t: t, servers: servers, srv: srv, addr: srv.Addr(), maps: maps}
}

// setMap publishes a new shard map, as metaraft's watch does on a node.
func (e *env) setMap(m *router.ShardMap) {
	e.maps.m.Store(m)
	e.srv.ShardMapChanged(m)
}

// db opens database/sql on the proxy (dates parsed into time.Time).
func (e *env) db(interpolate bool) *sql.DB { return e.dbWith(interpolate, true) }

func (e *env) dbWith(interpolate, parseTime bool) *sql.DB {
	return e.open("app", interpolate, parseTime)
}

// dbOn opens database/sql on the proxy with another current database.
func (e *env) dbOn(db string) *sql.DB { return e.open(db, false, true) }

func (e *env) open(dbName string, interpolate, parseTime bool) *sql.DB {
	e.t.Helper()
	cfg := gomysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = "app", "app", "tcp", e.addr, dbName
	cfg.InterpolateParams = interpolate
	cfg.ParseTime = parseTime
	cfg.Timeout = 5 * time.Second
	connector, err := gomysql.NewConnector(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	e.t.Cleanup(func() { db.Close() })
	return db
}

// direct opens database/sql straight on server i.
func (e *env) direct(i int, db string) *sql.DB {
	e.t.Helper()
	d, err := sql.Open("mysql", e.servers[i].DSN(db))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { d.Close() })
	return d
}

func mustExec(t *testing.T, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, q string, args ...any) sql.Result {
	t.Helper()
	r, err := db.ExecContext(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return r
}

// mysqlErr asserts err is a MySQL error with code (and SQLSTATE when given).
func mysqlErr(t *testing.T, err error, code uint16, state string) *gomysql.MySQLError {
	t.Helper()
	me, ok := err.(*gomysql.MySQLError)
	if !ok {
		t.Fatalf("want MySQL error %d, got %T %v", code, err, err)
	}
	if me.Number != code || (state != "" && string(me.SQLState[:]) != state) {
		t.Fatalf("want error %d (%s), got %d (%s): %s", code, state, me.Number, string(me.SQLState[:]), me.Message)
	}
	return me
}
