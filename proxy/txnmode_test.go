package proxy_test

import (
	"context"
	"testing"
)

// TestTransactionModes: isolation levels and READ ONLY transactions work as
// on one MariaDB server. If it fails, SET SESSION TRANSACTION ISOLATION
// LEVEL (and JDBC's setTransactionIsolation) fails with 1193, or a READ
// ONLY transaction can write.
func TestTransactionModes(t *testing.T) {
	e := startXAEnv(t, 2, shardedMap, nil)
	db := e.db(false)
	for _, ddl := range schemaDDL {
		mustExec(t, db, ddl)
	}
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	mustExec(t, conn, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
	var level string
	if err := conn.QueryRowContext(ctx, "SELECT @@tx_isolation").Scan(&level); err != nil || level != "READ-COMMITTED" {
		t.Fatalf("after SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED: @@tx_isolation = %q (%v)", level, err)
	}
	mustExec(t, conn, "START TRANSACTION READ ONLY")
	var n int
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM orders").Scan(&n); err != nil {
		t.Fatalf("a read in a READ ONLY transaction: %v", err)
	}
	for _, q := range []string{
		"INSERT INTO orders (id, user_id, amount, status, name, created) VALUES (1, 4, 1, 'new', 'a', '2026-01-01')",
		"UPDATE orders SET amount = 2",
	} {
		_, err := conn.ExecContext(ctx, q)
		mysqlErr(t, err, 1792, "25006")
	}
	mustExec(t, conn, "COMMIT")
	mustExec(t, conn, "INSERT INTO orders (id, user_id, amount, status, name, created) VALUES (1, 4, 1, 'new', 'a', '2026-01-01')")
}
