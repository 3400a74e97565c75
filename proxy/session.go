package proxy

import (
	"errors"
	"io"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/charsets"
	"github.com/shardline/shardline/router"
	"github.com/shardline/shardline/sqlparse"
)

// sessionState is what a backend connection must match before it runs a
// statement for the session.
type sessionState struct {
	db      string
	names   string // argument of SET NAMES, e.g. "utf8mb4 COLLATE utf8mb4_general_ci"
	vars    map[string]string
	varsKey string // canonical form of vars, compared with the connection's
}

func (st *sessionState) setVar(name, value string) {
	if st.vars == nil {
		st.vars = map[string]string{}
	}
	st.vars[name] = value
	keys := make([]string, 0, len(st.vars))
	for k := range st.vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(st.vars[k])
		b.WriteByte(';')
	}
	st.varsKey = b.String()
}

// Session is one client connection. Its command loop runs on one goroutine;
// only close may be called from another.
type Session struct {
	srv  *Server
	raw  *bufConn
	conn *clientConn
	id   uint32 // the connection id of the handshake (set by attach)
	log  *slog.Logger

	st   sessionState
	mode sqlMode
	// charset is the session's character_set_client: the character set of
	// its statements.
	charset string
	// read is how its statements are read (readOptions of mode and charset).
	read       sqlparse.Options
	autocommit bool
	// be is how statements reach the shards (the execution seam); live is
	// its real implementation, also used by the commands outside the
	// executor (COM_FIELD_LIST, PREPARE's metadata).
	be         backends
	live       *liveBackends
	nextTxn    []string // SET TRANSACTION statements for the next transaction
	stmts      map[uint32]*clientStmt
	nextStmt   uint32
	lastInsert uint64

	killer    killState
	buf       []byte // reusable packet buffer for writes
	rbuf      []byte // reusable buffer for client commands
	closeOnce sync.Once
	// columnsFn is tableColumns, bound once (router.Session.TableColumns).
	columnsFn func(shard, schema, table string) ([]string, error)
}

func newSession(s *Server, c *bufConn) *Session {
	sess := &Session{srv: s, raw: c, autocommit: true,
		stmts: map[uint32]*clientStmt{}, log: s.log}
	sess.columnsFn = sess.tableColumns
	sess.live = &liveBackends{s: sess}
	sess.be = sess.live
	return sess
}

func (s *Session) attach(c *clientConn) {
	s.st.db = c.db
	s.conn = c
	s.id = c.ConnectionID() // the id of the handshake, KILL and CONNECTION_ID()
	s.log = s.srv.log.With("session", s.id, "user", c.GetUser())
	s.st.names = namesForCollation(c.Charset())
	s.charset = charsetOfNames(s.st.names)
	s.mode = s.srv.connectMode(s.srv.baseCtx, s.anyShard())
	s.read = s.readOptions()
}

func (s *Session) close() {
	s.closeOnce.Do(func() { _ = s.raw.Conn.Close() }) // not bufConn.Close: no flush from another goroutine
}

// refuseInsecure answers the first command of a client that did not upgrade
// to TLS with error 3159 and closes the connection. (go-mysql has already
// sent the handshake's OK; answering the first command keeps the packet
// sequence valid for every driver.)
func (s *Session) refuseInsecure() {
	defer s.close()
	s.conn.ResetSequence()
	if _, err := s.readCommand(); err != nil {
		return
	}
	_ = s.writeError(newError(3159, "Connections using insecure transport are prohibited while --require_secure_transport=ON."))
	_ = s.raw.Flush()
}

// status is the server status the client sees in OK and EOF packets.
func (s *Session) status() uint16 {
	var st uint16
	if s.autocommit {
		st |= mysql.SERVER_STATUS_AUTOCOMMIT
	}
	if s.be.inTxn() {
		st |= mysql.SERVER_STATUS_IN_TRANS
	}
	if s.mode.has("NO_BACKSLASH_ESCAPES") {
		st |= mysql.SERVER_STATUS_NO_BACKSLASH_ESCAPED
	}
	return st
}

func (s *Session) routerSession() router.Session {
	if s.read.Lex.ServerVersion == 0 && s.srv.backend.Load() != nil {
		s.read = s.readOptions() // the shards answered since the session started
	}
	return router.Session{DB: s.st.db, InTxn: s.be.inTxn(), ConnectionID: s.id, TableColumns: s.columnsFn, Read: s.read}
}

// serve is the command loop.
func (s *Session) serve() {
	defer s.cleanup()
	for {
		s.conn.ResetSequence()
		if idle := s.idleTimeout(); idle > 0 {
			_ = s.raw.Conn.SetReadDeadline(time.Now().Add(idle))
		}
		data, err := s.readCommand()
		if err != nil {
			if !errors.Is(err, io.EOF) && !s.srv.closing.Load() {
				s.log.Debug("client read failed", "err", err)
			}
			return
		}
		if len(data) == 0 {
			continue
		}
		if data[0] == mysql.COM_QUIT {
			return
		}
		if err := s.dispatch(data[0], data[1:]); err != nil {
			s.log.Debug("client write failed", "err", err)
			return
		}
		if err := s.raw.Flush(); err != nil {
			return
		}
		if cap(s.buf) > 64<<10 {
			s.buf = nil // a large result's buffer is not kept by an idle session
		}
	}
}

// idleTimeout is how long the session may wait for a command: the
// session's wait_timeout once it set one (as the server enforces it), else
// the proxy's idle_timeout.
func (s *Session) idleTimeout() time.Duration {
	if v, ok := s.st.vars["wait_timeout"]; ok {
		if secs, err := strconv.ParseUint(unquote(v), 10, 32); err == nil && secs > 0 {
			return time.Duration(secs) * time.Second
		}
	}
	return s.srv.cfg.IdleTimeout
}

// dispatch runs one command. A returned error means the client connection
// is broken; statement errors are sent to the client and return nil.
func (s *Session) dispatch(cmd byte, data []byte) error {
	switch cmd {
	case mysql.COM_QUERY:
		return s.reply(s.handleQuery(string(data), data))
	case mysql.COM_PING:
		return s.writeOK(0, 0, 0)
	case mysql.COM_INIT_DB:
		return s.reply(s.useDB(string(data)))
	case mysql.COM_FIELD_LIST:
		return s.reply(s.handleFieldList(data))
	case mysql.COM_STMT_PREPARE:
		return s.reply(s.handlePrepare(string(data)))
	case mysql.COM_STMT_EXECUTE:
		return s.reply(s.handleExecute(data))
	case mysql.COM_STMT_SEND_LONG_DATA:
		s.handleLongData(data) // no response, by protocol
		return nil
	case mysql.COM_STMT_CLOSE:
		s.handleStmtClose(data) // no response, by protocol
		return nil
	case mysql.COM_STMT_RESET:
		return s.reply(s.handleStmtReset(data))
	case mysql.COM_SET_OPTION:
		// Multi-statements stay off (the proxy never advertises them); MySQL
		// answers COM_SET_OPTION with an EOF packet.
		return s.conn.WritePacket(appendEOF(s.packet(), s.status(), 0))
	case mysql.COM_RESET_CONNECTION:
		s.resetConnection()
		return s.writeOK(0, 0, 0)
	default:
		return s.writeError(newError(mysql.ER_UNKNOWN_COM_ERROR, "Unknown command %d: not supported by Shardline", cmd))
	}
}

// reply sends err to the client if there is one. Responses on success were
// written by the handler itself.
func (s *Session) reply(err error) error {
	if err == nil {
		return nil
	}
	var ce *clientError
	if errors.As(err, &ce) {
		return ce.err
	}
	s.srv.deps.Metrics.errors.Inc()
	if me := toMyError(err); me.Code == errMariaDBStatementTimeout {
		if _, ok := s.st.vars["max_execution_time"]; ok {
			err = newError(errMaxExecutionTime, "Query execution was interrupted, maximum statement execution time exceeded")
		}
	}
	return s.writeError(err)
}

// clientError marks a failure to write to the client: the session ends.
type clientError struct{ err error }

func (e *clientError) Error() string { return e.err.Error() }

func (s *Session) packet() []byte { return append(s.buf[:0], 0, 0, 0, 0) }

func (s *Session) writeOK(affected, insertID uint64, warnings uint16) error {
	return s.conn.WritePacket(appendOK(s.packet(), affected, insertID, s.status(), warnings, ""))
}

func (s *Session) writeError(err error) error {
	return s.conn.WritePacket(appendErr(s.packet(), toMyError(err)))
}

// checkSchema reports error 1049 for a database the shard map does not know.
func (s *Session) checkSchema(db string) error {
	m := s.srv.deps.Map.ShardMap()
	if _, ok := m.Schemas[db]; ok {
		return nil
	}
	if strings.EqualFold(db, "information_schema") || strings.EqualFold(db, "mysql") || strings.EqualFold(db, "performance_schema") {
		return nil
	}
	return newError(mysql.ER_BAD_DB_ERROR, "Unknown database '%s'", db)
}

func (s *Session) useDB(db string) error {
	if err := s.checkSchema(db); err != nil {
		return err
	}
	s.st.db = db
	return s.writeOK(0, 0, 0)
}

// resetConnection implements COM_RESET_CONNECTION: the transaction is rolled
// back, session variables and prepared statements are dropped; the user and
// the database stay.
func (s *Session) resetConnection() {
	_ = s.be.rollback(s.srv.baseCtx)
	for id := range s.stmts {
		delete(s.stmts, id)
	}
	s.st.vars, s.st.varsKey = nil, ""
	s.st.names = namesForCollation(s.conn.Charset())
	s.charset = charsetOfNames(s.st.names)
	s.mode = s.srv.connectMode(s.srv.baseCtx, s.anyShard())
	s.read = s.readOptions()
	s.autocommit = true
	s.lastInsert = 0
}

func (s *Session) cleanup() {
	_ = s.be.rollback(s.srv.baseCtx)
	s.close()
}

// charsetOfNames is the character set of a SET NAMES argument.
func charsetOfNames(names string) string {
	cs, _, _ := strings.Cut(names, " ")
	return strings.Trim(cs, "'\"`")
}

// namesForCollation maps a handshake collation id to a SET NAMES argument:
// the collation's charset and the collation, as MariaDB names them. Ids
// MariaDB does not have (MySQL 8's 0900 collations) fall back to utf8mb4's
// default collation, as the server does.
func namesForCollation(id uint8) string {
	c, ok := charsets.CollationByID(uint16(id))
	if !ok {
		return "utf8mb4"
	}
	return c.Charset + " COLLATE " + c.Name
}
