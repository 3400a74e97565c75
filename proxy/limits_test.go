package proxy_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"database/sql"
	"io"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-sql-driver/mysql"

	"github.com/shardline/shardline/proxy"
)

// TestTLSRequired: with require_secure_transport a TLS client works (go-sql-
// driver and the mariadb CLI with --ssl) and a plain one gets error 3159.
// If it fails, passwords and data could cross the network in clear text.
func TestTLSRequired(t *testing.T) {
	e := startEnv(t, 1, passThroughMap, func(c *proxy.Config) { c.RequireSecureTransport = true })
	if err := gomysql.RegisterTLSConfig("shardline-test", &tls.Config{InsecureSkipVerify: true}); err != nil {
		t.Fatal(err)
	}
	cfg := gomysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = "app", "app", "tcp", e.addr, "app"
	cfg.TLSConfig = "shardline-test"
	c, _ := gomysql.NewConnector(cfg)
	db := sql.OpenDB(c)
	defer db.Close()
	var cipher, v string
	if err := db.QueryRow("SELECT 1").Scan(&v); err != nil {
		t.Fatalf("TLS client: %v", err)
	}
	_ = cipher
	plain := e.db(false)
	mysqlErr(t, plain.Ping(), 3159, "")

	cli, err := exec.LookPath("mariadb")
	if err != nil {
		t.Skip("no mariadb client")
	}
	host, port, _ := strings.Cut(e.addr, ":")
	for _, tc := range []struct {
		args []string
		ok   bool
	}{{[]string{"--ssl"}, true}, {[]string{"--skip-ssl"}, false}} {
		args := append([]string{"-h" + host, "-P" + port, "-uapp", "-papp", "--protocol=tcp", "-B", "-N", "-e", "SELECT 42"}, tc.args...)
		var out bytes.Buffer
		cmd := exec.Command(cli, args...)
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		if tc.ok && (err != nil || strings.TrimSpace(out.String()) != "42") {
			t.Errorf("mariadb %v: %v %q", tc.args, err, out.String())
		}
		if !tc.ok && (err == nil || !strings.Contains(out.String(), "3159")) {
			t.Errorf("mariadb %v without TLS: want error 3159, got %v %q", tc.args, err, out.String())
		}
	}
}

// TestConnectionLimits covers max_connections (1040), the handshake timeout
// and the idle timeout. If it fails, idle or silent clients can hold the
// proxy's connection slots forever.
func TestConnectionLimits(t *testing.T) {
	e := startEnv(t, 1, passThroughMap, func(c *proxy.Config) {
		c.MaxConnections = 2
		c.HandshakeTimeout = 300 * time.Millisecond
		c.IdleTimeout = 500 * time.Millisecond
	})
	// A client that connects and says nothing is dropped after the handshake timeout.
	raw, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_ = raw.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(raw); err != nil {
		t.Fatalf("silent client was not disconnected: %v", err)
	}
	t.Logf("silent client dropped after %v", time.Since(start).Round(time.Millisecond))
	raw.Close()
	for e.srv.Connections() != 0 { // the server side finishes closing
		time.Sleep(10 * time.Millisecond)
	}

	a, err := client.Connect(e.addr, "app", "app", "app")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := client.Connect(e.addr, "app", "app", "app")
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.Connect(e.addr, "app", "app", "app")
	if err == nil || !strings.Contains(err.Error(), "1040") {
		t.Fatalf("third connection with max_connections=2: want error 1040, got %v", err)
	}
	b.Close()
	// An idle connection is closed by the proxy; a busy one is not.
	for i := 0; i < 3; i++ {
		time.Sleep(200 * time.Millisecond)
		if _, err := a.Execute("SELECT 1"); err != nil {
			t.Fatalf("busy connection closed: %v", err)
		}
	}
	time.Sleep(time.Second)
	if _, err := a.Execute("SELECT 1"); err == nil {
		t.Fatal("idle connection still open after the idle timeout")
	}
}

// TestMaxAllowedPacket: a command larger than max_allowed_packet gets error
// 1153 and the connection is closed before the payload is buffered; other
// sessions keep working. If it fails, one client can make the proxy buffer
// arbitrarily large packets.
func TestMaxAllowedPacket(t *testing.T) {
	e := startEnv(t, 1, passThroughMap, func(c *proxy.Config) { c.MaxAllowedPacket = 4096 })
	c, err := client.Connect(e.addr, "app", "app", "app")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Execute("SELECT '" + strings.Repeat("x", 8000) + "'")
	if err == nil || !strings.Contains(err.Error(), "1153") {
		t.Fatalf("want error 1153, got %v", err)
	}
	if _, err := c.Execute("SELECT 1"); err == nil {
		t.Fatal("connection still open after a packet over max_allowed_packet")
	}
	var n int
	if err := e.db(false).QueryRow("SELECT LENGTH(?)", strings.Repeat("y", 2000)).Scan(&n); err != nil || n != 2000 {
		t.Fatalf("another session after the refusal: %d %v", n, err)
	}
}

// TestMaxExecutionTime: SET max_execution_time (milliseconds, MySQL's name)
// bounds statements on every shard they touch, including a scatter, with
// MySQL's error 3024. If it fails, a runaway query holds shards for ever.
func TestMaxExecutionTime(t *testing.T) {
	e := startXAEnv(t, 2, shardedMap, nil)
	db := e.db(false)
	for _, ddl := range schemaDDL {
		mustExec(t, db, ddl)
	}
	loadData(t, db)
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	mustExec(t, conn, "SET SESSION max_execution_time = 300")
	for _, q := range []string{
		"SELECT COUNT(*) FROM orders WHERE SLEEP(0.05) = 0",                // scatter over 4 partitions, ~5 s each
		"SELECT COUNT(*) FROM orders WHERE user_id = 4 AND SLEEP(0.5) = 0", // one partition
	} {
		start := time.Now()
		var n int
		err := conn.QueryRowContext(context.Background(), q).Scan(&n)
		mysqlErr(t, err, 3024, "")
		t.Logf("%s interrupted after %v", q, time.Since(start).Round(time.Millisecond))
	}
	mustExec(t, conn, "SET SESSION max_execution_time = DEFAULT")
	var n int
	if err := conn.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM orders WHERE user_id = 4 AND SLEEP(0.01) = 0").Scan(&n); err != nil {
		t.Fatalf("after resetting max_execution_time: %v", err)
	}
}

// TestMergeMemoryBound: a scatter GROUP BY with more groups than
// merge_max_rows fails with error 1041 instead of growing without bound, and
// the session stays usable.
func TestMergeMemoryBound(t *testing.T) {
	e := startXAEnv(t, 2, shardedMap, nil)
	e.srv.SetMergeMaxRows(50)
	db := e.db(false)
	for _, ddl := range schemaDDL {
		mustExec(t, db, ddl)
	}
	loadData(t, db)
	_, err := queryStrings(db, "SELECT id, COUNT(*) FROM orders GROUP BY id")
	mysqlErr(t, err, 1041, "")
	rows, err := queryStrings(db, "SELECT status, COUNT(*) FROM orders GROUP BY status")
	if err != nil || len(rows) != 4 {
		t.Fatalf("small GROUP BY after the refusal: %v %v", rows, err)
	}
}

// TestWaitTimeout: a session's SET wait_timeout closes it after that many
// idle seconds, as the server would; other sessions keep the proxy's
// idle_timeout. If it fails, clients relying on wait_timeout to drop idle
// connections keep them open forever.
func TestWaitTimeout(t *testing.T) {
	e := startEnv(t, 1, passThroughMap, nil)
	short, err := client.Connect(e.addr, "app", "app", "app")
	if err != nil {
		t.Fatal(err)
	}
	defer short.Close()
	other, err := client.Connect(e.addr, "app", "app", "app")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := short.Execute("SET SESSION wait_timeout = 1"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond)
	if _, err := short.Execute("SELECT 1"); err == nil {
		t.Fatal("session with wait_timeout=1 still open after 2.5 s idle")
	}
	if _, err := other.Execute("SELECT 1"); err != nil {
		t.Fatalf("a session without wait_timeout was closed: %v", err)
	}
}

// TestPreparedStatementCap: one connection cannot hold more prepared
// statements than max_prepared_statements (1461, like MariaDB); closing
// one makes room; other sessions are not affected. If it fails, a client
// can grow the node's memory without bound by preparing statements.
func TestPreparedStatementCap(t *testing.T) {
	e := startEnv(t, 1, passThroughMap, func(c *proxy.Config) { c.MaxPreparedStatements = 5 })
	c, err := client.Connect(e.addr, "app", "app", "app")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var stmts []*client.Stmt
	for i := 0; i < 5; i++ {
		st, err := c.Prepare("SELECT ?")
		if err != nil {
			t.Fatal(err)
		}
		stmts = append(stmts, st)
	}
	_, err = c.Prepare("SELECT ?")
	if err == nil || !strings.Contains(err.Error(), "1461") {
		t.Fatalf("sixth PREPARE with a cap of 5: want error 1461, got %v", err)
	}
	if err := stmts[0].Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Prepare("SELECT ?"); err != nil {
		t.Fatalf("PREPARE after a CLOSE: %v", err)
	}
	other, err := client.Connect(e.addr, "app", "app", "app")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Prepare("SELECT ?"); err != nil {
		t.Fatalf("another session's PREPARE: %v", err)
	}
}
