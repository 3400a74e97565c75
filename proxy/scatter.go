package proxy

import (
	"strings"
	"sync"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/shardline/shardline/router"
	"github.com/shardline/shardline/router/merge"
)

// maxTxnBufferedRows bounds the rows buffered when a transaction reads two
// partitions on one shard (one pinned connection cannot stream two results).
const maxTxnBufferedRows = 1_000_000

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

// execScatter runs a read on several targets in parallel and streams the
// merged result.
func (s *Session) execScatter(p *router.Plan, a *stmtArgs) error {
	streams, err := s.openStreams(p.Targets)
	if err != nil {
		return err
	}
	if len(streams) > 0 && streams[0].Fields() == nil {
		// Not a result set (e.g. SHOW ... that returned OK): sum the counts.
		var affected uint64
		for _, st := range streams {
			if bs, ok := st.(*backendStream); ok {
				affected += bs.affected
			}
			st.Close()
		}
		return s.writeOK(affected, 0, 0)
	}
	spec := p.Merge
	if spec == nil {
		spec = &router.MergeSpec{Limit: -1}
	}
	spec = spec.Resolve(len(streams[0].Fields())) // SELECT * with hidden sort columns
	opts := merge.Options{MaxRows: s.srv.cfg.MergeMaxRows}
	if len(spec.OrderBy) > 0 || len(spec.GroupBy) > 0 || spec.Distinct || len(spec.Aggregates) > 0 {
		opts.Collations, opts.Enums = s.columnCollations(p.Targets[0].Shard, streams[0].Fields())
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
	if p.RenameTable != nil {
		out = &renameStream{RowStream: merged, r: p.RenameTable}
	}
	return s.writeResultSet(out.Fields(), out, a.binary())
}

// openStreams sends every target's query, then reads the headers. Outside a
// transaction each target gets its own pooled connection; inside one, the
// targets of a shard share the pinned connection and all but the last are
// buffered.
func (s *Session) openStreams(targets []router.Target) (streams []router.RowStream, err error) {
	opened := make([]*backendStream, 0, len(targets))
	defer func() {
		if err != nil {
			for _, b := range opened {
				b.Close()
			}
			for _, st := range streams {
				st.Close()
			}
			streams = nil
		}
	}()
	if s.txn != nil {
		return s.openTxnStreams(targets)
	}
	for _, t := range targets {
		sql, err := targetSQL(t)
		if err != nil {
			return nil, err
		}
		bc, err := s.acquireFree(t.Shard)
		if err != nil {
			return nil, err
		}
		b := &backendStream{bc: bc, release: func() { bc.pool.put(bc) }}
		opened = append(opened, b)
		if err := b.send(sql); err != nil {
			return nil, err
		}
	}
	var firstErr error
	for _, b := range opened {
		if err := b.readHeader(); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	for _, b := range opened {
		streams = append(streams, b)
	}
	opened = nil
	return streams, nil
}

func (s *Session) openTxnStreams(targets []router.Target) ([]router.RowStream, error) {
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
		bc, err := s.txnConn(t.Shard)
		if err != nil {
			return fail(err)
		}
		b := &backendStream{bc: bc}
		if err := b.send(sql); err != nil {
			return fail(err)
		}
		if err := b.readHeader(); err != nil {
			b.Close()
			return fail(err)
		}
		if last[t.Shard] == i {
			streams = append(streams, b)
			continue
		}
		ss, err := materialize(b, maxTxnBufferedRows)
		if err != nil {
			return fail(err)
		}
		streams = append(streams, ss)
	}
	return streams, nil
}

// execMultiWrite runs a write on several targets atomically: inside the
// session's transaction, or in a transaction of its own (two-phase commit
// when it spans shards). DDL runs on every target without a transaction.
func (s *Session) execMultiWrite(p *router.Plan, a *stmtArgs) error {
	if p.DDL {
		if err := s.commit(); err != nil { // DDL commits implicitly, as in MySQL
			return err
		}
		s.srv.collations.invalidate()
		return s.execDDL(p.Targets)
	}
	affected, insertID, err := s.runAtomicWrites(p.Targets)
	if err != nil {
		return err
	}
	if insertID != 0 {
		s.lastInsert = insertID
	}
	return s.writeOK(affected, insertID, 0)
}

// runAtomicWrites runs write targets inside the session's transaction, or
// in a transaction of their own that commits (two-phase when they span
// shards) or rolls back as a whole.
func (s *Session) runAtomicWrites(targets []router.Target) (affected, insertID uint64, err error) {
	own := s.txn == nil
	if own {
		if s.srv.deps.Txns == nil && len(shardsOf(targets)) > 1 {
			return 0, 0, newError(mysql.ER_NOT_SUPPORTED_YET,
				"a write spanning shards %s needs the XA coordinator, which is not enabled", strings.Join(shardsOf(targets), ", "))
		}
		s.beginTxn()
	}
	affected, insertID, err = s.runWrites(targets)
	if own {
		if err != nil {
			_ = s.rollback()
			return 0, 0, err
		}
		err = s.commit()
	}
	return affected, insertID, err
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

// runWrites runs the targets inside the open transaction: shards in
// parallel, the targets of one shard in order on its connection.
func (s *Session) runWrites(targets []router.Target) (affected, insertID uint64, err error) {
	byShard := map[string][]router.Target{}
	order := shardsOf(targets)
	for _, t := range targets {
		byShard[t.Shard] = append(byShard[t.Shard], t)
	}
	conns := make(map[string]*backendConn, len(order))
	for _, shard := range order { // enlisting touches session state: not in parallel
		bc, err := s.txnConn(shard)
		if err != nil {
			return 0, 0, err
		}
		conns[shard] = bc
	}
	type result struct {
		affected, insertID uint64
		err                error
	}
	results := make([]result, len(order))
	var wg sync.WaitGroup
	for i, shard := range order {
		wg.Add(1)
		go func(i int, bc *backendConn, ts []router.Target) {
			defer wg.Done()
			for _, t := range ts {
				sql, err := targetSQL(t)
				if err == nil {
					var r *mysql.Result
					if r, err = bc.exec(sql); err == nil {
						results[i].affected += r.AffectedRows
						if r.InsertId != 0 && results[i].insertID == 0 {
							results[i].insertID = r.InsertId
						}
					}
				}
				if err != nil {
					results[i].err = err
					return
				}
			}
		}(i, conns[shard], byShard[shard])
	}
	wg.Wait()
	for i, r := range results {
		if s.txn.dist != nil {
			s.txn.dist.MarkWrite(order[i])
		}
		if r.err != nil && err == nil {
			err = r.err
		}
		affected += r.affected
		if insertID == 0 || (r.insertID != 0 && r.insertID < insertID) {
			insertID = r.insertID
		}
	}
	return affected, insertID, err
}

// execDDL runs DDL on every target in order and stops at the first error,
// naming the shard where it failed (DDL is not atomic on MySQL either).
func (s *Session) execDDL(targets []router.Target) error {
	if err := s.guardDDL(targets); err != nil {
		return err
	}
	for i, t := range targets {
		bc, err := s.acquireFree(t.Shard)
		if err != nil {
			return err
		}
		_, err = bc.exec(t.SQL)
		bc.pool.put(bc)
		if err != nil {
			me := toMyError(err)
			if i == 0 {
				return me
			}
			return &mysql.MyError{Code: me.Code, State: me.State,
				Message: me.Message + " (on shard " + t.Shard + "; the statement already ran on " + strings.Join(shardsOf(targets[:i]), ", ") + ")"}
		}
	}
	return s.writeOK(0, 0, 0)
}
