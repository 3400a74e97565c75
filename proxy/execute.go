package proxy

import (
	"context"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/router"
	"github.com/shardline/shardline/router/merge"
	"github.com/shardline/shardline/xa"
)

// The executor: one case per plan node type. It owns the session-level
// rules (autocommit, implicit commits, a statement error that ends the
// transaction, generated ids and their retry, the response the client
// sees) and reaches the shards only through the backends seam.

func (s *Session) handleQuery(sql string, raw []byte) error {
	p, err := s.srv.deps.Planner.Plan(sql, nil, s.srv.deps.Map.ShardMap(), s.planSession())
	if err != nil {
		return err
	}
	return s.execute(&call{sql: sql, raw: raw}, p)
}

// execute runs a plan under a context of its own (cancelled by KILL QUERY,
// KILL CONNECTION and server shutdown) and writes its response.
func (s *Session) execute(c *call, p router.Plan) error {
	ctx, done := s.killer.statementContext(s.srv.baseCtx)
	defer done()
	start := time.Now()
	kind, err := s.run(ctx, c, p)
	m := s.srv.deps.Metrics
	m.statements.WithLabelValues(kind).Inc()
	m.latency.WithLabelValues(kind).Observe(time.Since(start).Seconds())
	return err
}

// run executes one plan node; kind labels the statement in metrics.
func (s *Session) run(ctx context.Context, c *call, p router.Plan) (kind string, err error) {
	switch n := p.(type) {
	case *router.Route:
		return "single", s.runRoute(ctx, c, n)
	case *router.Scatter:
		s.beginImplicit()
		return "scatter", s.afterStatement(ctx, s.mergeResults(ctx, c, n.Targets, n.Merge, n.Rename))
	case *router.MultiWrite:
		s.beginImplicit()
		return "write", s.afterStatement(ctx, s.runMultiWrite(ctx, c, n))
	case *router.DDL:
		return "write", s.runDDL(ctx, c, n)
	case *router.Generate:
		return "write", s.runGenerate(ctx, c, n)
	case *router.SequencedInsert:
		return "write", s.runSequenced(ctx, c, n)
	case *router.Txn:
		return "txn", s.runTxn(ctx, n)
	case *router.Set:
		return "session", s.set(ctx, n)
	case *router.Use:
		return "session", s.useDB(n.DB)
	case *router.Static:
		return "static", s.writeStatic(n.Result, c.binary())
	case *router.LastInsertID:
		return "static", s.writeLastInsertID(n.Columns, c.binary())
	case *router.Kill:
		return "session", s.kill(n.ID, n.Query)
	}
	return "other", newError(mysql.ER_NOT_SUPPORTED_YET, "plan node %T is not supported", p)
}

// beginImplicit opens a transaction before a data statement when
// autocommit is off, as the server would.
func (s *Session) beginImplicit() {
	if !s.autocommit && !s.be.inTxn() {
		s.beginTxn()
	}
}

func (s *Session) beginTxn() {
	s.be.begin(s.nextTxn)
	s.nextTxn = nil
}

// afterStatement ends the transaction when a statement error ends it on a
// MySQL server too (deadlock, lost connection).
func (s *Session) afterStatement(ctx context.Context, err error) error {
	if err != nil && s.be.inTxn() && isTxnFatal(err) {
		_ = s.be.rollback(ctx)
	}
	return err
}

func (s *Session) runRoute(ctx context.Context, c *call, n *router.Route) error {
	s.beginImplicit()
	return s.afterStatement(ctx, s.forward(ctx, c, n.Target, n.Write))
}

// forward runs one target and passes its response on. A prepared statement
// whose physical statement takes other arguments than the client bound
// runs as text, and its result is encoded in the binary protocol.
func (s *Session) forward(ctx context.Context, c *call, t router.Target, write bool) error {
	if c.binary() && !t.PassArgs {
		return s.mergeResults(ctx, c, []router.Target{t}, nil, nil)
	}
	return s.be.forward(ctx, t, c, write)
}

// mergeResults runs read targets and streams their merged rows to the
// client (a nil spec concatenates). Responses that are not result sets
// (a statement that returned OK) become one OK with the summed counts.
func (s *Session) mergeResults(ctx context.Context, c *call, targets []router.Target, spec *router.MergeSpec, rename *router.TableRename) error {
	streams, err := s.be.read(ctx, targets, c)
	if err != nil {
		return err
	}
	if len(streams) > 0 && streams[0].Fields() == nil {
		var sum writeResult
		for _, st := range streams {
			if ok, isOK := st.(okStream); isOK {
				r := ok.result()
				sum.affected += r.affected
				sum.warnings += r.warnings
			}
			st.Close()
		}
		return s.writeOK(sum.affected, 0, sum.warnings)
	}
	if spec == nil {
		spec = &router.MergeSpec{Limit: -1}
	}
	spec = spec.Resolve(len(streams[0].Fields())) // SELECT * with hidden sort columns
	opts := merge.Options{MaxRows: s.srv.cfg.MergeMaxRows}
	if len(spec.OrderBy) > 0 || len(spec.GroupBy) > 0 || spec.Distinct || len(spec.Aggregates) > 0 {
		opts.Collations, opts.Enums = s.be.mergeInfo(ctx, targets[0].Shard, streams[0].Fields())
	}
	merged, err := merge.New(spec, streams, opts)
	if err != nil {
		for _, st := range streams {
			st.Close()
		}
		return err
	}
	defer merged.Close()
	var out router.RowStream = merged
	if rename != nil {
		out = &renameStream{RowStream: merged, r: rename}
	}
	return s.writeResultSet(out.Fields(), out, c.binary())
}

// okStream is a read target's response that was an OK packet.
type okStream interface {
	result() writeResult
}

func (s *Session) runMultiWrite(ctx context.Context, c *call, n *router.MultiWrite) error {
	results, err := s.atomicWrites(ctx, c, n.Targets)
	if err != nil {
		return err
	}
	sum := sumWrites(results)
	if n.Broadcast && len(results) > 0 {
		// every target wrote a copy of the same rows: the client changed
		// one copy's worth
		sum.affected = results[0].affected
	}
	if sum.insertID != 0 {
		s.lastInsert = sum.insertID
	}
	return s.writeOK(sum.affected, sum.insertID, sum.warnings)
}

// sumWrites adds up affected rows and warnings; the insert id is the
// smallest one reported.
func sumWrites(results []writeResult) writeResult {
	var sum writeResult
	for _, r := range results {
		sum.affected += r.affected
		sum.warnings += r.warnings
		if sum.insertID == 0 || (r.insertID != 0 && r.insertID < sum.insertID) {
			sum.insertID = r.insertID
		}
	}
	return sum
}

// atomicWrites runs write targets inside the session's transaction, or in
// a transaction of their own that commits (two-phase when they span
// shards) or rolls back as a whole.
func (s *Session) atomicWrites(ctx context.Context, c *call, targets []router.Target) ([]writeResult, error) {
	if s.be.inTxn() {
		return s.be.write(ctx, targets, c)
	}
	if s.srv.deps.Txns == nil && len(shardsOf(targets)) > 1 {
		return nil, newError(mysql.ER_NOT_SUPPORTED_YET,
			"a write spanning shards %s needs the XA coordinator, which is not enabled", strings.Join(shardsOf(targets), ", "))
	}
	s.be.begin(nil)
	results, err := s.be.write(ctx, targets, c)
	if err != nil {
		_ = s.be.rollback(ctx)
		return nil, err
	}
	return results, s.be.commit(ctx)
}

func shardsOf(targets []router.Target) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range targets {
		if !seen[t.Shard] {
			seen[t.Shard] = true
			out = append(out, t.Shard)
		}
	}
	return out
}

// runDDL commits the open transaction (DDL commits implicitly, as in
// MySQL), then runs the schema change. One target's response is passed on
// as the server sent it.
func (s *Session) runDDL(ctx context.Context, c *call, n *router.DDL) error {
	if err := s.be.commit(ctx); err != nil {
		return err
	}
	s.srv.collations.invalidate()
	if len(n.Targets) == 1 {
		return s.forward(ctx, c, n.Targets[0], true)
	}
	r, err := s.be.ddl(ctx, n.Targets)
	if err != nil {
		return err
	}
	return s.writeOK(r.affected, 0, r.warnings)
}

// runGenerate takes the values a plan asked for and runs the rest of it. A
// sequence moved forward with the admin API (after rows were loaded with
// explicit ids) does not reach the blocks nodes have already cached: when a
// generated value collides with a row (error 1062) outside a transaction,
// the node forgets its cached values and runs the statement once more with
// values reserved now.
func (s *Session) runGenerate(ctx context.Context, c *call, n *router.Generate) error {
	for attempt := 0; ; attempt++ {
		seqCtx, cancel := context.WithTimeout(ctx, sequenceTimeout)
		first, err := s.be.nextIDs(seqCtx, n.Sequence, n.Count)
		cancel()
		if err != nil {
			return err
		}
		ids := make([]uint64, n.Count)
		for i := range ids {
			ids[i] = first + uint64(i)
		}
		p, err := n.Then(ids)
		if err != nil {
			return err
		}
		_, err = s.run(ctx, c, p)
		var me *mysql.MyError
		if attempt > 0 || s.be.inTxn() || !errors.As(err, &me) || me.Code != mysql.ER_DUP_ENTRY {
			return err
		}
		s.be.forgetIDs(n.Sequence)
	}
}

// runSequenced runs an INSERT into a table with a global sequence and
// answers with the plan's insert id (the first generated value, which
// becomes the session's LAST_INSERT_ID(), or the last explicit one), not
// with what the backends report. With no such id the backends' answer goes
// to the client, and LAST_INSERT_ID() stays: backends report explicit
// values of the column as insert ids, which MySQL does not make the
// LAST_INSERT_ID().
func (s *Session) runSequenced(ctx context.Context, c *call, n *router.SequencedInsert) error {
	if n.InsertID == 0 {
		keep := s.lastInsert
		_, err := s.run(ctx, c, n.Input)
		s.lastInsert = keep
		return err
	}
	s.beginImplicit()
	targets := router.Targets(n.Input)
	var results []writeResult
	var err error
	if len(targets) == 1 {
		results, err = s.be.write(ctx, targets, c) // autocommits outside a transaction
	} else {
		results, err = s.atomicWrites(ctx, c, targets)
	}
	if err = s.afterStatement(ctx, err); err != nil {
		return err
	}
	if n.Generated {
		s.lastInsert = n.InsertID
	}
	sum := sumWrites(results)
	return s.writeOK(sum.affected, n.InsertID, sum.warnings)
}

func (s *Session) runTxn(ctx context.Context, n *router.Txn) error {
	switch n.Op {
	case router.TxnBegin:
		if err := s.be.commit(ctx); err != nil { // BEGIN commits an open transaction, as in MySQL
			return err
		}
		if n.ReadOnly {
			// SET TRANSACTION READ ONLY before XA START (or BEGIN) makes
			// the branch read-only on MariaDB and MySQL.
			s.nextTxn = append(s.nextTxn, "SET TRANSACTION READ ONLY")
		}
		s.beginTxn()
	case router.TxnCommit:
		if err := s.be.commit(ctx); err != nil {
			return err
		}
	case router.TxnRollback:
		if err := s.be.rollback(ctx); err != nil {
			return err
		}
	case router.TxnSavepoint:
		if !s.be.inTxn() {
			if s.autocommit {
				return s.writeOK(0, 0, 0) // outside a transaction MySQL accepts SAVEPOINT and forgets it
			}
			s.beginTxn()
		}
		if err := s.be.savepoint(ctx, n.SQL); err != nil {
			return err
		}
	}
	return s.writeOK(0, 0, 0)
}

// set applies a SET statement: it runs on one backend connection first, so
// the server validates names and values, then becomes session state that is
// replayed on every connection the session uses.
func (s *Session) set(ctx context.Context, p *router.Set) error {
	next := s.st
	next.vars = make(map[string]string, len(s.st.vars))
	for k, v := range s.st.vars {
		next.vars[k] = v
	}
	if oneShot(p.Vars) {
		// SET TRANSACTION ... without a scope: for the next transaction only.
		if s.be.inTxn() && s.be.touched() {
			return newError(1568, "Transaction characteristics can't be changed while a transaction is in progress")
		}
		s.nextTxn = append(s.nextTxn, p.SQL)
		return s.writeOK(0, 0, 0)
	}
	autocommit := s.autocommit
	needsBackend, charsetChanges := false, false
	var readBack []string
	for _, v := range p.Vars {
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
			if !strings.EqualFold(v.Value, "DEFAULT") {
				if err := clientCharsetError(unquote(v.Value)); err != nil {
					return err
				}
			}
			next.names = unquote(v.Value)
			if v.Collate != "" {
				next.names += " COLLATE " + unquote(v.Collate)
			}
			needsBackend, charsetChanges = true, true
		default:
			if v.Name == "character_set_client" {
				charsetChanges = true
			}
			next.setVar(v.Name, v.Value)
			needsBackend = true
			if !strings.HasPrefix(v.Name, "@") && (v.Name == "sql_mode" || !plainLiteral(v.Value)) && v.Name != "max_execution_time" {
				readBack = append(readBack, v.Name)
			}
		}
	}
	charsetAt := -1
	if charsetChanges {
		charsetAt = len(readBack)
		readBack = append(readBack, "character_set_client")
	}
	charset := s.charset
	if needsBackend {
		vals, err := s.be.apply(ctx, &next, readBack)
		if err != nil {
			return err
		}
		if charsetAt >= 0 && charsetAt < len(vals) {
			// the character set the server now reads the session's
			// statements in (SET NAMES DEFAULT, or an expression)
			charset = vals[charsetAt].text
			if err := clientCharsetError(charset); err != nil {
				return err
			}
			readBack, vals = readBack[:charsetAt], vals[:charsetAt]
		}
		// The values as the server resolved them are replayed, never the
		// expressions: CONCAT(@@sql_mode, ...) on another connection would
		// start from that connection's value.
		for i, name := range readBack {
			if i < len(vals) {
				next.setVar(name, valueLiteral(vals[i]))
				if name == "sql_mode" {
					s.mode = sqlMode{text: strings.ToUpper(vals[i].text), known: true}
				}
			}
		}
	}
	s.st = next
	s.charset = charset
	s.read = s.readOptions()
	if autocommit && !s.autocommit && s.be.inTxn() {
		if err := s.be.commit(ctx); err != nil { // SET autocommit=1 commits, as in MySQL
			return err
		}
	}
	s.autocommit = autocommit
	return s.writeOK(0, 0, 0)
}

// plainLiteral reports a SET value that means the same on every
// connection: a number, a keyword (ON, OFF, DEFAULT, ...) or a quoted
// string without backslashes.
func plainLiteral(v string) bool {
	if v == "" {
		return false
	}
	if v[0] == '\'' {
		return len(v) >= 2 && v[len(v)-1] == '\'' && !strings.ContainsAny(v[1:len(v)-1], "'\\")
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '.' || (c == '-' && i == 0)) {
			return false
		}
	}
	return true
}

// valueLiteral writes a value read back from a server as an SQL literal
// that every connection reads alike whatever its sql_mode: a number as
// is, a string without quotes and backslashes quoted, anything else as a
// hex string.
func valueLiteral(v varValue) string {
	switch {
	case v.null:
		return "NULL"
	case v.text != "" && strings.Trim(v.text, "0123456789") == "":
		return v.text
	case !strings.ContainsAny(v.text, "'\\"):
		return "'" + v.text + "'"
	}
	return "0x" + hex.EncodeToString([]byte(v.text))
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

// isTxnFatal reports whether a statement error ends the transaction, as on
// one MySQL server: xa's rules (a deadlock rolls it back, a branch already
// rolled back or a lost connection loses it; a lock-wait timeout (1205) and
// 1399 undo only the statement), plus the proxy's own shard errors.
func isTxnFatal(err error) bool {
	me := toMyError(err)
	return me.Code == errShardLost || me.Code == errShardUnavailable || xa.IsTxnFatal(err)
}
