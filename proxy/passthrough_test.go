package proxy_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-sql-driver/mysql"

	"github.com/shardline/shardline/internal/mariadbtest"
	"github.com/shardline/shardline/proxy"
	"github.com/shardline/shardline/router"
)

// TestDriverRoundTrip runs the same statements with server-side prepared
// statements and with client-side interpolation. If it fails, applications
// using go-sql-driver see wrong values or errors for common column types.
func TestDriverRoundTrip(t *testing.T) {
	e := startEnv(t, 1, passThroughMap, nil)
	mustExec(t, e.direct(0, "app"), `CREATE TABLE types (
		id BIGINT PRIMARY KEY, u BIGINT UNSIGNED, d DOUBLE, f FLOAT, dec1 DECIMAL(10,3), s VARCHAR(64),
		b BLOB, dt DATETIME(6), da DATE, tm TIME, n INT NULL)`)
	for _, interpolate := range []bool{false, true} {
		t.Run(fmt.Sprintf("interpolate=%v", interpolate), func(t *testing.T) {
			db := e.db(interpolate)
			id := int64(1)
			if interpolate {
				id = 2
			}
			when := time.Date(2026, 11, 26, 1, 2, 3, 456000000, time.UTC)
			mustExec(t, db, `INSERT INTO types VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
				id, uint64(18446744073709551615), 1.5, float32(2.25), "1234.567", "héllo 'x'", []byte{0, 1, 2, 255},
				when, "2026-11-26", "-25:01:02", nil)
			var (
				u    uint64
				d    float64
				f    float32
				dec  string
				s    string
				b    []byte
				dt   time.Time
				da   time.Time
				tm   string
				n    sql.NullInt64
				gotI int64
			)
			err := db.QueryRow(`SELECT id, u, d, f, dec1, s, b, dt, da, tm, n FROM types WHERE id = ?`, id).
				Scan(&gotI, &u, &d, &f, &dec, &s, &b, &dt, &da, &tm, &n)
			if err != nil {
				t.Fatal(err)
			}
			want := []any{id, uint64(18446744073709551615), 1.5, float32(2.25), "1234.567", "héllo 'x'", []byte{0, 1, 2, 255}, when, "2026-11-26", "-25:01:02", false}
			got := []any{gotI, u, d, f, dec, s, b, dt.UTC(), da.Format("2006-01-02"), tm, n.Valid}
			for i := range want {
				if !reflect.DeepEqual(want[i], got[i]) {
					t.Errorf("column %d: want %#v, got %#v", i, want[i], got[i])
				}
			}
			r := mustExec(t, db, `UPDATE types SET s = ? WHERE id = ?`, "changed", id)
			if n, _ := r.RowsAffected(); n != 1 {
				t.Errorf("UPDATE affected %d rows, want 1", n)
			}
		})
	}
}

// TestPreparedStatementReuse prepares once and executes many times with new
// values, also after the pool handed out another backend connection. If it
// fails, sysbench-style prepared workloads break.
func TestPreparedStatementReuse(t *testing.T) {
	e := startEnv(t, 1, passThroughMap, nil)
	mustExec(t, e.direct(0, "app"), `CREATE TABLE kv (k INT PRIMARY KEY, v VARCHAR(20))`)
	db := e.db(false)
	db.SetMaxOpenConns(4)
	ins, err := db.Prepare(`INSERT INTO kv VALUES (?, ?)`)
	if err != nil {
		t.Fatal(err)
	}
	defer ins.Close()
	for i := 0; i < 50; i++ {
		if _, err := ins.Exec(i, fmt.Sprintf("v%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	sel, err := db.Prepare(`SELECT v FROM kv WHERE k = ?`)
	if err != nil {
		t.Fatal(err)
	}
	defer sel.Close()
	for i := 0; i < 50; i++ {
		var v string
		if err := sel.QueryRow(i).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != fmt.Sprintf("v%d", i) {
			t.Fatalf("k=%d: got %q", i, v)
		}
	}
}

// TestWrongPassword checks error 1045 (28000) and that the proxy keeps
// serving. If it fails, bad credentials get a confusing error or break others.
func TestWrongPassword(t *testing.T) {
	e := startEnv(t, 1, passThroughMap, nil)
	cfg := gomysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = "app", "wrong", "tcp", e.addr
	c, _ := gomysql.NewConnector(cfg)
	db := sql.OpenDB(c)
	defer db.Close()
	mysqlErr(t, db.Ping(), 1045, "28000")
	if err := e.db(false).Ping(); err != nil {
		t.Fatalf("good password after a bad one: %v", err)
	}
}

// TestUnknownDatabase checks error 1049 for USE and for the handshake.
func TestUnknownDatabase(t *testing.T) {
	e := startEnv(t, 1, passThroughMap, nil)
	db := e.db(false)
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = conn.ExecContext(context.Background(), "USE nosuchdb")
	mysqlErr(t, err, 1049, "42000")
	var one int
	if err := conn.QueryRowContext(context.Background(), "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("session unusable after error: %v", err)
	}
}

// TestCachingSha2Auth logs in with caching_sha2_password over a plain
// connection (the client fetches the RSA key). If it fails, MySQL 8 clients
// cannot log in when the proxy is configured for it.
func TestCachingSha2Auth(t *testing.T) {
	e := startEnv(t, 1, passThroughMap, nil)
	_ = e
	e2 := startEnv(t, 1, passThroughMap, func(c *proxy.Config) { c.AuthMethod = "caching_sha2_password" })
	for i := 0; i < 2; i++ { // full auth, then the fast path from the cache
		cfg := gomysql.NewConfig()
		cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = "app", "app", "tcp", e2.addr, "app"
		cfg.AllowNativePasswords = false
		c, _ := gomysql.NewConnector(cfg)
		db := sql.OpenDB(c)
		if err := db.Ping(); err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
		db.Close()
	}
}

// TestTransactions covers BEGIN/COMMIT/ROLLBACK and autocommit=0 on one
// shard. If it fails, rolled-back writes survive or committed ones vanish.
func TestTransactions(t *testing.T) {
	e := startEnv(t, 1, passThroughMap, nil)
	mustExec(t, e.direct(0, "app"), `CREATE TABLE acct (id INT PRIMARY KEY, bal INT) ENGINE=InnoDB`)
	db := e.db(false)
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	tx, _ := db.BeginTx(ctx, nil)
	mustExec(t, tx, `INSERT INTO acct VALUES (1, 100)`)
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	tx, _ = db.BeginTx(ctx, nil)
	mustExec(t, tx, `INSERT INTO acct VALUES (2, 200)`)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	conn, _ := db.Conn(ctx)
	defer conn.Close()
	mustExec(t, conn, "SET autocommit = 0")
	mustExec(t, conn, `INSERT INTO acct VALUES (3, 300)`)
	mustExec(t, conn, "ROLLBACK")
	mustExec(t, conn, `INSERT INTO acct VALUES (4, 400)`)
	mustExec(t, conn, "COMMIT")
	mustExec(t, conn, "SET autocommit = 1")
	var ids []int
	rows, err := e.direct(0, "app").Query(`SELECT id FROM acct ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int
		rows.Scan(&id)
		ids = append(ids, id)
	}
	if !reflect.DeepEqual(ids, []int{2, 4}) {
		t.Fatalf("rows on the backend: %v, want [2 4]", ids)
	}
}

// TestSessionStateDoesNotLeak runs two sessions over a pool of one backend
// connection: each must see its own variables, database and charset. If it
// fails, one client's SET changes another client's statements.
func TestSessionStateDoesNotLeak(t *testing.T) {
	e := startEnv(t, 1, func(s []*mariadbtest.Server) *router.ShardMap {
		m := passThroughMap(s)
		m.Shards["s0"].MaxConns = 1
		return m
	}, nil)
	ctx := context.Background()
	db := e.db(true)
	a, _ := db.Conn(ctx)
	b, _ := db.Conn(ctx)
	defer a.Close()
	defer b.Close()
	mustExec(t, a, "SET @x = 'from-a', SESSION sql_mode = 'ANSI_QUOTES'")
	mustExec(t, b, "SET @x = 'from-b'")
	mustExec(t, a, "SET NAMES latin1")
	for i := 0; i < 3; i++ {
		var x, mode, cs string
		if err := a.QueryRowContext(ctx, "SELECT @x, @@session.sql_mode, @@character_set_client").Scan(&x, &mode, &cs); err != nil {
			t.Fatal(err)
		}
		if x != "from-a" || mode != "ANSI_QUOTES" || cs != "latin1" {
			t.Fatalf("session a sees @x=%q sql_mode=%q charset=%q", x, mode, cs)
		}
		if err := b.QueryRowContext(ctx, "SELECT @x, @@session.sql_mode, @@character_set_client").Scan(&x, &mode, &cs); err != nil {
			t.Fatal(err)
		}
		if x != "from-b" || mode == "ANSI_QUOTES" || cs == "latin1" {
			t.Fatalf("session b sees @x=%q sql_mode=%q charset=%q", x, mode, cs)
		}
	}
	_, err := a.ExecContext(ctx, "SET GLOBAL max_connections = 10")
	mysqlErr(t, err, 1227, "")
	_, err = a.ExecContext(ctx, "SET SESSION no_such_variable = 1")
	mysqlErr(t, err, 1193, "HY000")
}

// TestMariadbCLI runs the mariadb client in batch mode through the proxy.
// If it fails, ad hoc use from the command line is broken.
func TestMariadbCLI(t *testing.T) {
	e := startEnv(t, 1, passThroughMap, nil)
	cli, err := exec.LookPath("mariadb")
	if err != nil {
		if cli, err = exec.LookPath("mysql"); err != nil {
			t.Skip("no mariadb/mysql client installed")
		}
	}
	host, port, _ := strings.Cut(e.addr, ":")
	run := func(sql string) (string, error) {
		cmd := exec.Command(cli, "-h"+host, "-P"+port, "-uapp", "-papp", "--protocol=tcp", "-B", "app", "-e", sql)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	out, err := run("CREATE TABLE cli (id INT PRIMARY KEY, name VARCHAR(10)); INSERT INTO cli VALUES (1,'a'),(2,NULL); SELECT * FROM cli ORDER BY id")
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if want := "id\tname\n1\ta\n2\tNULL\n"; out != want {
		t.Fatalf("output %q, want %q", out, want)
	}
	out, err = run("SELECT * FROM nosuchtable")
	if err == nil || !strings.Contains(out, "ERROR 1146 (42S02)") {
		t.Fatalf("want ERROR 1146, got %v: %s", err, out)
	}
}

// TestBackendRestart kills the backend under an open session, checks the
// prompt error and that the session works again once the backend is back.
// If it fails, a restarted shard hangs clients or needs a proxy restart.
func TestBackendRestart(t *testing.T) {
	e := startEnv(t, 1, passThroughMap, nil)
	db := e.db(false)
	db.SetMaxOpenConns(1)
	var one int
	if err := db.QueryRow("SELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
	if err := e.servers[0].Kill(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := db.QueryRow("SELECT 1").Scan(&one)
	if err == nil {
		t.Fatal("query succeeded with the backend down")
	}
	var me *gomysql.MySQLError
	if !errors.As(err, &me) || (me.Number != 1429 && me.Number != 1158) {
		t.Fatalf("want error 1429/1158 naming the shard, got %v", err)
	}
	if !strings.Contains(me.Message, "s0") {
		t.Errorf("error does not name the shard: %s", me.Message)
	}
	t.Logf("error with backend down after %v: %v", time.Since(start), err)
	if err := e.servers[0].Start(); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT 1").Scan(&one); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

// TestUnknownCommand sends a command the proxy does not support and checks
// the error and that the connection stays usable.
func TestUnknownCommand(t *testing.T) {
	e := startEnv(t, 1, passThroughMap, nil)
	c := rawConnect(t, e.addr)
	defer c.Close()
	resp := c.command(t, 0x09, nil) // COM_STATISTICS
	if resp[0] != 0xff || !strings.Contains(string(resp), "not supported") {
		t.Fatalf("COM_STATISTICS answered %q", resp)
	}
	if resp := c.command(t, 0x0e, nil); resp[0] != 0x00 { // COM_PING
		t.Fatalf("COM_PING after unknown command answered %q", resp)
	}
}

// TestAnnouncedVersion: by default the handshake announces the shards' own
// server version (MariaDB's "5.5.5-" form included) with "-shardline"
// added. If it fails, drivers choose MySQL-only paths over MariaDB shards
// (PyMySQL sends CAST(... AS JSON), which MariaDB rejects).
func TestAnnouncedVersion(t *testing.T) {
	e := startEnv(t, 1, passThroughMap, nil)
	c, err := client.Connect(e.addr, "app", "app", "app")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	direct, err := client.Connect(e.servers[0].Addr(), "root", "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	if got, want := c.GetServerVersion(), direct.GetServerVersion()+"-shardline"; got != want {
		t.Fatalf("announced version %q, want %q", got, want)
	}
	if !strings.HasPrefix(c.GetServerVersion(), "5.5.5-") || !strings.Contains(c.GetServerVersion(), "MariaDB") {
		t.Fatalf("announced version %q lacks MariaDB's form", c.GetServerVersion())
	}
}
