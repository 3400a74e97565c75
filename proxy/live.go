package proxy

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/router"
)

// liveBackends is the backends seam over real shards: pooled connections
// synced to the session's state, and the open transaction's pinned
// connections (one per shard it touched, each an XA branch when a
// coordinator is configured).
type liveBackends struct {
	s   *Session
	txn *txn // open transaction, nil outside one
}

// txn is the session's open transaction: one pinned backend connection per
// shard it has touched. With a coordinator every branch is an XA branch (a
// transaction cannot become XA after it started, and the proxy does not know
// in advance whether a second shard will be touched); without one the
// transaction is a plain local one and may touch only one shard.
type txn struct {
	conns      map[string]*backendConn
	dist       DistributedTxn
	savepoints []string // savepoints set before any shard was touched
	oneShot    []string // SET TRANSACTION statements run before each branch starts
	// spanning is the session state of the branches once the transaction
	// spans shards (the session's plus the cross-shard lock wait timeout),
	// derived from the session's varsKey spanningOf.
	spanning   *sessionState
	spanningOf string
}

func (b *liveBackends) forward(ctx context.Context, t router.Target, c *call, write bool) error {
	bc, release, err := b.acquire(ctx, t.Shard)
	if err != nil {
		return err
	}
	if c.binary() {
		err = b.s.sendExecute(bc, t.SQL, c.args)
	} else {
		payload := c.raw
		if t.SQL != c.sql || payload == nil {
			payload = []byte(t.SQL)
		}
		err = bc.writeCommand(mysql.COM_QUERY, payload)
	}
	if err == nil {
		err = b.s.forwardResult(bc)
	}
	var ce *clientError
	if errors.As(err, &ce) {
		bc.markBroken() // the rest of the result is still on the wire
	}
	if err == nil && write && b.txn != nil && b.txn.dist != nil {
		b.txn.dist.MarkWrite(t.Shard)
	}
	release()
	return err
}

// acquire returns a connection to shard synced to the session's state and
// the function that gives it back: the transaction's pinned connection, or a
// pooled one outside a transaction.
func (b *liveBackends) acquire(ctx context.Context, shard string) (*backendConn, func(), error) {
	if b.txn != nil {
		bc, err := b.txnConn(ctx, shard)
		return bc, func() {}, err
	}
	bc, err := b.s.acquireFree(ctx, shard)
	if err != nil {
		return nil, nil, err
	}
	return bc, func() { bc.pool.put(bc) }, nil
}

// targetSQL returns the text statement for t, with bound arguments written
// in as literals.
func targetSQL(t router.Target) (string, error) {
	if len(t.Args) == 0 {
		return t.SQL, nil
	}
	sql, err := interpolate(t.SQL, t.Args)
	if err != nil {
		return "", newError(mysql.ER_WRONG_ARGUMENTS, "binding arguments: %v", err)
	}
	return sql, nil
}

// read sends every target's query, then reads the headers. Outside a
// transaction each target gets its own pooled connection; inside one, the
// targets of a shard share the pinned connection and all but the last are
// buffered.
func (b *liveBackends) read(ctx context.Context, targets []router.Target, _ *call) (streams []router.RowStream, err error) {
	if b.txn != nil {
		return b.readInTxn(ctx, targets)
	}
	opened := make([]*backendStream, 0, len(targets))
	defer func() {
		if err != nil {
			for _, st := range opened {
				st.Close()
			}
		}
	}()
	for _, t := range targets {
		sql, err := targetSQL(t)
		if err != nil {
			return nil, err
		}
		bc, err := b.s.acquireFree(ctx, t.Shard)
		if err != nil {
			return nil, err
		}
		st := &backendStream{bc: bc, release: func() { bc.pool.put(bc) }}
		opened = append(opened, st)
		if err := st.send(sql); err != nil {
			return nil, err
		}
	}
	var firstErr error
	for _, st := range opened {
		if err := st.readHeader(); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	streams = make([]router.RowStream, len(opened))
	for i, st := range opened {
		streams[i] = st
	}
	return streams, nil
}

// maxTxnBufferedRows bounds the rows buffered when a transaction reads two
// partitions on one shard (one pinned connection cannot stream two results).
const maxTxnBufferedRows = 1_000_000

func (b *liveBackends) readInTxn(ctx context.Context, targets []router.Target) ([]router.RowStream, error) {
	streams := make([]router.RowStream, 0, len(targets))
	fail := func(err error) ([]router.RowStream, error) {
		for _, st := range streams {
			st.Close()
		}
		return nil, err
	}
	last := map[string]int{}
	for i, t := range targets {
		last[t.Shard] = i
	}
	for i, t := range targets {
		sql, err := targetSQL(t)
		if err != nil {
			return fail(err)
		}
		bc, err := b.txnConn(ctx, t.Shard)
		if err != nil {
			return fail(err)
		}
		st := &backendStream{bc: bc}
		if err := st.send(sql); err != nil {
			return fail(err)
		}
		if err := st.readHeader(); err != nil {
			st.Close()
			return fail(err)
		}
		if last[t.Shard] == i {
			streams = append(streams, st)
			continue
		}
		ss, err := materialize(st, maxTxnBufferedRows)
		if err != nil {
			return fail(err)
		}
		streams = append(streams, ss)
	}
	return streams, nil
}

// write runs the targets inside the open transaction: shards in parallel,
// the targets of one shard in order on its connection. Outside a
// transaction each target autocommits on a pooled connection.
func (b *liveBackends) write(ctx context.Context, targets []router.Target, _ *call) ([]writeResult, error) {
	byShard := map[string][]int{}
	order := shardsOf(targets)
	for i, t := range targets {
		byShard[t.Shard] = append(byShard[t.Shard], i)
	}
	conns := make(map[string]*backendConn, len(order))
	var releases []func()
	defer func() {
		for _, r := range releases {
			r()
		}
	}()
	for _, shard := range order { // enlisting touches session state: not in parallel
		bc, release, err := b.acquire(ctx, shard)
		if err != nil {
			return nil, err
		}
		conns[shard] = bc
		releases = append(releases, release)
	}
	results := make([]writeResult, len(targets))
	errs := make([]error, len(order))
	var wg sync.WaitGroup
	for i, shard := range order {
		wg.Add(1)
		go func(i int, bc *backendConn, idx []int) {
			defer wg.Done()
			for _, ti := range idx {
				sql, err := targetSQL(targets[ti])
				if err == nil {
					var r *mysql.Result
					if r, err = bc.exec(sql); err == nil {
						results[ti] = writeResult{affected: r.AffectedRows, insertID: r.InsertId, warnings: r.Warnings}
					}
				}
				if err != nil {
					errs[i] = err
					return
				}
			}
		}(i, conns[shard], byShard[shard])
	}
	wg.Wait()
	var err error
	for i, shard := range order {
		if b.txn != nil && b.txn.dist != nil {
			b.txn.dist.MarkWrite(shard)
		}
		if errs[i] != nil && err == nil {
			err = errs[i]
		}
	}
	if err != nil {
		return nil, err
	}
	return results, nil
}

// ddl runs DDL on every target in order and stops at the first error,
// naming the shard where it failed (DDL is not atomic on MySQL either).
func (b *liveBackends) ddl(ctx context.Context, targets []router.Target) (writeResult, error) {
	var sum writeResult
	if err := b.guardDDL(ctx, targets); err != nil {
		return sum, err
	}
	for i, t := range targets {
		bc, err := b.s.acquireFree(ctx, t.Shard)
		if err != nil {
			return sum, err
		}
		r, err := bc.exec(t.SQL)
		bc.pool.put(bc)
		if err != nil {
			me := toMyError(err)
			if i == 0 {
				return sum, me
			}
			return sum, &mysql.MyError{Code: me.Code, State: me.State,
				Message: me.Message + " (on shard " + t.Shard + "; the statement already ran on " + strings.Join(shardsOf(targets[:i]), ", ") + ")"}
		}
		sum.warnings += r.Warnings
	}
	return sum, nil
}

func (b *liveBackends) begin(oneShot []string) {
	t := &txn{conns: map[string]*backendConn{}, oneShot: oneShot}
	if b.s.srv.deps.Txns != nil {
		t.dist = b.s.srv.deps.Txns.Begin()
	}
	b.txn = t
}

func (b *liveBackends) inTxn() bool   { return b.txn != nil }
func (b *liveBackends) touched() bool { return b.txn != nil && len(b.txn.conns) > 0 }

// txnConn returns the transaction's connection to shard, opening the branch
// on first touch.
func (b *liveBackends) txnConn(ctx context.Context, shard string) (*backendConn, error) {
	t := b.txn
	if bc, ok := t.conns[shard]; ok {
		return bc, bc.sync(b.branchState(len(t.conns) > 1))
	}
	if t.dist == nil && len(t.conns) > 0 {
		return nil, newError(mysql.ER_NOT_SUPPORTED_YET,
			"This transaction already uses shard %s; a transaction spanning shards (here also %s) needs the XA coordinator, which is not enabled",
			firstKey(t.conns), shard)
	}
	bc, err := b.startBranch(ctx, t, shard)
	if err != nil && bc != nil && bc.broken {
		// A pooled connection that died unnoticed (the shard restarted):
		// nothing ran on it, so the branch starts again on a fresh one.
		bc.pool.put(bc)
		bc, err = b.startBranch(ctx, t, shard)
	}
	if err != nil {
		if bc != nil {
			bc.pool.put(bc)
		}
		return nil, err
	}
	t.conns[shard] = bc
	return bc, nil
}

// branchState is the state the transaction's connections must carry. Once
// it spans shards (spanning), a lock cycle between its branches and another
// transaction's is a deadlock no server sees: only innodb_lock_wait_timeout
// breaks it, so the branches get CrossShardLockWait unless the session set
// that variable itself. A branch gets it with the first statement it runs
// once the transaction spans shards (a lock wait needs a statement), in the
// same SET as any other state change. The connection keeps the value when
// pooled; the next session's sync resets it (it is not in its vars).
func (b *liveBackends) branchState(spanning bool) *sessionState {
	s := b.s
	lw, t := s.srv.cfg.CrossShardLockWait, b.txn
	if !spanning || t == nil || t.dist == nil || lw <= 0 {
		return &s.st
	}
	if _, own := s.st.vars[lockWaitVar]; own {
		return &s.st
	}
	if t.spanning == nil || t.spanningOf != s.st.varsKey {
		st := sessionState{db: s.st.db, names: s.st.names}
		for k, v := range s.st.vars {
			st.setVar(k, v)
		}
		st.setVar(lockWaitVar, strconv.FormatInt(int64(max(lw/time.Second, 1)), 10))
		t.spanning, t.spanningOf = &st, s.st.varsKey
	}
	t.spanning.db, t.spanning.names = s.st.db, s.st.names
	return t.spanning
}

const lockWaitVar = "innodb_lock_wait_timeout"

// startBranch takes a connection to shard and opens the transaction on it
// (XA START, or BEGIN without a coordinator). On error the connection is
// returned to the caller, not pooled.
func (b *liveBackends) startBranch(ctx context.Context, t *txn, shard string) (*backendConn, error) {
	bc, err := b.s.acquireSynced(ctx, shard, b.branchState(len(t.conns) > 0))
	if err != nil {
		return nil, err
	}
	for _, q := range t.oneShot {
		if _, err := bc.exec(q); err != nil {
			return bc, err
		}
	}
	if t.dist != nil {
		if err = t.dist.Enlist(shard, branchConn{bc}); err != nil {
			return bc, err
		}
		bc.inXA = true
	} else if _, err = bc.exec("BEGIN"); err != nil {
		return bc, err
	}
	for _, sp := range t.savepoints {
		if _, err = bc.exec(sp); err != nil {
			return bc, err
		}
	}
	return bc, nil
}

func firstKey(m map[string]*backendConn) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}

// commit ends the transaction. After an error the connections are closed,
// not pooled: an XA branch may be left prepared for the resolver.
func (b *liveBackends) commit(ctx context.Context) error {
	t := b.txn
	if t == nil {
		return nil
	}
	b.txn = nil
	var err error
	switch {
	case t.dist != nil:
		err = t.dist.Commit(ctx)
	case len(t.conns) == 1:
		for _, bc := range t.conns {
			_, err = bc.exec("COMMIT")
		}
	}
	releaseTxn(t, err)
	return err
}

func (b *liveBackends) rollback(ctx context.Context) error {
	t := b.txn
	if t == nil {
		return nil
	}
	b.txn = nil
	var err error
	if t.dist != nil {
		err = t.dist.Rollback(ctx)
	} else {
		for _, bc := range t.conns {
			if _, e := bc.exec("ROLLBACK"); e != nil && err == nil {
				err = e
			}
		}
	}
	releaseTxn(t, err)
	return err
}

func releaseTxn(t *txn, err error) {
	for _, bc := range t.conns {
		if err != nil {
			bc.markBroken()
		}
		bc.inXA = false
		bc.pool.put(bc)
	}
}

// savepoint passes SAVEPOINT / ROLLBACK TO / RELEASE through when the
// transaction touches at most one shard; before any shard is touched it is
// replayed on the first branch.
func (b *liveBackends) savepoint(_ context.Context, sql string) error {
	t := b.txn
	switch len(t.conns) {
	case 0:
		t.savepoints = append(t.savepoints, sql)
		return nil
	case 1:
		for _, bc := range t.conns {
			if _, err := bc.exec(sql); err != nil {
				return err
			}
		}
		return nil
	}
	return newError(mysql.ER_NOT_SUPPORTED_YET,
		"savepoints in a transaction that spans several shards are not supported (statement: %s)", sql)
}

// apply brings a connection of the default shard to st, so the server
// validates names and values (and translates them, see
// backendConn.assignment); on success that connection carries the state.
func (b *liveBackends) apply(ctx context.Context, st *sessionState, readBack []string) ([]varValue, error) {
	shard := b.s.anyShard()
	if shard == "" {
		return nil, nil // nothing to validate against (a map without shards)
	}
	// A free connection, not the transaction's: a SET must not enlist a shard.
	bc, err := b.s.acquireSynced(ctx, shard, st)
	if err != nil {
		return nil, err
	}
	defer bc.pool.put(bc)
	if len(readBack) == 0 {
		return nil, nil
	}
	exprs := make([]string, len(readBack))
	for i, name := range readBack {
		exprs[i] = "@@SESSION." + bc.varName(name)
	}
	r, err := bc.exec("SELECT " + strings.Join(exprs, ", "))
	if err != nil {
		return nil, err
	}
	if len(r.Values) != 1 || len(r.Values[0]) != len(readBack) {
		return nil, newError(mysql.ER_UNKNOWN_ERROR, "reading back %s: unexpected result", strings.Join(readBack, ", "))
	}
	out := make([]varValue, len(readBack))
	for i, v := range r.Values[0] {
		if v.Value() == nil {
			out[i].null = true
		} else {
			out[i].text = string(v.AsString())
		}
	}
	return out, nil
}

func (b *liveBackends) nextIDs(ctx context.Context, sequence string, n int) (uint64, error) {
	seq := b.s.srv.deps.Sequences
	if seq == nil {
		return 0, newError(mysql.ER_NOT_SUPPORTED_YET,
			"generated values of sequence %s need the Raft group (global sequences are off on this node): give the column explicitly", sequence)
	}
	first, err := seq.Next(ctx, sequence, uint64(n))
	if err != nil {
		if me := toMyError(err); me.Code != mysql.ER_UNKNOWN_ERROR {
			return 0, me
		}
		return 0, newError(mysql.ER_UNKNOWN_ERROR, "allocating values of sequence %s: %v", sequence, err)
	}
	return first, nil
}

func (b *liveBackends) forgetIDs(sequence string) {
	if seq := b.s.srv.deps.Sequences; seq != nil {
		seq.Forget(sequence)
	}
}

func (b *liveBackends) mergeInfo(ctx context.Context, shard string, fields []*mysql.Field) (map[int]uint16, map[int][]string) {
	return b.s.columnCollations(ctx, shard, fields)
}

// acquireFree takes a connection from shard's pool and syncs it to the
// session's state.
func (s *Session) acquireFree(ctx context.Context, shard string) (*backendConn, error) {
	return s.acquireSynced(ctx, shard, &s.st)
}

// acquireSynced takes a connection from shard's pool and brings it to st.
func (s *Session) acquireSynced(ctx context.Context, shard string, st *sessionState) (*backendConn, error) {
	p, err := s.srv.pools.get(shard)
	if err != nil {
		return nil, err
	}
	bc, err := p.get(ctx)
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

// anyShard is the shard for statements that need some backend: the current
// schema's default shard, else the first shard by name.
func (s *Session) anyShard() string {
	m := s.srv.deps.Map.ShardMap()
	if sc, ok := m.Schemas[s.st.db]; ok && sc.DefaultShard != "" {
		return sc.DefaultShard
	}
	return s.srv.firstShard()
}

// firstShard is the first shard of the map by name ("" without shards).
func (s *Server) firstShard() string {
	best := ""
	for name := range s.deps.Map.ShardMap().Shards {
		if best == "" || name < best {
			best = name
		}
	}
	return best
}
