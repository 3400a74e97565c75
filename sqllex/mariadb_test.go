package sqllex

import (
	"context"
	"database/sql"
	"encoding/hex"
	"flag"
	"fmt"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql"

	"github.com/shardline/shardline/internal/mariadbtest"
)

var update = flag.Bool("update", false, "rewrite tables_gen.go from the live server")

// TestMariaDB is the differential proof of this package: every check runs
// the same text on a real mariadbd and compares the server's reading with
// sqllex's. Without mariadbd it skips, or fails when CI=true.
func TestMariaDB(t *testing.T) {
	srv := mariadbtest.StartN(t, 1)[0]
	db, err := sql.Open("mysql", srv.DSN("mysql")+"?multiStatements=true")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := &server{t: t, db: db}
	s.version, s.mode = serverMode(t, db)
	t.Run("CharsetTables", s.testCharsetTables)
	t.Run("ExecutableComments", s.testExecutableComments)
	t.Run("Lexing", s.testLexing)
	t.Run("LexErrors", s.testLexErrors)
	t.Run("StringValues", s.testStringValues)
	t.Run("Quoting", s.testQuoting)
	t.Run("SplitStatements", s.testSplitStatements)
}

type server struct {
	t       *testing.T
	db      *sql.DB
	version int
	mode    Mode
}

func serverMode(t *testing.T, db *sql.DB) (int, Mode) {
	var v string
	if err := db.QueryRow("SELECT VERSION()").Scan(&v); err != nil {
		t.Fatal(err)
	}
	var major, minor, patch int
	if _, err := fmt.Sscanf(v, "%d.%d.%d", &major, &minor, &patch); err != nil {
		t.Fatalf("version %q: %v", v, err)
	}
	n := major*10000 + minor*100 + patch
	return n, Mode{ServerVersion: n, MariaDB: strings.Contains(v, "MariaDB")}
}

// session is one server connection with a charset and sql_mode.
type session struct {
	t *testing.T
	c *sql.Conn
}

func (s *server) session(t *testing.T, charset, sqlMode string) *session {
	t.Helper()
	c, err := s.db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	se := &session{t: t, c: c}
	se.exec("SET NAMES " + charset)
	se.exec("SET sql_mode = '" + sqlMode + "'")
	return se
}

func (se *session) exec(q string) {
	se.t.Helper()
	if _, err := se.c.ExecContext(context.Background(), q); err != nil {
		se.t.Fatalf("%q: %v", q, err)
	}
}

// query runs q and returns the first column name and the first row's first
// value, or the error.
func (se *session) query(q string) (col string, val []byte, err error) {
	rows, err := se.c.QueryContext(context.Background(), q)
	if err != nil {
		return "", nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", nil, err
	}
	vals := make([]any, len(cols))
	var first sql.RawBytes
	vals[0] = &first
	for i := 1; i < len(vals); i++ {
		vals[i] = new(sql.RawBytes)
	}
	if rows.Next() {
		if err := rows.Scan(vals...); err != nil {
			return "", nil, err
		}
		val = append([]byte{}, first...)
	}
	return cols[0], val, rows.Err()
}

// hexOf runs SELECT HEX(expr) and returns the server's hex digits.
func (se *session) hexOf(expr string) (string, error) {
	_, v, err := se.query("SELECT HEX(" + expr + ")")
	return string(v), err
}

func hexUpper(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }
