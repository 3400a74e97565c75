package xa

import (
	"context"
	"errors"
	"fmt"
)

// Txn is one client transaction spread over shards. It belongs to one
// session and is not safe for concurrent use. After Commit or Rollback it
// is finished; the proxy then returns to its pool the connections of the
// shards not listed by Abandoned, and drops those that are.
type Txn struct {
	c        *Coordinator
	gtrid    string
	branches []*branch // in enlist order
	byShard  map[string]*branch
	done     bool
}

// Gtrid returns the global transaction id shared by every branch.
func (t *Txn) Gtrid() string { return t.gtrid }

// Shards returns the enlisted shards in the order they were first touched.
func (t *Txn) Shards() []string {
	out := make([]string, len(t.branches))
	for i, b := range t.branches {
		out[i] = b.shard
	}
	return out
}

// Abandoned returns the shards whose connection the coordinator closed or
// gave up on (a failed statement, or a branch left for the resolver). The
// proxy must not reuse those connections.
func (t *Txn) Abandoned() []string {
	var out []string
	for _, b := range t.branches {
		if b.state == stAbandoned || b.dropped {
			out = append(out, b.shard)
		}
	}
	return out
}

// Enlist runs XA START on c the first time the transaction touches shard;
// later calls for the same shard and connection do nothing. The proxy must
// send the shard's statements on c until Commit or Rollback. On error the
// shard is not enlisted and c is in an unknown state: do not reuse it.
func (t *Txn) Enlist(shard string, c Conn) error {
	if t.done {
		return ErrTxnDone
	}
	if b, ok := t.byShard[shard]; ok {
		if b.conn != c {
			return fmt.Errorf("%w: %s", ErrConnMismatch, shard)
		}
		return nil
	}
	x, err := NewXID(t.gtrid, shard)
	if err != nil {
		return err
	}
	if _, err := c.Execute(xaStart(x.SQL())); err != nil {
		return fmt.Errorf("xa: XA START on shard %s: %w", shard, err)
	}
	b := &branch{shard: shard, xid: x.SQL(), lock: ownerLock(x), conn: c}
	t.branches = append(t.branches, b)
	t.byShard[shard] = b
	return nil
}

// MarkWrite records that a statement may have changed rows on shard, so its
// branch takes part in two-phase commit. Call it for every write statement
// (or at least every one with affected rows > 0): preparing a branch that
// wrote nothing is harmless, skipping one that wrote loses atomicity.
func (t *Txn) MarkWrite(shard string) {
	if b, ok := t.byShard[shard]; ok {
		b.wrote = true
	}
}

// Rollback rolls back every branch (XA END + XA ROLLBACK). A branch whose
// connection is lost is rolled back by the server itself; so is one already
// rolled back by a deadlock; one that does not answer within Phase2Timeout
// is abandoned (its connection closed, so the server rolls it back). The
// returned error is informational: whatever it says, no branch is left
// committed or prepared.
func (t *Txn) Rollback(ctx context.Context) error {
	if t.done {
		return ErrTxnDone
	}
	t.done = true
	ctx, cancel := context.WithTimeout(ctx, t.c.cfg.Phase2Timeout)
	defer cancel()
	err := errors.Join(fanOut(t.branches, func(b *branch) error { return rollbackActive(ctx, b) })...)
	t.c.stats.rollbacks.Add(1)
	return err
}

// rollbackActive ends and rolls back a branch that was never prepared.
func rollbackActive(ctx context.Context, b *branch) error {
	if b.state == stAbandoned || b.state == stFinished {
		return nil
	}
	// XA END fails on a branch that a deadlock already rolled back (1399/1614);
	// XA ROLLBACK then finishes it, so its error is the one that matters.
	_ = b.exec(ctx, xaEnd(b.xid))
	if b.state == stAbandoned {
		return nil
	}
	err := b.exec(ctx, xaRollback(b.xid))
	switch {
	case err == nil, ErrorCode(err) == codeXARollback, ErrorCode(err) == codeXADeadlock:
		b.state = stFinished
		b.release(ctx)
		return nil
	case b.state == stAbandoned:
		return nil
	}
	b.abandon() // unknown state: closing the connection rolls the branch back
	return err
}

// split returns the branches that wrote and those that only read.
func (t *Txn) split() (writers, readers []*branch) {
	for _, b := range t.branches {
		if b.wrote {
			writers = append(writers, b)
		} else {
			readers = append(readers, b)
		}
	}
	return writers, readers
}
