package proxy

import (
	"context"
	"sort"
	"strconv"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/xa"
)

// TxnCoordinator runs transactions that span shards (two-phase commit over
// XA). The proxy declares only what it needs; package xa implements it.
type TxnCoordinator interface {
	Begin() DistributedTxn
}

// DistributedTxn is one transaction's branches on the shards it touched.
type DistributedTxn interface {
	// Enlist opens the branch on c (XA START) when shard is first touched.
	Enlist(shard string, c BranchConn) error
	// MarkWrite records that a statement may have changed rows on shard.
	MarkWrite(shard string)
	// Commit commits every branch atomically (one phase when one shard wrote).
	Commit(ctx context.Context) error
	// Rollback rolls every branch back.
	Rollback(ctx context.Context) error
}

// BranchConn is the backend connection a branch runs on.
type BranchConn interface {
	Execute(query string, args ...any) (*mysql.Result, error)
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

func (s *Session) beginTxn() {
	t := &txn{conns: map[string]*backendConn{}, oneShot: s.nextTxn}
	s.nextTxn = nil
	if s.srv.deps.Txns != nil {
		t.dist = s.srv.deps.Txns.Begin()
	}
	s.txn = t
}

// txnConn returns the transaction's connection to shard, opening the branch
// on first touch.
func (s *Session) txnConn(shard string) (*backendConn, error) {
	t := s.txn
	if bc, ok := t.conns[shard]; ok {
		return bc, bc.sync(s.branchState(len(t.conns) > 1))
	}
	if t.dist == nil && len(t.conns) > 0 {
		return nil, newError(mysql.ER_NOT_SUPPORTED_YET,
			"This transaction already uses shard %s; a transaction spanning shards (here also %s) needs the XA coordinator, which is not enabled",
			firstKey(t.conns), shard)
	}
	bc, err := s.startBranch(t, shard)
	if err != nil && bc != nil && bc.broken {
		// A pooled connection that died unnoticed (the shard restarted):
		// nothing ran on it, so the branch starts again on a fresh one.
		bc.pool.put(bc)
		bc, err = s.startBranch(t, shard)
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
func (s *Session) branchState(spanning bool) *sessionState {
	lw, t := s.srv.cfg.CrossShardLockWait, s.txn
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
func (s *Session) startBranch(t *txn, shard string) (*backendConn, error) {
	bc, err := s.acquireSynced(shard, s.branchState(len(t.conns) > 0))
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
func (s *Session) commit() error {
	t := s.txn
	if t == nil {
		return nil
	}
	s.txn = nil
	var err error
	switch {
	case t.dist != nil:
		err = t.dist.Commit(s.srv.ctx())
	case len(t.conns) == 1:
		for _, bc := range t.conns {
			_, err = bc.exec("COMMIT")
		}
	}
	s.releaseTxn(t, err)
	return err
}

func (s *Session) rollback() error {
	t := s.txn
	if t == nil {
		return nil
	}
	s.txn = nil
	var err error
	if t.dist != nil {
		err = t.dist.Rollback(s.srv.ctx())
	} else {
		for _, bc := range t.conns {
			if _, e := bc.exec("ROLLBACK"); e != nil && err == nil {
				err = e
			}
		}
	}
	s.releaseTxn(t, err)
	return err
}

func (s *Session) releaseTxn(t *txn, err error) {
	for _, bc := range t.conns {
		if err != nil {
			bc.markBroken()
		}
		bc.inXA = false
		bc.pool.put(bc)
	}
}

// isTxnFatal reports whether a statement error ends the transaction, as on
// one MySQL server: xa's rules (a deadlock rolls it back, a branch already
// rolled back or a lost connection loses it; a lock-wait timeout (1205) and
// 1399 undo only the statement), plus the proxy's own shard errors.
func isTxnFatal(err error) bool {
	me := toMyError(err)
	return me.Code == errShardLost || me.Code == errShardUnavailable || xa.IsTxnFatal(err)
}
