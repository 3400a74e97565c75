package mariadbtest

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
)

func openDB(t *testing.T, s *Server, db string) *sql.DB {
	t.Helper()
	conn, err := sql.Open("mysql", s.DSN(db)+"?timeout=2s&readTimeout=3s&writeTimeout=3s")
	if err != nil {
		t.Fatal(err)
	}
	conn.SetMaxIdleConns(0) // every query dials: no stale connection across restarts
	t.Cleanup(func() { conn.Close() })
	return conn
}

func mustExec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func countRows(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM h.t").Scan(&n); err != nil {
		t.Fatalf("count: %v", err)
	}
	return n
}

func processGone(pid int) bool {
	err := syscall.Kill(pid, 0)
	return errors.Is(err, syscall.ESRCH)
}

// TestLifecycle proves what chaos and 2PC tests rely on: two independent
// servers; kill -9 loses no committed row and Start brings the server back on
// the same port; Pause makes queries hang until Resume; Stop + Start is a
// clean restart; no mariadbd process outlives Kill or Stop.
func TestLifecycle(t *testing.T) {
	srv := StartN(t, 2)
	a, b := srv[0], srv[1]
	if a.Port == b.Port || a.DataDir == b.DataDir {
		t.Fatalf("servers share port or datadir: %+v %+v", a, b)
	}
	if want := "root@tcp(127.0.0.1:" + strconv.Itoa(a.Port) + ")/h"; a.DSN("h") != want {
		t.Fatalf("DSN = %q, want %q", a.DSN("h"), want)
	}
	dbA, dbB := openDB(t, a, ""), openDB(t, b, "")
	for _, db := range []*sql.DB{dbA, dbB} {
		mustExec(t, db, "CREATE DATABASE h")
		mustExec(t, db, "CREATE TABLE h.t (id INT PRIMARY KEY) ENGINE=InnoDB")
	}
	mustExec(t, dbA, "INSERT INTO h.t VALUES (1), (2)")

	// kill -9: the process is gone, the other server is untouched, committed data survives.
	pid := a.Pid()
	if err := a.Kill(); err != nil {
		t.Fatal(err)
	}
	if !processGone(pid) || a.Pid() != 0 {
		t.Fatalf("mariadbd pid %d still alive after Kill", pid)
	}
	if err := dbA.Ping(); err == nil {
		t.Fatal("ping succeeded on a killed server")
	}
	if n := countRows(t, dbB); n != 0 {
		t.Fatalf("server b has %d rows, want 0", n)
	}
	port := a.Port
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	if a.Port != port {
		t.Fatalf("restart changed port %d -> %d", port, a.Port)
	}
	if n := countRows(t, dbA); n != 2 {
		t.Fatalf("after kill -9 and restart: %d rows, want 2", n)
	}
	if err := a.Start(); err == nil {
		t.Fatal("Start on a running server succeeded")
	}

	// Pause: a query does not answer within its deadline; after Resume it does.
	if err := a.Pause(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	err := dbA.QueryRowContext(ctx, "SELECT 1").Scan(new(int))
	cancel()
	if err == nil {
		t.Fatal("query answered by a paused server")
	}
	if err := a.Resume(); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, dbA); n != 2 {
		t.Fatalf("after resume: %d rows, want 2", n)
	}

	// Stop + Start: clean restart keeps the datadir (StartN servers are kept).
	mustExec(t, dbA, "INSERT INTO h.t VALUES (3)")
	if err := a.Pause(); err != nil { // Stop must also work on a paused server
		t.Fatal(err)
	}
	pid = a.Pid()
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	if !processGone(pid) {
		t.Fatalf("mariadbd pid %d still alive after Stop", pid)
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, dbA); n != 3 {
		t.Fatalf("after stop and restart: %d rows, want 3", n)
	}
}

// TestStartServerRemovesTempDirOnStop checks the non-test API: a server in a
// temp dir without Keep leaves nothing behind after Stop and cannot restart.
func TestStartServerRemovesTempDirOnStop(t *testing.T) {
	Require(t)
	s, err := StartServer(Options{Name: "solo"})
	if err != nil {
		t.Fatal(err)
	}
	pid := s.Pid()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if !processGone(pid) {
		t.Fatalf("pid %d alive after Stop", pid)
	}
	if _, err := os.Stat(s.DataDir); !os.IsNotExist(err) {
		t.Fatalf("datadir %s still exists after Stop: %v", s.DataDir, err)
	}
	if err := s.Start(); err == nil {
		t.Fatal("Start after Stop without Keep succeeded")
	}
}

// TestRecreatesTCPRoot checks that a datadir without root@127.0.0.1 still
// starts: the harness recreates the account over the unix socket. Without
// it, datadirs from other install options would fail to start.
func TestRecreatesTCPRoot(t *testing.T) {
	s := StartN(t, 1)[0]
	db := openDB(t, s, "")
	mustExec(t, db, "DROP USER 'root'@'127.0.0.1'")
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	var user string
	if err := db.QueryRow("SELECT CURRENT_USER()").Scan(&user); err != nil {
		t.Fatal(err)
	}
	if user != "root@127.0.0.1" {
		t.Fatalf("CURRENT_USER() = %q, want root@127.0.0.1", user)
	}
}

// TestPortTakenByAnotherServer checks that a server whose port is already
// served by another mariadbd fails to start instead of passing its readiness
// check by talking to the other server (which would silently point a test at
// the wrong datadir).
func TestPortTakenByAnotherServer(t *testing.T) {
	a := StartN(t, 1)[0]
	s, err := StartServer(Options{Name: "clash", Port: a.Port})
	if err == nil {
		s.Stop()
		t.Fatalf("second server on port %d started", a.Port)
	}
	if !errors.Is(err, errPortInUse) {
		t.Fatalf("error does not report the port conflict: %v", err)
	}
}
