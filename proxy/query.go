package proxy

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/shardline/shardline/router"
)

// stmtArgs carries what a COM_STMT_EXECUTE adds to a statement; nil for
// COM_QUERY.
type stmtArgs struct {
	stmt       *clientStmt
	args       []any
	packet     []byte // the client's COM_STMT_EXECUTE payload after the command byte
	nullBitmap []byte
	valuesOff  int // where the parameter values start in packet
}

func (a *stmtArgs) binary() bool { return a != nil }

func (s *Session) handleQuery(sql string, raw []byte) error {
	m, rs := s.srv.deps.Map.ShardMap(), s.planSession()
	p, err := s.srv.deps.Planner.Plan(sql, nil, m, rs)
	if err != nil {
		return err
	}
	if p.AutoID != nil {
		return s.execAutoIDs(p.AutoID, rs, func(rs router.Session) (*router.Plan, error) {
			return s.srv.deps.Planner.Plan(sql, nil, m, rs)
		}, sql, raw, nil)
	}
	return s.execPlan(p, sql, raw, nil)
}

// execPlan runs a plan and writes its response.
func (s *Session) execPlan(p *router.Plan, sql string, raw []byte, a *stmtArgs) error {
	start := time.Now()
	kind, err := s.execPlanKind(p, sql, raw, a)
	m := s.srv.deps.Metrics
	m.statements.WithLabelValues(kind).Inc()
	m.latency.WithLabelValues(kind).Observe(time.Since(start).Seconds())
	return err
}

func (s *Session) execPlanKind(p *router.Plan, sql string, raw []byte, a *stmtArgs) (string, error) {
	switch p.Kind {
	case router.KindQuery:
		return s.execQuery(p, sql, raw, a)
	case router.KindBegin:
		if err := s.commit(); err != nil { // BEGIN commits an open transaction, as in MySQL
			return "txn", err
		}
		s.beginTxn()
		return "txn", s.writeOK(0, 0, 0)
	case router.KindCommit:
		if err := s.commit(); err != nil {
			return "txn", err
		}
		return "txn", s.writeOK(0, 0, 0)
	case router.KindRollback:
		if err := s.rollback(); err != nil {
			return "txn", err
		}
		return "txn", s.writeOK(0, 0, 0)
	case router.KindSavepoint:
		return "txn", s.savepoint(p.Raw)
	case router.KindSet:
		return "session", s.set(p, sql)
	case router.KindUse:
		return "session", s.useDB(p.DB)
	case router.KindStatic:
		return "static", s.writeStatic(p.Static, a.binary())
	case router.KindKill:
		return "session", s.kill(p.KillID, p.KillQuery)
	case router.KindLastInsertID:
		return "static", s.writeLastInsertID(p, a.binary())
	default:
		return "other", newError(mysql.ER_NOT_SUPPORTED_YET, "statement kind %d is not supported", p.Kind)
	}
}

// execQuery runs the targets of a data statement.
func (s *Session) execQuery(p *router.Plan, sql string, raw []byte, a *stmtArgs) (string, error) {
	if len(p.Targets) == 0 {
		return "single", newError(mysql.ER_NOT_SUPPORTED_YET, "the statement has no target shard")
	}
	if !s.autocommit && s.txn == nil {
		s.beginTxn()
	}
	if p.DDL && s.txn != nil {
		if err := s.commit(); err != nil { // DDL commits implicitly, as in MySQL
			return "write", err
		}
	}
	if p.Sequenced && p.InsertID != 0 {
		return "write", s.afterStatement(s.execAutoInsert(p))
	}
	if p.Sequenced { // explicit values: LAST_INSERT_ID() stays
		defer s.keepLastInsert()()
	}
	if len(p.Targets) == 1 && p.Merge == nil && p.RenameTable == nil {
		if p.DDL {
			s.srv.collations.invalidate()
		}
		err := s.execSingle(p, p.Targets[0], sql, raw, a)
		return "single", s.afterStatement(err)
	}
	if p.Write {
		return "write", s.afterStatement(s.execMultiWrite(p, a))
	}
	return "scatter", s.afterStatement(s.execScatter(p, a))
}

// afterStatement ends the transaction when a statement error ends it on a
// MySQL server too (deadlock, lost connection).
func (s *Session) afterStatement(err error) error {
	if err != nil && s.txn != nil && isTxnFatal(err) {
		_ = s.rollback()
	}
	return err
}

// execSingle runs a one-target statement and streams the backend's response
// packets to the client as they arrive.
func (s *Session) execSingle(p *router.Plan, t router.Target, sql string, raw []byte, a *stmtArgs) error {
	if a.binary() && !t.PassArgs {
		// The physical statement takes other arguments than the client bound:
		// run it as text and encode the result in the binary protocol.
		return s.execScatter(&router.Plan{Kind: p.Kind, Write: p.Write, Targets: []router.Target{t}, Merge: &router.MergeSpec{Limit: -1}}, a)
	}
	bc, release, err := s.acquire(t.Shard)
	if err != nil {
		return err
	}
	if a.binary() {
		err = s.sendExecute(bc, t.SQL, a)
	} else {
		payload := raw
		if t.SQL != sql {
			payload = []byte(t.SQL)
		}
		err = bc.writeCommand(mysql.COM_QUERY, payload)
	}
	if err == nil {
		err = s.forwardResult(bc)
	}
	var ce *clientError
	if errors.As(err, &ce) {
		bc.markBroken() // the rest of the result is still on the wire
	}
	if err == nil && p.Write && s.txn != nil && s.txn.dist != nil {
		s.txn.dist.MarkWrite(t.Shard)
	}
	release()
	return err
}

// acquire returns a connection to shard synced to the session's state and
// the function that gives it back: the transaction's pinned connection, or a
// pooled one outside a transaction.
func (s *Session) acquire(shard string) (*backendConn, func(), error) {
	if s.txn != nil {
		bc, err := s.txnConn(shard)
		return bc, func() {}, err
	}
	bc, err := s.acquireFree(shard)
	if err != nil {
		return nil, nil, err
	}
	return bc, func() { bc.pool.put(bc) }, nil
}

// acquireFree takes a connection from shard's pool and syncs it.
func (s *Session) acquireFree(shard string) (*backendConn, error) {
	return s.acquireSynced(shard, &s.st)
}

// acquireSynced takes a connection from shard's pool and brings it to st.
func (s *Session) acquireSynced(shard string, st *sessionState) (*backendConn, error) {
	p, err := s.srv.pools.get(shard)
	if err != nil {
		return nil, err
	}
	bc, err := p.get(s.srv.ctx())
	if err != nil {
		return nil, err
	}
	s.track(bc)
	if err := bc.sync(st); err != nil {
		p.put(bc)
		return nil, err
	}
	return bc, nil
}

// savepoint passes SAVEPOINT / ROLLBACK TO / RELEASE through when the
// transaction touches at most one shard.
func (s *Session) savepoint(raw string) error {
	if s.txn == nil {
		if !s.autocommit {
			s.beginTxn()
		} else {
			// Outside a transaction MySQL accepts SAVEPOINT and forgets it.
			return s.writeOK(0, 0, 0)
		}
	}
	t := s.txn
	switch len(t.conns) {
	case 0:
		t.savepoints = append(t.savepoints, raw)
		return s.writeOK(0, 0, 0)
	case 1:
		for _, bc := range t.conns {
			if _, err := bc.exec(raw); err != nil {
				return err
			}
		}
		return s.writeOK(0, 0, 0)
	default:
		return newError(mysql.ER_NOT_SUPPORTED_YET,
			"savepoints in a transaction that spans several shards are not supported (statement: %s)", raw)
	}
}

// set applies a SET statement: it runs on one backend connection first, so
// the server validates names and values, then becomes session state that is
// replayed on every connection the session uses.
func (s *Session) set(p *router.Plan, sql string) error {
	next := s.st
	next.vars = make(map[string]string, len(s.st.vars))
	for k, v := range s.st.vars {
		next.vars[k] = v
	}
	if oneShot(p.Sets) {
		// SET TRANSACTION ... without a scope: for the next transaction only.
		if s.txn != nil && len(s.txn.conns) > 0 {
			return newError(1568, "Transaction characteristics can't be changed while a transaction is in progress")
		}
		s.nextTxn = append(s.nextTxn, sql)
		return s.writeOK(0, 0, 0)
	}
	autocommit := s.autocommit
	needsBackend := false
	for _, v := range p.Sets {
		switch {
		case v.Global:
			return newError(mysql.ER_SPECIFIC_ACCESS_DENIED_ERROR,
				"SET GLOBAL %s is not supported through Shardline: set it on each shard", v.Name)
		case v.Name == "autocommit":
			on, err := parseBool(v.Value)
			if err != nil {
				return newError(mysql.ER_WRONG_VALUE_FOR_VAR, "Variable 'autocommit' can't be set to the value of '%s'", v.Value)
			}
			autocommit = on
		case v.Name == "names" || v.Name == "character set" || v.Name == "charset":
			next.names = unquote(v.Value)
			if v.Collate != "" {
				next.names += " COLLATE " + unquote(v.Collate)
			}
			needsBackend = true
		default:
			next.setVar(v.Name, v.Value)
			needsBackend = true
		}
	}
	if needsBackend {
		if err := s.validateSet(&next); err != nil {
			return err
		}
	}
	s.st = next
	if autocommit && !s.autocommit && s.txn != nil {
		if err := s.commit(); err != nil { // SET autocommit=1 commits, as in MySQL
			return err
		}
	}
	s.autocommit = autocommit
	return s.writeOK(0, 0, 0)
}

// validateSet applies the new state to a connection of the default shard,
// so the server validates names and values (and translates them, see
// backendConn.assignment); on success that connection carries the state.
func (s *Session) validateSet(next *sessionState) error {
	shard := s.anyShard()
	if shard == "" {
		return nil
	}
	// A free connection, not the transaction's: a SET must not enlist a shard.
	bc, err := s.acquireFree(shard)
	if err != nil {
		return err
	}
	defer bc.pool.put(bc)
	return bc.sync(next)
}

// anyShard is the shard for statements that need some backend: the current
// schema's default shard, else the first shard by name.
func (s *Session) anyShard() string {
	m := s.srv.deps.Map.ShardMap()
	if sc, ok := m.Schemas[s.st.db]; ok && sc.DefaultShard != "" {
		return sc.DefaultShard
	}
	best := ""
	for name := range m.Shards {
		if best == "" || name < best {
			best = name
		}
	}
	return best
}

func oneShot(sets []router.SetVar) bool {
	for _, v := range sets {
		if !v.OneShot {
			return false
		}
	}
	return len(sets) > 0
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(unquote(v)) {
	case "1", "on", "true":
		return true, nil
	case "0", "off", "false":
		return false, nil
	}
	if n, err := strconv.Atoi(v); err == nil {
		return n != 0, nil
	}
	return false, strconv.ErrSyntax
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '\'' || v[0] == '"' || v[0] == '`') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}
