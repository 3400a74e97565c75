package proxy_test

import (
	"testing"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"
)

// TestCountDistinctAcrossShards: COUNT(DISTINCT x) over partitions on two
// servers counts each value once (by the column's collation: 'new' =
// 'NEW'), skips NULL, and comes back as a BIGINT column in both protocols.
// If it fails, values present on several shards are counted twice, or a
// prepared statement gets a column whose declared type does not match its
// value (drivers fail to scan it).
func TestCountDistinctAcrossShards(t *testing.T) {
	e := startXAEnv(t, 2, shardedMap, nil)
	db := e.db(false)
	for _, ddl := range schemaDDL {
		mustExec(t, db, ddl)
	}
	// user 4 → order_01 (s0), 5 → order_02 (s1), 6 → order_03 (s0), 7 → order_04 (s1).
	mustExec(t, db, `INSERT INTO orders (id, user_id, amount, status, name, created) VALUES
		(1, 4, 1, 'new', 'a', '2026-01-01'), (2, 5, 1, 'NEW', 'b', '2026-01-01'),
		(3, 6, 1, 'paid', 'c', '2026-01-01'), (4, 7, NULL, 'x', 'c', '2026-01-01')`)
	for q, want := range map[string]int64{
		"SELECT COUNT(DISTINCT status) FROM orders WHERE id > ?": 3,
		"SELECT COUNT(DISTINCT amount) FROM orders WHERE id > ?": 1,
		"SELECT COUNT(DISTINCT name) FROM orders WHERE id > ?":   3,
	} {
		var n int64
		if err := db.QueryRow(q, 0).Scan(&n); err != nil || n != want { // go-sql-driver, server-side prepared
			t.Errorf("%s: %d (%v), want %d", q, n, err, want)
		}
	}
	c, err := client.Connect(e.addr, "app", "app", "app")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st, err := c.Prepare("SELECT user_id % 2 AS parity, COUNT(DISTINCT status) AS n FROM orders WHERE id > ? GROUP BY parity ORDER BY parity")
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.Execute(0)
	if err != nil {
		t.Fatal(err)
	}
	if f := r.Fields[1]; f.Type != mysql.MYSQL_TYPE_LONGLONG || string(f.Name) != "n" {
		t.Fatalf("COUNT(DISTINCT) column: type %d name %q, want BIGINT (%d) named n", f.Type, f.Name, mysql.MYSQL_TYPE_LONGLONG)
	}
	even, _ := r.GetInt(0, 1)
	odd, _ := r.GetInt(1, 1)
	if even != 2 || odd != 2 { // even users: new, paid; odd users: NEW, x
		t.Fatalf("per parity: %d and %d distinct statuses, want 2 and 2", even, odd)
	}
}
