package proxy_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
)

// openWithCollation opens the proxy with a handshake collation.
func openWithCollation(t *testing.T, e *env, collation string) *sql.DB {
	t.Helper()
	cfg := gomysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = "app", "app", "tcp", e.addr, "app"
	cfg.Collation = collation
	cfg.Timeout = 5 * time.Second
	connector, err := gomysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	t.Cleanup(func() { db.Close() })
	return db
}

// TestClientCharsets: the handshake's collation becomes the session's
// character set and collation (koi8r, cp1251, latin1_general_ci, cp1257_bin
// ... as on the server), and a client character set in which a multibyte
// character can contain '\' or a quote (gbk, big5, sjis, cp932) is refused
// with 1231, at the handshake and at SET NAMES. If it fails, text of such
// clients is garbled, or the proxy reads a statement's strings otherwise
// than the server (the gbk injection: 0xBF 0x5C 0x27).
func TestClientCharsets(t *testing.T) {
	e := startEnv(t, 1, passThroughMap, nil)
	mustExec(t, e.direct(0, "app"), "CREATE TABLE words (id INT PRIMARY KEY, w VARCHAR(32) CHARACTER SET utf8mb4)")
	ctx := context.Background()
	for i, tc := range []struct {
		collation, word string // word in the collation's charset
		utf8            string
	}{
		{"koi8r_general_ci", "\xd0\xd2\xc9\xd7\xc5\xd4", "привет"},
		{"cp1251_general_ci", "\xef\xf0\xe8\xe2\xe5\xf2", "привет"},
		{"latin1_general_ci", "caf\xe9", "café"},
		{"cp1257_bin", "\xe0\xe8", "ąč"},
	} {
		db := openWithCollation(t, e, tc.collation)
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatalf("%s: %v", tc.collation, err)
		}
		var coll string
		if err := conn.QueryRowContext(ctx, "SELECT @@collation_connection").Scan(&coll); err != nil || coll != tc.collation {
			t.Errorf("handshake collation %s: @@collation_connection = %q (%v)", tc.collation, coll, err)
		}
		if _, err := conn.ExecContext(ctx, "INSERT INTO words VALUES (?, '"+tc.word+"')", i); err != nil {
			t.Fatalf("%s: %v", tc.collation, err)
		}
		conn.Close()
		var got string
		if err := e.direct(0, "app").QueryRow("SELECT w FROM words WHERE id = ?", i).Scan(&got); err != nil || got != tc.utf8 {
			t.Errorf("%s: stored %q (%v), want %q", tc.collation, got, err, tc.utf8)
		}
	}
	for _, coll := range []string{"gbk_chinese_ci", "big5_chinese_ci", "sjis_japanese_ci", "cp932_japanese_ci"} {
		err := openWithCollation(t, e, coll).Ping()
		mysqlErr(t, err, 1231, "42000")
	}
	conn, err := e.db(false).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{"SET NAMES gbk", "SET NAMES 'big5'", "SET CHARACTER SET sjis", "SET character_set_client = gbk"} {
		_, err := conn.ExecContext(ctx, q)
		mysqlErr(t, err, 1231, "42000")
	}
	mustExec(t, conn, "SET NAMES latin1")
	var cs string
	if err := conn.QueryRowContext(ctx, "SELECT @@character_set_client").Scan(&cs); err != nil || cs != "latin1" {
		t.Fatalf("after SET NAMES latin1: %q %v", cs, err)
	}
}
