package proxy_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/shardline/shardline/xa"
)

// countOn counts rows of a physical table directly on server i.
func countOn(t *testing.T, e *env, i int, table string) int {
	t.Helper()
	var n int
	if err := e.direct(i, "app").QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatalf("count %s on server %d: %v", table, i, err)
	}
	return n
}

// TestShardedPlacement creates the logical tables through the proxy and
// loads rows, then looks at every physical table directly. If it fails, rows
// land in the wrong partition (and key lookups would miss them).
func TestShardedPlacement(t *testing.T) {
	e := startXAEnv(t, 2, shardedMap, nil)
	db := e.db(false)
	for _, ddl := range schemaDDL {
		mustExec(t, db, ddl)
	}
	loadData(t, db)
	// orders: mod(user_id) over 4 partitions; partition i is order_0{i+1} on server i%2.
	want := make([]int, 4)
	for i := 1; i <= 400; i++ {
		want[(1+(i*7)%50)%4]++
	}
	for p := 0; p < 4; p++ {
		if got := countOn(t, e.env, p%2, fmt.Sprintf("order_%02d", p+1)); got != want[p] {
			t.Errorf("order_%02d holds %d rows, want %d", p+1, got, want[p])
		}
	}
	// events_r: range(id) with uppers 100/200/300: 100 rows in each partition.
	for p := 0; p < 4; p++ {
		if got := countOn(t, e.env, p%2, fmt.Sprintf("events_%02d", p+1)); got != 100 {
			t.Errorf("events_%02d holds %d rows, want 100", p+1, got)
		}
	}
	// users_h: hash partitions together hold every row, and a point lookup finds each.
	total := 0
	for p := 0; p < 4; p++ {
		total += countOn(t, e.env, p%2, fmt.Sprintf("users_%02d", p+1))
	}
	if total != 200 {
		t.Errorf("users partitions hold %d rows, want 200", total)
	}
	for i := 1; i <= 200; i += 37 {
		var city string
		if err := db.QueryRow("SELECT city FROM users_h WHERE id = ?", i*1000+i).Scan(&city); err != nil {
			t.Errorf("point lookup of users_h id %d: %v", i*1000+i, err)
		}
	}
	// countries: broadcast, a full copy on both servers.
	for s := 0; s < 2; s++ {
		if got := countOn(t, e.env, s, "countries"); got != 5 {
			t.Errorf("countries on server %d: %d rows, want 5", s, got)
		}
	}
}

// TestUnsupportedIsRejected checks that statements the router cannot run
// correctly are refused with error 1235 naming the construct, and that the
// session keeps working. If it fails, such statements could reach a wrong or
// partial set of shards.
func TestUnsupportedIsRejected(t *testing.T) {
	e := startXAEnv(t, 2, shardedMap, nil)
	db := e.db(true)
	for _, ddl := range schemaDDL {
		mustExec(t, db, ddl)
	}
	for _, q := range []string{
		"UPDATE orders SET user_id = 3 WHERE id = 1",
		"SELECT * FROM orders o JOIN users_h u ON o.user_id = u.id",
	} {
		_, err := db.Exec(q)
		mysqlErr(t, err, 1235, "42000")
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM orders").Scan(&n); err != nil {
		t.Fatal(err)
	}
}

// TestCrossShardTransaction reproduces the origin example: one transaction
// inserts into a partition on each server and commits atomically; another
// is rolled back. If it fails, a commit is partial or a rollback leaks.
func TestCrossShardTransaction(t *testing.T) {
	e := startXAEnv(t, 2, shardedMap, nil)
	db := e.db(false)
	for _, ddl := range schemaDDL {
		mustExec(t, db, ddl)
	}
	ctx := context.Background()
	for _, commit := range []bool{true, false} {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		base := 1000
		if !commit {
			base = 2000
		}
		mustExec(t, tx, "INSERT INTO orders (id, user_id, amount, status, name, created) VALUES (?, 4, 1.00, 'new', 'a', '2026-01-01')", base+1) // order_01 on s0
		mustExec(t, tx, "INSERT INTO orders (id, user_id, amount, status, name, created) VALUES (?, 5, 2.00, 'new', 'b', '2026-01-01')", base+2) // order_02 on s1
		if commit {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if a, b := countOn(t, e.env, 0, "order_01"), countOn(t, e.env, 1, "order_02"); a != 1 || b != 1 {
		t.Fatalf("after one commit and one rollback: order_01 has %d rows, order_02 %d; want 1 and 1", a, b)
	}
	assertNoXA(t, e.env)
	// A multi-row INSERT spanning shards outside a transaction is atomic too:
	// a duplicate key on one shard must undo the rows of the other.
	_, err := db.Exec("INSERT INTO orders (id, user_id, amount, status, name, created) VALUES (3001, 8, 1, 'new', 'c', '2026-01-01'), (1002, 5, 1, 'new', 'd', '2026-01-01')")
	mysqlErr(t, err, 1062, "23000")
	if n := countOn(t, e.env, 0, "order_01"); n != 1 {
		t.Fatalf("failed multi-shard INSERT left %d rows in order_01, want 1", n)
	}
	assertNoXA(t, e.env)
}

// assertNoXA fails if a prepared XA branch is left on any server.
func assertNoXA(t *testing.T, e *env) {
	t.Helper()
	for i := range e.servers {
		rows, err := e.direct(i, "").Query("XA RECOVER")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		rows.Close()
		if n != 0 {
			t.Fatalf("server %d has %d prepared XA branches left", i, n)
		}
	}
}

// TestCommitFailpoints injects a coordinator crash at every step of a
// two-phase commit. Before the decision the transaction must end rolled
// back on every shard; after it, committed on every shard — never mixed.
// If it fails, a crash at the wrong moment loses atomicity.
func TestCommitFailpoints(t *testing.T) {
	var armed atomicString
	e := startXAEnv(t, 2, shardedMap, func(c *xa.Config) {
		c.Failpoint = func(name string) error {
			if armed.Load() == name {
				return errors.New("injected crash at " + name)
			}
			return nil
		}
	})
	db := e.db(false)
	for _, ddl := range schemaDDL {
		mustExec(t, db, ddl)
	}
	runs := 20
	if testing.Short() {
		runs = 3
	}
	id := 10000
	for _, fp := range []struct {
		name   string
		commit bool
	}{{"before-prepare", false}, {"after-prepare", false}, {"before-decision", false},
		{"after-decision", true}, {"between-commits", true}, {"after-commit", true}} {
		for r := 0; r < runs; r++ {
			armed.Store(fp.name)
			id += 2
			tx, err := db.Begin()
			if err != nil {
				t.Fatal(err)
			}
			mustExec(t, tx, "INSERT INTO orders (id, user_id, amount, status, name, created) VALUES (?, 4, 1, 'new', 'fp', '2026-01-01')", id)
			mustExec(t, tx, "INSERT INTO orders (id, user_id, amount, status, name, created) VALUES (?, 5, 1, 'new', 'fp', '2026-01-01')", id+1)
			cerr := tx.Commit()
			armed.Store("")
			e.resolve(t)
			a := countWhere(t, e.direct(0, "app"), "order_01", id)
			b := countWhere(t, e.direct(1, "app"), "order_02", id+1)
			if a != b {
				t.Fatalf("%s run %d: mixed outcome: order_01 has %d, order_02 has %d (commit error: %v)", fp.name, r, a, b, cerr)
			}
			if got := a == 1; got != fp.commit {
				t.Fatalf("%s run %d: committed=%v, want %v (commit error: %v)", fp.name, r, got, fp.commit, cerr)
			}
			if !fp.commit && cerr == nil {
				t.Fatalf("%s run %d: rolled back but the client was told COMMIT succeeded", fp.name, r)
			}
		}
	}
	assertNoXA(t, e.env)
}

func countWhere(t *testing.T, db *sql.DB, table string, id int) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM "+table+" WHERE id = ?", id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSavepointsAcrossShards: savepoints pass through on one shard and are
// refused clearly once the transaction spans shards.
func TestSavepointsAcrossShards(t *testing.T) {
	e := startXAEnv(t, 2, shardedMap, nil)
	db := e.db(false)
	for _, ddl := range schemaDDL {
		mustExec(t, db, ddl)
	}
	ctx := context.Background()
	conn, _ := db.Conn(ctx)
	defer conn.Close()
	mustExec(t, conn, "BEGIN")
	mustExec(t, conn, "INSERT INTO orders (id, user_id, amount, status, name, created) VALUES (1, 4, 1, 'new', 'a', '2026-01-01')")
	mustExec(t, conn, "SAVEPOINT s1")
	mustExec(t, conn, "INSERT INTO orders (id, user_id, amount, status, name, created) VALUES (2, 4, 1, 'new', 'a', '2026-01-01')")
	mustExec(t, conn, "ROLLBACK TO SAVEPOINT s1")
	mustExec(t, conn, "INSERT INTO orders (id, user_id, amount, status, name, created) VALUES (3, 5, 1, 'new', 'a', '2026-01-01')")
	_, err := conn.ExecContext(ctx, "SAVEPOINT s2")
	me := mysqlErr(t, err, 1235, "")
	if !strings.Contains(strings.ToLower(me.Message), "savepoint") {
		t.Errorf("error does not name savepoints: %s", me.Message)
	}
	mustExec(t, conn, "COMMIT")
	var ids []int
	rows, err := db.Query("SELECT id FROM orders ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int
		rows.Scan(&id)
		ids = append(ids, id)
	}
	if fmt.Sprint(ids) != "[1 3]" {
		t.Fatalf("rows after savepoint rollback and commit: %v, want [1 3]", ids)
	}
}

var _ = gomysql.ErrInvalidConn

// TestShowWithLogicalNames: SHOW TABLES lists logical tables (not
// partitions), SHOW CREATE TABLE and SHOW INDEX name the logical table,
// EXPLAIN FORMAT=SHARDLINE shows the targets, and SELECT * with ORDER BY
// and LIMIT across shards works. If it fails, tools that introspect the
// schema see physical partitions.
func TestShowWithLogicalNames(t *testing.T) {
	e := startXAEnv(t, 2, shardedMap, nil)
	db := e.db(true)
	for _, ddl := range schemaDDL {
		mustExec(t, db, ddl)
	}
	loadData(t, db)
	tables, err := queryStrings(db, "SHOW TABLES")
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(tables)
	for _, want := range []string{"orders", "users_h", "countries"} {
		if !strings.Contains(got, want) {
			t.Errorf("SHOW TABLES lacks %s: %s", want, got)
		}
	}
	if strings.Contains(got, "order_0") {
		t.Errorf("SHOW TABLES shows partitions: %s", got)
	}
	var name, create string
	if err := db.QueryRow("SHOW CREATE TABLE orders").Scan(&name, &create); err != nil {
		t.Fatal(err)
	}
	if name != "orders" || !strings.HasPrefix(create, "CREATE TABLE `orders`") {
		t.Errorf("SHOW CREATE TABLE orders: %q %q", name, create[:min(40, len(create))])
	}
	idx, err := queryStrings(db, "SHOW INDEX FROM orders")
	if err != nil || len(idx) == 0 || idx[0][0] != "orders" {
		t.Errorf("SHOW INDEX FROM orders: %v %v", idx, err)
	}
	plan, err := queryStrings(db, "EXPLAIN FORMAT=SHARDLINE SELECT * FROM orders WHERE user_id = 5")
	if err != nil || len(plan) != 1 || !strings.Contains(fmt.Sprint(plan), "order_02") {
		t.Errorf("EXPLAIN FORMAT=SHARDLINE of a point select: %v %v", plan, err)
	}
	rows, err := queryStrings(db, "SELECT * FROM orders ORDER BY amount DESC, id LIMIT 3")
	if err != nil || len(rows) != 3 || len(rows[0]) != 6 {
		t.Errorf("SELECT * ... ORDER BY LIMIT across shards: %v %v", rows, err)
	}
}

// TestSharedLockReads: LOCK IN SHARE MODE on sharded tables works on one
// partition and scattered, inside a transaction; MySQL 8's FOR SHARE gets
// the syntax error MariaDB 10.11 gives (the proxy sends what the client
// wrote). If it fails, the locking reads that give consistent cross-shard
// snapshots (xa/DESIGN.md, fact 10) are unusable.
func TestSharedLockReads(t *testing.T) {
	e := startXAEnv(t, 2, shardedMap, nil)
	db := e.db(false)
	for _, ddl := range schemaDDL {
		mustExec(t, db, ddl)
	}
	loadData(t, db)
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, q := range []string{
		"SELECT COUNT(*) FROM orders WHERE user_id = 4 LOCK IN SHARE MODE",
		"SELECT COUNT(*) FROM orders LOCK IN SHARE MODE",
		"SELECT SUM(user_id) FROM orders WHERE user_id IN (4, 5) LOCK IN SHARE MODE",
	} {
		var n int
		if err := tx.QueryRow(q).Scan(&n); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	var n int
	err = tx.QueryRow("SELECT COUNT(*) FROM orders WHERE user_id = 4 FOR SHARE").Scan(&n)
	mysqlErr(t, err, 1064, "42000")
}

// TestInsertWithoutColumnList: an INSERT into a sharded table that names no
// columns (mysqldump --skip-add-locks output, ad hoc statements) is routed
// by the table's columns as the shard reports them, row by row. If it
// fails, such INSERTs are refused, or rows land on the wrong shard.
func TestInsertWithoutColumnList(t *testing.T) {
	e := startXAEnv(t, 2, shardedMap, nil)
	db := e.db(false)
	for _, ddl := range schemaDDL {
		mustExec(t, db, ddl)
	}
	// orders: id, user_id, amount, status, name, created; mod(user_id) over order_01..04.
	mustExec(t, db, "INSERT INTO orders VALUES (1, 4, 1.00, 'new', 'a', '2026-01-01'), (2, 5, 2.00, 'new', 'b', '2026-01-01'), (3, 6, 3.00, 'new', 'c', '2026-01-01')")
	mustExec(t, db, "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?)", 4, 7, 4.00, "new", "d", "2026-01-01")
	for table, want := range map[string]int{"order_01": 1, "order_02": 1, "order_03": 1, "order_04": 1} {
		i := 0
		if table == "order_02" || table == "order_04" {
			i = 1
		}
		if n := countOn(t, e.env, i, table); n != want {
			t.Errorf("%s has %d rows, want %d", table, n, want)
		}
	}
	_, err := db.Exec("INSERT INTO orders VALUES (9, 8, 1.00)")
	mysqlErr(t, err, 1136, "21S01")

	// The columns are cached. Reorder them directly on the shards (behind
	// the proxy's back): the physical INSERT names the columns it assumed,
	// so the row is stored under the shard key it was routed by.
	for i, tables := range [][]string{{"order_01", "order_03"}, {"order_02", "order_04"}} {
		for _, tb := range tables {
			mustExec(t, e.direct(i, "app"), "ALTER TABLE "+tb+" MODIFY amount DECIMAL(10,2) NULL FIRST")
		}
	}
	mustExec(t, db, "INSERT INTO orders VALUES (5, 8, 5.00, 'new', 'e', '2026-01-01')") // user 8 → order_01 on s0
	var uid int
	if err := e.direct(0, "app").QueryRow("SELECT user_id FROM order_01 WHERE id = 5").Scan(&uid); err != nil || uid != 8 {
		t.Fatalf("row 5 in order_01: user_id %d (%v), want 8: stored under another shard key than it was routed by", uid, err)
	}
	assertNoXA(t, e.env)
}
