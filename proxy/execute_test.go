package proxy

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/packet"

	"github.com/shardline/shardline/router"
)

// The executor's unit tests: a Session over a recording fake of the
// backends seam, no server. Each case runs statements through the real
// planner and checks what the executor asked of the backends (the log) and
// what the client got.

// fakeBackends records every call and answers from a script.
type fakeBackends struct {
	s   *Session
	log []string
	txn bool
	hit map[string]bool // shards touched by the open transaction
	// fail maps a substring of a target's SQL to the error its next run
	// returns (once).
	fail map[string]error
	// rows answers reads: shard → rows (text cells) of a one-column result.
	rows   map[string][]string
	nextID uint64
}

func newFake() *fakeBackends {
	return &fakeBackends{fail: map[string]error{}, rows: map[string][]string{}, nextID: 100}
}

func (f *fakeBackends) record(format string, a ...any) {
	f.log = append(f.log, fmt.Sprintf(format, a...))
}

func (f *fakeBackends) scripted(sql string) error {
	for k, err := range f.fail {
		if strings.Contains(sql, k) {
			delete(f.fail, k)
			return err
		}
	}
	return nil
}

func (f *fakeBackends) touch(shard string) {
	if f.txn {
		f.hit[shard] = true
	}
}

func (f *fakeBackends) forward(_ context.Context, t router.Target, _ *call, write bool) error {
	f.record("forward %s: %s", t.Shard, t.SQL)
	f.touch(t.Shard)
	if err := f.scripted(t.SQL); err != nil {
		return err
	}
	return f.s.writeOK(1, 0, 0)
}

func (f *fakeBackends) read(_ context.Context, targets []router.Target, _ *call) ([]router.RowStream, error) {
	var out []router.RowStream
	for _, t := range targets {
		f.record("read %s: %s", t.Shard, t.SQL)
		f.touch(t.Shard)
		if err := f.scripted(t.SQL); err != nil {
			return nil, err
		}
		fields := []*mysql.Field{{Name: []byte("v"), Type: mysql.MYSQL_TYPE_LONGLONG, Charset: 63}}
		st := &sliceStream{fields: fields}
		for _, v := range f.rows[t.Shard] {
			st.rows = append(st.rows, []mysql.FieldValue{mysql.NewFieldValue(mysql.FieldValueTypeString, 0, []byte(v))})
		}
		out = append(out, st)
	}
	return out, nil
}

func (f *fakeBackends) write(_ context.Context, targets []router.Target, _ *call) ([]writeResult, error) {
	var out []writeResult
	for _, t := range targets {
		f.record("write %s: %s", t.Shard, t.SQL)
		f.touch(t.Shard)
		if err := f.scripted(t.SQL); err != nil {
			return nil, err
		}
		out = append(out, writeResult{affected: 1})
	}
	return out, nil
}

func (f *fakeBackends) ddl(_ context.Context, targets []router.Target) (writeResult, error) {
	for _, t := range targets {
		f.record("ddl %s: %s", t.Shard, t.SQL)
		if err := f.scripted(t.SQL); err != nil {
			return writeResult{}, err
		}
	}
	return writeResult{}, nil
}

func (f *fakeBackends) begin(oneShot []string) {
	f.record("begin%s", strings.Join(append([]string{""}, oneShot...), " | "))
	f.txn, f.hit = true, map[string]bool{}
}
func (f *fakeBackends) inTxn() bool   { return f.txn }
func (f *fakeBackends) touched() bool { return f.txn && len(f.hit) > 0 }

func (f *fakeBackends) commit(context.Context) error {
	if f.txn {
		f.record("commit")
	}
	f.txn = false
	return nil
}

func (f *fakeBackends) rollback(context.Context) error {
	if f.txn {
		f.record("rollback")
	}
	f.txn = false
	return nil
}

func (f *fakeBackends) savepoint(_ context.Context, sql string) error {
	f.record("savepoint: %s", sql)
	return nil
}

func (f *fakeBackends) apply(_ context.Context, st *sessionState, readBack []string) ([]varValue, error) {
	f.record("apply %s read %v", st.varsKey, readBack)
	if err := f.scripted(st.varsKey); err != nil {
		return nil, err
	}
	out := make([]varValue, len(readBack))
	for i, name := range readBack {
		out[i] = varValue{text: "resolved " + name}
	}
	return out, nil
}

func (f *fakeBackends) nextIDs(_ context.Context, seq string, n int) (uint64, error) {
	f.record("next %d of %s", n, seq)
	first := f.nextID
	f.nextID += uint64(n)
	return first, nil
}

func (f *fakeBackends) forgetIDs(seq string) { f.record("forget %s", seq) }

func (f *fakeBackends) mergeInfo(context.Context, string, []*mysql.Field) (map[int]uint16, map[int][]string) {
	return nil, nil
}

// fixedMap is a MapSource over one map.
type fixedMap struct{ m *router.ShardMap }

func (f fixedMap) ShardMap() *router.ShardMap { return f.m }

func executorMap() *router.ShardMap {
	return &router.ShardMap{
		Shards: map[string]*router.Shard{"a": {Addr: "127.0.0.1:1"}, "b": {Addr: "127.0.0.1:2"}},
		Schemas: map[string]*router.Schema{"oms": {DefaultShard: "a", Tables: map[string]*router.TableRule{
			"orders": {ShardKey: "user_id", Algorithm: router.AlgoMod, Partitions: []router.Partition{
				{Shard: "a", Table: "order_0"}, {Shard: "b", Table: "order_1"}}},
			"tickets": {ShardKey: "id", Algorithm: router.AlgoMod, AutoIncrement: "id", Partitions: []router.Partition{
				{Shard: "a", Table: "ticket_0"}, {Shard: "b", Table: "ticket_1"}}},
			"users": {Type: router.TypeBroadcast},
		}}},
	}
}

// recordingConn is the client side of a session: what the session writes
// is kept, reads are not used.
type recordingConn struct {
	net.Conn
	out bytes.Buffer
}

func (c *recordingConn) Write(p []byte) (int, error)      { return c.out.Write(p) }
func (c *recordingConn) Read([]byte) (int, error)         { return 0, io.EOF }
func (c *recordingConn) Close() error                     { return nil }
func (c *recordingConn) SetReadDeadline(time.Time) error  { return nil }
func (c *recordingConn) SetWriteDeadline(time.Time) error { return nil }

// fakeSession is a session of user app in database oms over a fake.
func fakeSession(t *testing.T, f *fakeBackends, deps Deps) (*Session, *recordingConn) {
	t.Helper()
	deps.Map = fixedMap{executorMap()}
	deps.Planner = router.NewPlanner()
	deps.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := DefaultConfig()
	cfg.Users = []User{{Name: "app", Password: "app"}}
	srv, err := NewServer(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	srv.now = func() time.Time { return time.Unix(1700000000, 250000000) }
	rc := &recordingConn{}
	bc := newBufConn(rc)
	s := newSession(srv, bc)
	s.attach(&clientConn{Conn: packet.NewConn(bc), user: "app", db: "oms", charset: 45, connID: 7})
	f.s = s
	s.be = f
	return s, rc
}

// response is one client-visible answer, decoded.
type response struct {
	ok       bool
	affected uint64
	insertID uint64
	status   uint16
	errCode  uint16
	rows     []string // first column of each row of a text result set
}

func (r response) String() string {
	switch {
	case r.errCode != 0:
		return fmt.Sprintf("ERR %d", r.errCode)
	case r.ok:
		return fmt.Sprintf("OK affected=%d id=%d", r.affected, r.insertID)
	}
	return fmt.Sprintf("rows %v", r.rows)
}

// readResponses decodes every response written to the client.
func readResponses(t *testing.T, b []byte) []response {
	t.Helper()
	var pkts [][]byte
	for len(b) >= 4 {
		n := int(b[0]) | int(b[1])<<8 | int(b[2])<<16
		pkts = append(pkts, b[4:4+n])
		b = b[4+n:]
	}
	var out []response
	for i := 0; i < len(pkts); i++ {
		p := pkts[i]
		switch p[0] {
		case mysql.OK_HEADER:
			affected, id, _ := parseOK(p)
			out = append(out, response{ok: true, affected: affected, insertID: id, status: okStatus(p)})
		case mysql.ERR_HEADER:
			out = append(out, response{errCode: binary.LittleEndian.Uint16(p[1:])})
		default: // a result set: count, definitions, EOF, rows, EOF
			n, _, _ := mysql.LengthEncodedInt(p)
			i += int(n) + 2
			r := response{}
			for ; !isEOF(pkts[i]); i++ {
				v, _, _, _ := mysql.LengthEncodedString(pkts[i])
				r.rows = append(r.rows, string(v))
			}
			out = append(out, r)
		}
	}
	return out
}

func okStatus(p []byte) uint16 {
	_, _, n1 := mysql.LengthEncodedInt(p[1:])
	_, _, n2 := mysql.LengthEncodedInt(p[1+n1:])
	return binary.LittleEndian.Uint16(p[1+n1+n2:])
}

func TestExecutor(t *testing.T) {
	deadlock := mysql.NewError(mysql.ER_LOCK_DEADLOCK, "Deadlock found when trying to get lock; try restarting transaction")
	lockWait := mysql.NewError(mysql.ER_LOCK_WAIT_TIMEOUT, "Lock wait timeout exceeded; try restarting transaction")
	dup := mysql.NewError(mysql.ER_DUP_ENTRY, "Duplicate entry '100' for key 'PRIMARY'")
	cases := []struct {
		name  string
		stmts []string
		fail  map[string]error
		rows  map[string][]string
		txns  bool // a coordinator is configured
		log   []string
		resp  []string
	}{
		{name: "autocommit off opens a transaction at the first data statement",
			stmts: []string{"SET autocommit=0", "UPDATE orders SET v=1 WHERE user_id=1", "COMMIT"},
			log:   []string{"begin", "forward b: UPDATE `oms`.`order_1` SET v=1 WHERE user_id=1", "commit"},
			resp:  []string{"OK affected=0 id=0", "OK affected=1 id=0", "OK affected=0 id=0"}},
		{name: "DDL commits the open transaction first",
			stmts: []string{"BEGIN", "UPDATE orders SET v=1 WHERE user_id=2", "ALTER TABLE orders ADD c INT"},
			log: []string{"begin", "forward a: UPDATE `oms`.`order_0` SET v=1 WHERE user_id=2", "commit",
				"ddl a: ALTER TABLE `oms`.`order_0` ADD c INT", "ddl b: ALTER TABLE `oms`.`order_1` ADD c INT"},
			resp: []string{"OK affected=0 id=0", "OK affected=1 id=0", "OK affected=0 id=0"}},
		{name: "a deadlock rolls the transaction back",
			stmts: []string{"BEGIN", "UPDATE orders SET v=1 WHERE user_id=2", "COMMIT"},
			fail:  map[string]error{"UPDATE": deadlock},
			log:   []string{"begin", "forward a: UPDATE `oms`.`order_0` SET v=1 WHERE user_id=2", "rollback"},
			resp:  []string{"OK affected=0 id=0", "ERR 1213", "OK affected=0 id=0"}},
		{name: "a lock wait timeout undoes only the statement",
			stmts: []string{"BEGIN", "UPDATE orders SET v=1 WHERE user_id=2", "COMMIT"},
			fail:  map[string]error{"UPDATE": lockWait},
			log:   []string{"begin", "forward a: UPDATE `oms`.`order_0` SET v=1 WHERE user_id=2", "commit"},
			resp:  []string{"OK affected=0 id=0", "ERR 1205", "OK affected=0 id=0"}},
		{name: "BEGIN commits the open transaction",
			stmts: []string{"BEGIN", "UPDATE orders SET v=1 WHERE user_id=2", "BEGIN"},
			log:   []string{"begin", "forward a: UPDATE `oms`.`order_0` SET v=1 WHERE user_id=2", "commit", "begin"},
			resp:  []string{"OK affected=0 id=0", "OK affected=1 id=0", "OK affected=0 id=0"}},
		{name: "SET autocommit=1 commits",
			stmts: []string{"SET autocommit=0", "UPDATE orders SET v=1 WHERE user_id=2", "SET autocommit=1"},
			log:   []string{"begin", "forward a: UPDATE `oms`.`order_0` SET v=1 WHERE user_id=2", "commit"},
			resp:  []string{"OK affected=0 id=0", "OK affected=1 id=0", "OK affected=0 id=0"}},
		{name: "SET TRANSACTION applies to the next transaction's branches",
			stmts: []string{"SET TRANSACTION ISOLATION LEVEL READ COMMITTED", "BEGIN"},
			log:   []string{"begin | SET TRANSACTION ISOLATION LEVEL READ COMMITTED"},
			resp:  []string{"OK affected=0 id=0", "OK affected=0 id=0"}},
		{name: "START TRANSACTION READ ONLY starts every branch read-only",
			stmts: []string{"START TRANSACTION READ ONLY", "UPDATE orders SET v=1 WHERE user_id=1"},
			log:   []string{"begin | SET TRANSACTION READ ONLY", "forward b: UPDATE `oms`.`order_1` SET v=1 WHERE user_id=1"},
			resp:  []string{"OK affected=0 id=0", "OK affected=1 id=0"}},
		{name: "a write across shards runs in a transaction of its own",
			stmts: []string{"UPDATE orders SET v=1"}, txns: true,
			log:  []string{"begin", "write a: UPDATE `oms`.`order_0` SET v=1", "write b: UPDATE `oms`.`order_1` SET v=1", "commit"},
			resp: []string{"OK affected=2 id=0"}},
		{name: "its failure rolls it back",
			stmts: []string{"UPDATE orders SET v=1"}, txns: true, fail: map[string]error{"order_1": deadlock},
			log:  []string{"begin", "write a: UPDATE `oms`.`order_0` SET v=1", "write b: UPDATE `oms`.`order_1` SET v=1", "rollback"},
			resp: []string{"ERR 1213"}},
		{name: "without a coordinator a write across shards is refused",
			stmts: []string{"UPDATE orders SET v=1"},
			resp:  []string{"ERR 1235"}},
		{name: "a broadcast write reports one copy's rows",
			stmts: []string{"INSERT INTO users (id) VALUES (1)"}, txns: true,
			log: []string{"begin", "write a: SET STATEMENT timestamp=1700000000.250000 FOR INSERT INTO users (id) VALUES (1)",
				"write b: SET STATEMENT timestamp=1700000000.250000 FOR INSERT INTO users (id) VALUES (1)", "commit"},
			resp: []string{"OK affected=1 id=0"}},
		{name: "generated ids are taken, written in and reported",
			stmts: []string{"INSERT INTO tickets (title) VALUES ('x')", "SELECT LAST_INSERT_ID()"},
			log:   []string{"next 1 of oms.tickets", "write a: INSERT INTO `oms`.`ticket_0` (title,`id`) VALUES ('x',100)"},
			resp:  []string{"OK affected=1 id=100", "rows [100]"}},
		{name: "a duplicate generated id is retried once with fresh values",
			stmts: []string{"INSERT INTO tickets (title) VALUES ('x')"}, fail: map[string]error{"ticket_0": dup},
			log: []string{"next 1 of oms.tickets", "write a: INSERT INTO `oms`.`ticket_0` (title,`id`) VALUES ('x',100)",
				"forget oms.tickets", "next 1 of oms.tickets", "write b: INSERT INTO `oms`.`ticket_1` (title,`id`) VALUES ('x',101)"},
			resp: []string{"OK affected=1 id=101"}},
		{name: "but not inside a transaction",
			stmts: []string{"BEGIN", "INSERT INTO tickets (title) VALUES ('x')"}, fail: map[string]error{"ticket_0": dup},
			log:  []string{"begin", "next 1 of oms.tickets", "write a: INSERT INTO `oms`.`ticket_0` (title,`id`) VALUES ('x',100)"},
			resp: []string{"OK affected=0 id=0", "ERR 1062"}},
		{name: "SAVEPOINT outside a transaction is accepted and forgotten",
			stmts: []string{"SAVEPOINT s1"},
			resp:  []string{"OK affected=0 id=0"}},
		{name: "SAVEPOINT with autocommit off opens the transaction",
			stmts: []string{"SET autocommit=0", "SAVEPOINT s1"},
			log:   []string{"begin", "savepoint: SAVEPOINT s1"},
			resp:  []string{"OK affected=0 id=0", "OK affected=0 id=0"}},
		{name: "a scattered read is merged in order",
			stmts: []string{"SELECT v FROM orders ORDER BY v"},
			rows:  map[string][]string{"a": {"1", "4"}, "b": {"2", "3"}},
			log:   []string{"read a: SELECT v FROM `oms`.`order_0` ORDER BY v", "read b: SELECT v FROM `oms`.`order_1` ORDER BY v"},
			resp:  []string{"rows [1 2 3 4]"}},
		{name: "a backend error passes through with its code",
			stmts: []string{"SELECT v FROM orders WHERE user_id = 3"}, fail: map[string]error{"order_1": mysql.NewError(1054, "Unknown column 'v'")},
			log:  []string{"forward b: SELECT v FROM `oms`.`order_1` WHERE user_id = 3"},
			resp: []string{"ERR 1054"}},
		{name: "SET validates on a backend, then becomes session state",
			stmts: []string{"SET @@session.sql_mode = 'ANSI'"},
			log:   []string{"apply sql_mode='ANSI'; read [sql_mode]"},
			resp:  []string{"OK affected=0 id=0"}},
		{name: "a SET of an expression replays the value the server resolved",
			stmts: []string{"SET @@session.time_zone = CONCAT('+0', '1:00')", "SET @x = 1"},
			log: []string{"apply time_zone=CONCAT('+0', '1:00'); read [time_zone]",
				"apply @x=1;time_zone='resolved time_zone'; read []"},
			resp: []string{"OK affected=0 id=0", "OK affected=0 id=0"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			for k, v := range tc.fail {
				f.fail[k] = v
			}
			f.rows = tc.rows
			var deps Deps
			if tc.txns {
				deps.Txns = noTxns{}
			}
			s, rc := fakeSession(t, f, deps)
			for _, sql := range tc.stmts {
				if err := s.dispatch(mysql.COM_QUERY, []byte(sql)); err != nil {
					t.Fatalf("%s: %v", sql, err)
				}
				if err := s.raw.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			if got, want := strings.Join(f.log, "\n"), strings.Join(tc.log, "\n"); got != want {
				t.Errorf("backend calls:\n%s\nwant:\n%s", got, want)
			}
			var got []string
			for _, r := range readResponses(t, rc.out.Bytes()) {
				got = append(got, r.String())
			}
			if strings.Join(got, "; ") != strings.Join(tc.resp, "; ") {
				t.Errorf("responses: %v, want %v", got, tc.resp)
			}
		})
	}
}

// TestExecutorStatusFlags: the OK packets carry the session's
// autocommit and in-transaction flags, as a server's do.
func TestExecutorStatusFlags(t *testing.T) {
	f := newFake()
	s, rc := fakeSession(t, f, Deps{})
	for _, sql := range []string{"BEGIN", "COMMIT", "SET autocommit=0", "UPDATE orders SET v=1 WHERE user_id=1"} {
		if err := s.dispatch(mysql.COM_QUERY, []byte(sql)); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.raw.Flush()
	rs := readResponses(t, rc.out.Bytes())
	const ac, in = mysql.SERVER_STATUS_AUTOCOMMIT, mysql.SERVER_STATUS_IN_TRANS
	want := []uint16{ac | in, ac, 0, in}
	for i, r := range rs {
		if r.status&(ac|in) != want[i] {
			t.Errorf("response %d status %#x, want %#x", i, r.status&(ac|in), want[i])
		}
	}
}

// noTxns stands for a configured coordinator; the fake backends never call it.
type noTxns struct{}

func (noTxns) Begin() DistributedTxn { return nil }
