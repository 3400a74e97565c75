package proxy_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"
)

// lastIDStep is one statement of the LAST_INSERT_ID differential script.
type lastIDStep struct {
	sql      string
	args     []any // non-nil: run as a server-side prepared statement
	prepared bool  // a prepared statement without arguments
	scalar   bool  // a query whose single value is an id
}

// lastIDScript mixes generated and explicit ids in every form the proxy
// fills in: missing column, NULL, 0, DEFAULT, prepared with NULL, multi-row,
// mixed explicit and generated rows, a statement that fails, statements
// that insert nothing, LAST_INSERT_ID() inside an INSERT.
var lastIDScript = []lastIDStep{
	{sql: "SELECT 1"},
	{sql: "INSERT INTO tickets (title) VALUES ('a1')"},
	{sql: "INSERT INTO tickets (title) VALUES ('b1'), ('b2'), ('b3')"},
	{sql: "INSERT INTO tickets (id, title) VALUES (1000000, 'c1')"},
	{sql: "INSERT INTO tickets (id, title) VALUES (NULL, 'd1')"},
	{sql: "INSERT INTO tickets (title, id) VALUES (?, ?)", args: []any{"e1", nil}},
	{sql: "INSERT INTO tickets (title) VALUES (?)", args: []any{"f1"}},
	{sql: "INSERT INTO tickets (title, id) VALUES (?, ?)", args: []any{"g1", 2000000}},
	{sql: "INSERT INTO tickets (id, title) VALUES (0, 'h1')"},
	{sql: "UPDATE tickets SET title = title WHERE id = 1000000"},
	{sql: "INSERT INTO tickets (id, title) VALUES (NULL, 'i1'), (3000000, 'i2'), (DEFAULT, 'i3')"},
	{sql: "INSERT INTO tickets (id, title) VALUES (1000000, 'dup')"},
	{sql: "INSERT INTO tickets (title) VALUES (?), (?)", args: []any{"j1", "j2"}},
	{sql: "INSERT INTO tickets SET title = 'k1'"},
	{sql: "INSERT INTO tickets (id, title) VALUES (4000000, 'l1')"},
	{sql: "INSERT INTO tickets (id, title) VALUES (5000001, 'm1'), (5000002, 'm2')"},
	{sql: "BEGIN"},
	{sql: "INSERT INTO tickets (title) VALUES ('n1'), ('n2')"},
	{sql: "INSERT INTO tickets (id, title) VALUES (6000000, 'o1')"},
	{sql: "COMMIT"},
	{sql: "INSERT INTO kids (parent) VALUES (LAST_INSERT_ID())"},
	{sql: "SELECT MAX(parent) FROM kids", scalar: true},
	{sql: "SELECT LAST_INSERT_ID()", prepared: true},
}

// lastIDObs is what a client sees after one step, ids named by their row.
type lastIDObs struct {
	okID    string // insert id of the OK packet ("-" for a result set)
	errCode uint16
	lastID  string // SELECT LAST_INSERT_ID(), @@identity, @@last_insert_id
}

// runLastIDScript runs the script on one connection and names every id by
// the title of its row (ids differ between the proxy and MariaDB; which row
// they point to must not).
func runLastIDScript(t *testing.T, db *sql.DB) []lastIDObs {
	t.Helper()
	ctx := context.Background()
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var raw [][4]int64
	var codes []uint16
	for _, s := range lastIDScript {
		var okID int64 = -1
		var code uint16
		switch {
		case s.prepared:
			st, err := c.PrepareContext(ctx, s.sql)
			if err == nil {
				err = st.QueryRowContext(ctx).Scan(&okID)
				st.Close()
			}
			if err != nil {
				t.Fatalf("%s: %v", s.sql, err)
			}
			okID = -2 - okID // a result set: keep the value apart from OK ids
		case s.scalar:
			if err := c.QueryRowContext(ctx, s.sql).Scan(&okID); err != nil {
				t.Fatalf("%s: %v", s.sql, err)
			}
			okID = -2 - okID
		case strings.HasPrefix(s.sql, "SELECT"):
			rows, err := c.QueryContext(ctx, s.sql)
			if err != nil {
				t.Fatalf("%s: %v", s.sql, err)
			}
			rows.Close()
		default:
			res, err := c.ExecContext(ctx, s.sql, s.args...)
			var me *gomysql.MySQLError
			switch {
			case errors.As(err, &me):
				code = me.Number
			case err != nil:
				t.Fatalf("%s: %v", s.sql, err)
			default:
				okID, _ = res.LastInsertId()
			}
		}
		var a, b, d int64
		if err := c.QueryRowContext(ctx, "SELECT LAST_INSERT_ID(), @@identity, @@last_insert_id").Scan(&a, &b, &d); err != nil {
			t.Fatal(err)
		}
		raw = append(raw, [4]int64{okID, a, b, d})
		codes = append(codes, code)
	}
	titles := map[int64]string{0: "0"}
	rows, err := c.QueryContext(ctx, "SELECT id, title FROM tickets")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var title string
		if err := rows.Scan(&id, &title); err != nil {
			t.Fatal(err)
		}
		titles[id] = "row " + title
	}
	rows.Close()
	name := func(id int64) string {
		switch {
		case id == -1:
			return "-"
		case id <= -2:
			return "result " + name0(titles, -2-id)
		}
		return name0(titles, id)
	}
	out := make([]lastIDObs, len(raw))
	for i, r := range raw {
		last := name(r[1])
		if r[2] != r[1] || r[3] != r[1] {
			last = fmt.Sprintf("%s / %s / %s", name(r[1]), name(r[2]), name(r[3]))
		}
		out[i] = lastIDObs{okID: name(r[0]), errCode: codes[i], lastID: last}
	}
	return out
}

func name0(titles map[int64]string, id int64) string {
	if s, ok := titles[id]; ok {
		return s
	}
	return fmt.Sprintf("id %d (no row)", id)
}

// TestLastInsertIDMatchesMariaDB runs the same statements on one
// connection through the proxy (a sharded table with a global sequence)
// and on a plain MariaDB table with AUTO_INCREMENT, and compares after each
// statement the OK packet's insert id and LAST_INSERT_ID() / @@identity /
// @@last_insert_id — by the row each id belongs to, since the values
// differ. If it fails, an application reading the id of the row it just
// inserted (the OK packet or LAST_INSERT_ID()) gets another row's id
// through Shardline.
func TestLastInsertIDMatchesMariaDB(t *testing.T) {
	e := startSeqEnv(t)
	n := startSeqNode(t, e, 50)
	ref := e.direct(0, "")
	mustExec(t, ref, "CREATE DATABASE ref")
	mustExec(t, ref, "CREATE TABLE ref.tickets (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, title VARCHAR(64) NOT NULL) ENGINE=InnoDB")
	mustExec(t, ref, "CREATE TABLE ref.kids (parent BIGINT NOT NULL) ENGINE=InnoDB")
	mustExec(t, e.db(false), "CREATE TABLE kids (parent BIGINT NOT NULL) ENGINE=InnoDB") // unsharded
	want := runLastIDScript(t, e.direct(0, "ref"))
	got := runLastIDScript(t, openDB(t, n.addr, false))
	for i, s := range lastIDScript {
		if got[i] != want[i] {
			t.Errorf("step %d %s %v:\n proxy   %+v\n mariadb %+v", i, s.sql, s.args, got[i], want[i])
		}
	}
	if t.Failed() {
		for i := range want {
			t.Logf("%2d %-80s mariadb %+v", i, lastIDScript[i].sql, want[i])
		}
	}
}
