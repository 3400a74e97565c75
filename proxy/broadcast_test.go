package proxy_test

import (
	"testing"
	"time"
)

// TestBroadcastCopiesStayEqual: a write to a broadcast table runs on every
// shard; whatever it computes must be the same on every copy, and the
// client sees one copy's affected rows, as on one server. If it fails, the
// copies of a broadcast table hold different rows after one statement.
func TestBroadcastCopiesStayEqual(t *testing.T) {
	e := startXAEnv(t, 2, shardedMap, nil)
	db := e.db(false)
	mustExec(t, db, `CREATE TABLE countries (code CHAR(2) PRIMARY KEY, name VARCHAR(32) NOT NULL,
		added DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), seen DATETIME(6) NULL) ENGINE=InnoDB`)
	r := mustExec(t, db, "INSERT INTO countries (code, name) VALUES ('no', 'Norway'), ('pe', 'Peru')")
	if n, _ := r.RowsAffected(); n != 2 {
		t.Errorf("INSERT of 2 rows into a broadcast table: %d rows affected, want 2 (one copy's count)", n)
	}
	time.Sleep(2 * time.Millisecond) // the copies' clocks move on between the two shards' writes
	r = mustExec(t, db, "UPDATE countries SET seen = NOW(6) WHERE code = 'no'")
	if n, _ := r.RowsAffected(); n != 1 {
		t.Errorf("UPDATE of one row of a broadcast table: %d rows affected, want 1", n)
	}
	read := func(i int) string {
		var added, seen string
		if err := e.direct(i, "app").QueryRow("SELECT added, seen FROM countries WHERE code = 'no'").Scan(&added, &seen); err != nil {
			t.Fatal(err)
		}
		return added + " " + seen
	}
	if a, b := read(0), read(1); a != b {
		t.Errorf("copies differ: shard 0 has %s, shard 1 has %s", a, b)
	}
	for _, q := range []string{
		"INSERT INTO countries (code, name) VALUES ('xx', UUID())",
		"UPDATE countries SET name = RAND()",
		"DELETE FROM countries ORDER BY RAND() LIMIT 1",
		"DELETE FROM countries LIMIT 1",
		"INSERT INTO countries (code, name, seen) VALUES ('yy', 'y', SYSDATE())",
	} {
		_, err := db.Exec(q)
		mysqlErr(t, err, 1235, "42000")
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM countries").Scan(&n); err != nil || n != 2 {
		t.Fatalf("after the refused writes: %d rows (%v), want 2", n, err)
	}
}
