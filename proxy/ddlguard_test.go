package proxy_test

import (
	"context"
	"database/sql/driver"
	"testing"
	"time"
)

// TestDDLWaitsForInDoubtBranch leaves a prepared Shardline branch on one
// shard (its connection gone, so it holds no metadata lock), then runs DDL
// on the table through the proxy: the DDL must be refused while the branch
// is in doubt and succeed once the resolver has finished it. If it fails,
// an ALTER could rebuild a table under a prepared branch's row locks
// (xa/DESIGN.md, fact 5).
func TestDDLWaitsForInDoubtBranch(t *testing.T) {
	e := startXAEnv(t, 2, shardedMap, nil)
	e.srv.SetDDLInDoubtWait(500 * time.Millisecond)
	db := e.db(false)
	for _, ddl := range schemaDDL {
		mustExec(t, db, ddl)
	}
	ctx := context.Background()
	conn, err := e.direct(1, "app").Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	xid := "'shl:n9:1:1','s1',21320" // Shardline's format id 0x5348
	for _, q := range []string{"XA START " + xid, "INSERT INTO order_02 (id, user_id, status, name, created) VALUES (1, 5, 'new', 'x', '2026-01-01')",
		"XA END " + xid, "XA PREPARE " + xid} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	conn.Raw(func(any) error { return errBadConnForTest }) // drop the connection: the branch stays prepared
	conn.Close()

	_, err = db.Exec("ALTER TABLE orders ADD COLUMN note VARCHAR(10)")
	mysqlErr(t, err, 1205, "")
	e.resolve(t) // no decision recorded: the resolver aborts it after its prepare timeout
	mustExec(t, db, "ALTER TABLE orders ADD COLUMN note VARCHAR(10)")
	assertNoXA(t, e.env)
}

// errBadConnForTest makes database/sql discard a connection.
var errBadConnForTest = driverErrBadConn
var driverErrBadConn = driver.ErrBadConn
