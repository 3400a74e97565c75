package proxy

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"
)

// backendConn is one pooled connection to a shard. Besides the go-mysql
// client connection it remembers which session state it carries (database,
// character set, session variables) so that handing it to another session
// costs only the statements that differ, and which statements are prepared
// on it, so that a prepared statement is prepared once per backend connection.
type backendConn struct {
	*client.Conn
	pool *pool

	db      string
	names   string            // "charset collation" last set with SET NAMES
	vars    map[string]string // session variables as set by the proxy
	varsKey string

	stmts    map[string]*backendStmt // physical SQL → prepared statement
	lastUsed time.Time
	broken   bool
	// queryAttrs is set when the server negotiated CLIENT_QUERY_ATTRIBUTES,
	// which changes the COM_QUERY layout.
	queryAttrs bool
	// owner is the session using the connection (nil while pooled); KILL
	// QUERY of a session reaches the backend threads it owns.
	owner atomic.Pointer[Session]
	// mariadb is set for MariaDB servers (as opposed to MySQL).
	mariadb bool
	// inXA is set while an XA branch is open on the connection.
	inXA bool
	buf  []byte
}

// backendStmt is a statement prepared on one backend connection.
type backendStmt struct {
	id      uint32
	params  int
	columns int
	// paramDefs and columnDefs hold the backend's definitions from the
	// prepare response (EOF excluded), replayed to clients.
	paramDefs, columnDefs [][]byte
}

const maxStmtsPerConn = 512

func (b *backendConn) shard() string { return b.pool.shard }

// markBroken records that the connection must not be reused.
func (b *backendConn) markBroken() { b.broken = true }

// lostConn marks the connection broken after an I/O error and drops the
// pool's idle connections too: they are most likely dead the same way (the
// shard restarted), and each would otherwise fail one statement.
func (b *backendConn) lostConn() {
	b.broken = true
	b.pool.drainIdle()
}

// fail converts an I/O error on this connection into the client-facing error
// and marks the connection broken; server errors are returned unchanged.
func (b *backendConn) fail(err error) error {
	if err == nil {
		return nil
	}
	if isConnError(err) {
		b.lostConn()
		return lost(b.shard(), err)
	}
	return err
}

// exec runs a statement whose result the proxy consumes itself.
func (b *backendConn) exec(query string) (*mysql.Result, error) {
	r, err := b.Execute(query)
	return r, b.fail(err)
}

// writeCommand sends one command packet: cmd followed by arg.
func (b *backendConn) writeCommand(cmd byte, arg []byte) error {
	b.ResetSequence()
	buf := append(b.buf[:0], 0, 0, 0, 0, cmd)
	if cmd == mysql.COM_QUERY && b.queryAttrs {
		buf = append(buf, 0, 1) // no attributes, one parameter set
	}
	buf = append(buf, arg...)
	b.buf = buf[:0]
	if err := b.WritePacket(buf); err != nil {
		b.lostConn()
		return lost(b.shard(), err)
	}
	return nil
}

// readPacket reads one payload into dst[4:] (dst[:4] reserved for a header).
func (b *backendConn) readPacket(dst []byte) ([]byte, error) {
	if cap(dst) < 4 {
		dst = make([]byte, 4, 256)
	}
	p, err := b.ReadPacketReuseMem(dst[:4])
	if err != nil {
		b.lostConn()
		return nil, lost(b.shard(), err)
	}
	return p, nil
}

// sync brings the connection to the session's state.
func (b *backendConn) sync(st *sessionState) error {
	if st.db != b.db && st.db != "" {
		if err := b.UseDB(st.db); err != nil {
			if isConnError(err) {
				return b.fail(err)
			}
			// The database may not exist on this shard; statements name
			// physical schemas explicitly, so the connection stays usable.
		} else {
			b.db = st.db
		}
	}
	if st.names != b.names && st.names != "" {
		if _, err := b.exec("SET NAMES " + st.names); err != nil {
			return err
		}
		b.names = st.names
	}
	if st.varsKey != b.varsKey {
		if err := b.syncVars(st.vars); err != nil {
			return err
		}
		b.varsKey = st.varsKey
	}
	return nil
}

// syncVars sets every session variable that differs and resets those the
// previous session set and this one did not.
func (b *backendConn) syncVars(want map[string]string) error {
	var sets []string
	for name, v := range want {
		if b.vars[name] != v {
			sets = append(sets, b.assignment(name, v))
		}
	}
	for name := range b.vars {
		if _, ok := want[name]; !ok {
			if strings.HasPrefix(name, "@") {
				sets = append(sets, name+" = NULL")
			} else {
				sets = append(sets, b.assignment(name, "DEFAULT"))
			}
		}
	}
	if len(sets) > 0 {
		if _, err := b.exec("SET " + strings.Join(sets, ", ")); err != nil {
			return err
		}
	}
	b.vars = make(map[string]string, len(want))
	for k, v := range want {
		b.vars[k] = v
	}
	return nil
}

// assignment renders one SET assignment for this server. MySQL's
// max_execution_time (milliseconds) becomes MariaDB's max_statement_time
// (seconds), so a per-query time limit holds on every shard.
func (b *backendConn) assignment(name, value string) string {
	if strings.HasPrefix(name, "@") {
		return name + " = " + value
	}
	if name == "max_execution_time" && b.mariadb {
		if strings.EqualFold(value, "DEFAULT") {
			return "@@session.max_statement_time = DEFAULT"
		}
		return "@@session.max_statement_time = (" + value + ") / 1000"
	}
	return "@@session." + b.varName(name) + " = " + value
}

// varName is the server's name of a session variable the proxy knows by
// its MySQL 8 name: MariaDB 10.11 has tx_isolation and tx_read_only, not
// transaction_isolation and transaction_read_only.
func (b *backendConn) varName(name string) string {
	if b.mariadb {
		switch name {
		case "transaction_isolation":
			return "tx_isolation"
		case "transaction_read_only":
			return "tx_read_only"
		}
	}
	return name
}

// prepare returns the statement prepared for query on this connection,
// preparing it the first time.
func (b *backendConn) prepare(query string) (*backendStmt, error) {
	if st, ok := b.stmts[query]; ok {
		return st, nil
	}
	if len(b.stmts) >= maxStmtsPerConn {
		b.closeAllStmts()
	}
	if err := b.writeCommand(mysql.COM_STMT_PREPARE, []byte(query)); err != nil {
		return nil, err
	}
	p, err := b.readPacket(nil)
	if err != nil {
		return nil, err
	}
	p = p[4:]
	if p[0] == mysql.ERR_HEADER {
		return nil, parseErr(p)
	}
	if len(p) < 12 {
		b.markBroken()
		return nil, lost(b.shard(), fmt.Errorf("short prepare response"))
	}
	st := &backendStmt{
		id:      uint32(p[1]) | uint32(p[2])<<8 | uint32(p[3])<<16 | uint32(p[4])<<24,
		columns: int(p[5]) | int(p[6])<<8,
		params:  int(p[7]) | int(p[8])<<8,
	}
	var err2 error
	if st.paramDefs, err2 = b.readDefs(st.params); err2 != nil {
		return nil, err2
	}
	if st.columnDefs, err2 = b.readDefs(st.columns); err2 != nil {
		return nil, err2
	}
	if b.stmts == nil {
		b.stmts = make(map[string]*backendStmt)
	}
	b.stmts[query] = st
	return st, nil
}

// readDefs reads n definition packets and the EOF after them (none when n is 0).
func (b *backendConn) readDefs(n int) ([][]byte, error) {
	if n == 0 {
		return nil, nil
	}
	defs := make([][]byte, 0, n)
	for i := 0; i <= n; i++ {
		d, err := b.readPacket(nil)
		if err != nil {
			return nil, err
		}
		if i < n {
			defs = append(defs, d[4:])
		}
	}
	return defs, nil
}

func (b *backendConn) closeAllStmts() {
	for q, st := range b.stmts {
		var id [4]byte
		id[0], id[1], id[2], id[3] = byte(st.id), byte(st.id>>8), byte(st.id>>16), byte(st.id>>24)
		_ = b.writeCommand(mysql.COM_STMT_CLOSE, id[:]) // no response
		delete(b.stmts, q)
	}
}
