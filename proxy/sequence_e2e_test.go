package proxy_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/shardline/shardline/internal/mariadbtest"
	"github.com/shardline/shardline/proxy"
	"github.com/shardline/shardline/router"
)

// seqMap is shardedMap plus two tables with global sequences:
//
//	tickets  mod(id), auto_increment id        ticket_01..04 on s0,s1,s0,s1
//	notes    hash(user_id), auto_increment id  note_01..04
func seqMap(servers []*mariadbtest.Server) *router.ShardMap {
	m := shardedMap(servers)
	parts := func(prefix string) []router.Partition {
		var ps []router.Partition
		for i := 0; i < 4; i++ {
			ps = append(ps, router.Partition{Shard: fmt.Sprintf("s%d", i%2), Table: fmt.Sprintf("%s_%02d", prefix, i+1)})
		}
		return ps
	}
	m.Schemas["app"].Tables["tickets"] = &router.TableRule{ShardKey: "id", Algorithm: router.AlgoMod, AutoIncrement: "id", Partitions: parts("ticket")}
	m.Schemas["app"].Tables["notes"] = &router.TableRule{ShardKey: "user_id", Algorithm: router.AlgoHash, AutoIncrement: "id", Partitions: parts("note")}
	return m
}

var seqDDL = []string{
	`CREATE TABLE tickets (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, title VARCHAR(64) NOT NULL) ENGINE=InnoDB`,
	`CREATE TABLE notes (id BIGINT NOT NULL AUTO_INCREMENT, user_id BIGINT NOT NULL, body VARCHAR(64) NOT NULL,
		PRIMARY KEY (id, user_id)) ENGINE=InnoDB`,
}

// seqNode is one more proxy node over the env's servers, map and Raft
// node, with its own sequence cache: two seqNodes are two Shardline nodes.
type seqNode struct {
	srv  *proxy.Server
	addr string
	once sync.Once
}

func (n *seqNode) stop() { n.once.Do(func() { _ = n.srv.Close() }) }

func startSeqNode(t *testing.T, e *xaEnv, block uint64) *seqNode {
	t.Helper()
	return startSeqNodeOn(t, e, e.meta, block)
}

// startSeqNodeOn is startSeqNode with sequences from alloc (a node of
// another Raft group).
func startSeqNodeOn(t *testing.T, e *xaEnv, alloc proxy.BlockAllocator, block uint64) *seqNode {
	t.Helper()
	maps := &staticMap{}
	maps.m.Store(seqMap(e.servers))
	cfg := proxy.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.Users = []proxy.User{{Name: "app", Password: "app"}}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := proxy.NewServer(cfg, proxy.Deps{Map: maps, Planner: router.NewPlanner(), Logger: log,
		Txns: proxy.XATxns(e.coord), Sequences: proxy.NewSequences(alloc, block)})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve() }()
	n := &seqNode{srv: srv, addr: srv.Addr()}
	t.Cleanup(n.stop)
	return n
}

// startSeqEnv is two MariaDB servers, a Raft node and the seq tables,
// created through the env's proxy.
func startSeqEnv(t *testing.T) *xaEnv {
	t.Helper()
	e := startXAEnv(t, 2, seqMap, nil)
	db := e.db(false)
	for _, q := range seqDDL {
		mustExec(t, db, q)
	}
	return e
}

// openDB opens database/sql on a proxy address, database app.
func openDB(t *testing.T, addr string, interpolate bool) *sql.DB {
	t.Helper()
	cfg := gomysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = "app", "app", "tcp", addr, "app"
	cfg.InterpolateParams = interpolate
	cfg.Timeout = 5 * time.Second
	connector, err := gomysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	t.Cleanup(func() { db.Close() })
	return db
}

// idsByTitle reads every ticket through db.
func idsByTitle(t *testing.T, db *sql.DB) map[string]int64 {
	t.Helper()
	rows, err := db.Query("SELECT id, title FROM tickets")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	seen := map[int64]string{}
	for rows.Next() {
		var id int64
		var title string
		if err := rows.Scan(&id, &title); err != nil {
			t.Fatal(err)
		}
		if other, dup := seen[id]; dup {
			t.Fatalf("id %d given to %q and %q", id, other, title)
		}
		seen[id] = title
		out[title] = id
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// insertCase is one way of inserting rows with generated ids.
type insertCase struct {
	name string
	rows int
	exec func(ctx context.Context, c *sql.Conn, titles []string) (sql.Result, error)
}

var insertCases = []insertCase{
	{name: "text single", rows: 1, exec: func(ctx context.Context, c *sql.Conn, ti []string) (sql.Result, error) {
		return c.ExecContext(ctx, fmt.Sprintf("INSERT INTO tickets (title) VALUES ('%s')", ti[0]))
	}},
	{name: "text multi with NULL and 0", rows: 3, exec: func(ctx context.Context, c *sql.Conn, ti []string) (sql.Result, error) {
		return c.ExecContext(ctx, fmt.Sprintf("INSERT INTO tickets (id, title) VALUES (NULL, '%s'), (0, '%s'), (DEFAULT, '%s')", ti[0], ti[1], ti[2]))
	}},
	{name: "prepared id NULL", rows: 1, exec: func(ctx context.Context, c *sql.Conn, ti []string) (sql.Result, error) {
		return c.ExecContext(ctx, "INSERT INTO tickets (title, id) VALUES (?, ?)", ti[0], nil)
	}},
	{name: "prepared multi without id", rows: 2, exec: func(ctx context.Context, c *sql.Conn, ti []string) (sql.Result, error) {
		return c.ExecContext(ctx, "INSERT INTO tickets (title) VALUES (?), (?)", ti[0], ti[1])
	}},
}

// TestSequenceConcurrentNodes: two proxy nodes (own sequence caches, small
// blocks so they go back to Raft often) and many connections insert rows
// with generated ids in every form (text, prepared, NULL, 0, DEFAULT,
// missing column, multi-row). Every id is unique, each statement's rows
// have consecutive ids starting at its insert id, and every row sits in the
// partition its id routes to. If it fails, global sequences hand out an id
// twice, multi-row inserts get ids a driver cannot compute, or a generated
// shard key does not route its row.
func TestSequenceConcurrentNodes(t *testing.T) {
	e := startSeqEnv(t)
	nodes := []*seqNode{startSeqNode(t, e, 5), startSeqNode(t, e, 5)}
	res := concurrentInserts(t, "", []string{nodes[0].addr, nodes[1].addr}, 6, 12)
	checkInserts(t, e, openDB(t, nodes[0].addr, false), res)
}

// insertResult is one INSERT statement: its rows' titles and insert id.
type insertResult struct {
	titles []string
	first  int64
}

// concurrentInserts runs conns connections per proxy address, each doing
// iters INSERTs of the insertCases forms (titles start with prefix).
func concurrentInserts(t *testing.T, prefix string, addrs []string, conns, iters int) []insertResult {
	t.Helper()
	var mu sync.Mutex
	var results []insertResult
	var wg sync.WaitGroup
	for ni, addr := range addrs {
		db := openDB(t, addr, false)
		db.SetMaxOpenConns(conns)
		for g := 0; g < conns; g++ {
			wg.Add(1)
			go func(ni, g int) {
				defer wg.Done()
				ctx := context.Background()
				c, err := db.Conn(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				defer c.Close()
				for i := 0; i < iters; i++ {
					ic := insertCases[(g+i)%len(insertCases)]
					titles := make([]string, ic.rows)
					for r := range titles {
						titles[r] = fmt.Sprintf("%sn%d-g%d-i%d-r%d", prefix, ni, g, i, r)
					}
					res, err := ic.exec(ctx, c, titles)
					if err != nil {
						t.Errorf("node %d %s: %v", ni, ic.name, err)
						return
					}
					id, _ := res.LastInsertId()
					if aff, _ := res.RowsAffected(); aff != int64(ic.rows) {
						t.Errorf("%s: %d rows affected, want %d", ic.name, aff, ic.rows)
					}
					mu.Lock()
					results = append(results, insertResult{titles, id})
					mu.Unlock()
				}
			}(ni, g)
		}
	}
	wg.Wait()
	return results
}

// checkInserts reads the tickets back: no id twice (idsByTitle), every
// statement's rows at insert id + row index, and every row in the
// partition its id routes to (mod 4: ticket_01 holds id%4 == 0).
func checkInserts(t *testing.T, e *xaEnv, db *sql.DB, results []insertResult) {
	t.Helper()
	if t.Failed() {
		return
	}
	got := idsByTitle(t, db)
	total := 0
	for _, r := range results {
		for i, title := range r.titles {
			total++
			id, ok := got[title]
			switch {
			case !ok:
				t.Errorf("row %q missing", title)
			case id != r.first+int64(i):
				t.Errorf("row %q has id %d, want insert id %d + %d", title, id, r.first, i)
			}
		}
	}
	if len(got) != total {
		t.Errorf("%d rows in tickets, %d inserted", len(got), total)
	}
	for p := 0; p < 4; p++ {
		rows, err := e.direct(p%2, "app").Query(fmt.Sprintf("SELECT id FROM ticket_%02d", p+1))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			_ = rows.Scan(&id)
			if int(id%4) != p {
				t.Errorf("id %d in ticket_%02d", id, p+1)
			}
		}
		rows.Close()
	}
}

// TestSequenceRestartNeverRepeats: a node that stops (its proxy and cache
// gone, as in a crash) and starts again over the same Raft group never
// hands out a value it or another node handed out before; values of the
// dead node's block are skipped. If it fails, a restarted node reuses ids.
func TestSequenceRestartNeverRepeats(t *testing.T) {
	e := startSeqEnv(t)
	const block = 100
	seen := map[int64]bool{}
	var maxID int64
	for round := 0; round < 3; round++ {
		n := startSeqNode(t, e, block)
		db := openDB(t, n.addr, false)
		for i := 0; i < 5; i++ {
			res := mustExec(t, db, "INSERT INTO tickets (title) VALUES (?), (?)", fmt.Sprintf("r%d-%d-a", round, i), fmt.Sprintf("r%d-%d-b", round, i))
			id, _ := res.LastInsertId()
			for _, v := range []int64{id, id + 1} {
				if seen[v] {
					t.Fatalf("round %d: id %d handed out again", round, v)
				}
				seen[v] = true
			}
			if round > 0 && i == 0 && id <= maxID {
				t.Fatalf("round %d: restarted node starts at %d, at or below %d handed out before", round, id, maxID)
			}
			maxID = max(maxID, id+1)
		}
		db.Close()
		n.stop() // the cached rest of the block is lost with the node
	}
	if next := e.meta.Sequence("app.tickets"); next <= uint64(maxID) {
		t.Fatalf("Raft sequence app.tickets is at %d, below the ids handed out (max %d)", next, maxID)
	}
	if len(idsByTitle(t, e.db(false))) != len(seen) {
		t.Fatal("rows lost")
	}
}

// TestSequenceAdvanceAfterExplicitLoad: rows loaded with explicit ids, then
// the sequence advanced past them through Raft (what the admin API and
// shardctl do): a node that cached a block before the load still never
// stores a duplicate (its INSERT collides once, the node drops its cached
// values and retries with values reserved after the advance), and a fresh
// node starts past the loaded ids. Explicit inserts route by their id and
// leave LAST_INSERT_ID() alone. If it fails, loading data and advancing
// the sequence does not protect the loaded ids.
func TestSequenceAdvanceAfterExplicitLoad(t *testing.T) {
	e := startSeqEnv(t)
	old := startSeqNode(t, e, 1000)
	oldDB := openDB(t, old.addr, false)
	oldDB.SetMaxOpenConns(1)
	res := mustExec(t, oldDB, "INSERT INTO tickets (title) VALUES ('before')") // caches [1,1000]
	first, _ := res.LastInsertId()
	// load explicit ids over the old node's cached block
	for id := first + 1; id <= first+20; id++ {
		mustExec(t, oldDB, "INSERT INTO tickets (id, title) VALUES (?, ?)", id, fmt.Sprintf("loaded-%d", id))
	}
	var last int64
	if err := oldDB.QueryRow("SELECT LAST_INSERT_ID()").Scan(&last); err != nil || last != first {
		t.Fatalf("LAST_INSERT_ID() after explicit inserts = %d (%v), want %d", last, err, first)
	}
	if err := e.meta.AdvanceSequence(context.Background(), "app.tickets", 5000); err != nil {
		t.Fatal(err)
	}
	res = mustExec(t, oldDB, "INSERT INTO tickets (title) VALUES ('old node after advance')")
	id, _ := res.LastInsertId()
	if id < 5000 {
		t.Fatalf("old node generated %d after the advance to 5000", id)
	}
	fresh := startSeqNode(t, e, 1000)
	res = mustExec(t, openDB(t, fresh.addr, false), "INSERT INTO tickets (title) VALUES ('fresh node')")
	if id, _ := res.LastInsertId(); id < 5000 {
		t.Fatalf("fresh node generated %d after the advance to 5000", id)
	}
	if n := len(idsByTitle(t, oldDB)); n != 23 {
		t.Fatalf("%d rows, want 23", n)
	}
}

// TestSequenceNotesRouteByUser: a table whose generated column is not the
// shard key routes by the shard key and still gets unique ids. If it
// fails, generated values break routing of tables keyed by another column.
func TestSequenceNotesRouteByUser(t *testing.T) {
	e := startSeqEnv(t)
	n := startSeqNode(t, e, 10)
	db := openDB(t, n.addr, false)
	var ids []int64
	for u := 1; u <= 8; u++ {
		res := mustExec(t, db, "INSERT INTO notes (user_id, body) VALUES (?, 'a'), (?, 'b')", u, u)
		id, _ := res.LastInsertId()
		ids = append(ids, id, id+1)
	}
	rows, err := db.Query("SELECT id FROM notes WHERE user_id = 3 ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []int64
	for rows.Next() {
		var id int64
		_ = rows.Scan(&id)
		got = append(got, id)
	}
	if len(got) != 2 || got[0] != ids[4] || got[1] != ids[5] {
		t.Fatalf("user 3's notes %v, want %v", got, ids[4:6])
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for i := 1; i < len(ids); i++ {
		if ids[i] == ids[i-1] {
			t.Fatalf("id %d twice", ids[i])
		}
	}
}

// TestSequenceWithoutRaft: a node without global sequences refuses an
// INSERT that needs generated values with error 1235 and a message saying
// to give the column. If it fails, such INSERTs hang, crash or store rows
// without ids.
func TestSequenceWithoutRaft(t *testing.T) {
	e := startSeqEnv(t) // the env's own proxy has no SequenceSource
	_, err := e.db(false).Exec("INSERT INTO tickets (title) VALUES ('x')")
	mysqlErr(t, err, 1235, "42000")
}

// TestSequenceSessionCases runs short scripts on one connection: sql_mode
// NO_AUTO_VALUE_ON_ZERO stores an explicit 0 instead of generating, a
// rolled-back INSERT keeps its values used (the next INSERT gets a later
// one) and LAST_INSERT_ID() set, LAST_INSERT_ID() inside an INSERT into
// a sharded table is the session's, EXPLAIN FORMAT=SHARDLINE takes no value.
// If it fails, the proxy generates ids where MySQL would not, or reuses
// values of rolled-back statements.
func TestSequenceSessionCases(t *testing.T) {
	e := startSeqEnv(t)
	n := startSeqNode(t, e, 100)
	ctx := context.Background()
	cases := []struct {
		name  string
		setup []string
		check func(t *testing.T, c *sql.Conn)
	}{
		{"no_auto_value_on_zero", []string{"SET sql_mode = 'NO_AUTO_VALUE_ON_ZERO'", "INSERT INTO tickets (id, title) VALUES (0, 'zero')"},
			func(t *testing.T, c *sql.Conn) {
				var id int64
				if err := c.QueryRowContext(ctx, "SELECT id FROM tickets WHERE title = 'zero'").Scan(&id); err != nil || id != 0 {
					t.Fatalf("id %d (%v), want 0 stored as given", id, err)
				}
			}},
		{"rollback keeps values used", []string{"BEGIN", "INSERT INTO tickets (title) VALUES ('gone'), ('gone2')", "ROLLBACK",
			"INSERT INTO tickets (title) VALUES ('kept')"},
			func(t *testing.T, c *sql.Conn) {
				var kept, last, gone int64
				if err := c.QueryRowContext(ctx, "SELECT id, LAST_INSERT_ID() FROM tickets WHERE title = 'kept'").Scan(&kept, &last); err != nil {
					t.Fatal(err)
				}
				_ = c.QueryRowContext(ctx, "SELECT COUNT(*) FROM tickets WHERE title LIKE 'gone%'").Scan(&gone)
				if gone != 0 {
					t.Fatalf("%d rolled-back rows stored", gone)
				}
				var li int64
				_ = c.QueryRowContext(ctx, "SELECT LAST_INSERT_ID()").Scan(&li)
				if li != kept {
					t.Fatalf("LAST_INSERT_ID() %d, want %d", li, kept)
				}
				if kept <= 2 { // the rolled-back rows took 1 and 2 of the node's first block
					t.Fatalf("kept row got id %d: values of the rolled-back INSERT were reused", kept)
				}
			}},
		{"child row of a sharded table gets the parent's id", []string{schemaDDL[1], "INSERT INTO tickets (title) VALUES ('parent')",
			"INSERT INTO order_lines (id, user_id, order_id, qty) VALUES (1, 5, LAST_INSERT_ID(), 1)"},
			func(t *testing.T, c *sql.Conn) {
				var parent, child int64
				_ = c.QueryRowContext(ctx, "SELECT id FROM tickets WHERE title = 'parent'").Scan(&parent)
				if err := c.QueryRowContext(ctx, "SELECT order_id FROM order_lines WHERE user_id = 5 AND id = 1").Scan(&child); err != nil || child != parent || parent == 0 {
					t.Fatalf("child order_id %d (%v), parent id %d", child, err, parent)
				}
			}},
		{"EXPLAIN of an INSERT with generated ids answers rows", nil,
			func(t *testing.T, c *sql.Conn) {
				rows, err := c.QueryContext(ctx, "EXPLAIN INSERT INTO tickets (title) VALUES ('x')")
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				if !rows.Next() {
					t.Fatalf("EXPLAIN returned no row (%v)", rows.Err())
				}
			}},
		{"explain takes no value", []string{"INSERT INTO tickets (title) VALUES ('e1')", "EXPLAIN FORMAT=SHARDLINE INSERT INTO tickets (title) VALUES ('e2')",
			"INSERT INTO tickets (title) VALUES ('e3')"},
			func(t *testing.T, c *sql.Conn) {
				var a, b int64
				_ = c.QueryRowContext(ctx, "SELECT id FROM tickets WHERE title = 'e1'").Scan(&a)
				_ = c.QueryRowContext(ctx, "SELECT id FROM tickets WHERE title = 'e3'").Scan(&b)
				if b != a+1 {
					t.Fatalf("e1 %d, e3 %d: EXPLAIN consumed a value", a, b)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := openDB(t, n.addr, false).Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for _, q := range tc.setup {
				if _, err := c.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			tc.check(t, c)
		})
	}
}
