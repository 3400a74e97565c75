package xa

import (
	"context"
	"fmt"
)

// cleanup finishes a two-phase commit according to the phase it reached
// and returns the error for the client (nil when committed).
func (t *Txn) cleanup(ctx context.Context, ph phase, writers []*branch, err error) error {
	ctx = context.WithoutCancel(ctx) // finish even if the client went away
	switch ph {
	case phaseDone:
		return nil
	case phaseCrashed:
		t.abandonAll()
		return err
	case phasePrepare:
		return t.abortPrepare(ctx, err)
	case phaseDecide:
		t.abandonAll()
		t.c.stats.unknown.Add(1)
		t.c.cfg.Logger.Error("xa: commit decision not settled; left to the resolver", "gtrid", t.gtrid, "err", err)
		return unknownError(t.gtrid, err)
	case phaseRollback:
		t.rollbackPrepared(ctx, writers)
		t.c.stats.aborts.Add(1)
		t.resolvedIfFinished()
		return abortedError(err)
	}
	return err
}

// abortPrepare handles a failed phase 1 (presumed abort): ABORT is recorded
// only when some branch may be prepared; branches that are surely not
// prepared are rolled back at once; maybe-prepared ones only once ABORT is
// recorded (xa/DESIGN.md, fact 13), else they are left to the resolver, which will
// abort them: nobody but this coordinator could record COMMIT, so the
// outcome is ABORT either way and the client gets the prepare error.
func (t *Txn) abortPrepare(ctx context.Context, cause error) error {
	t.c.stats.aborts.Add(1)
	recorded, decided := true, false // decided: an ABORT record was needed and made
	if t.anyMaybePrepared() {
		o, err := t.decide(ctx, Abort)
		if err == nil && o == Commit {
			// Impossible unless gtrids repeat: do not touch anything.
			t.abandonAll()
			t.c.cfg.Logger.Error("xa: COMMIT recorded for a transaction that failed to prepare", "gtrid", t.gtrid)
			return unknownError(t.gtrid, fmt.Errorf("xa: unexpected COMMIT for %s", t.gtrid))
		}
		recorded, decided = err == nil, err == nil
		if err != nil {
			t.c.cfg.Logger.Warn("xa: ABORT not recorded; prepared branches left to the resolver", "gtrid", t.gtrid, "err", err)
		}
	}
	pctx, cancel := context.WithTimeout(ctx, t.c.cfg.Phase2Timeout)
	defer cancel()
	fanOut(t.branches, func(b *branch) error {
		switch {
		case b.state == stAbandoned || b.state == stFinished:
		case !b.maybePrepared():
			rollbackActive(pctx, b)
		case recorded:
			t.rollbackOne(pctx, b)
		default:
			b.abandon()
		}
		return nil
	})
	if decided {
		t.resolvedIfFinished()
	}
	return abortedError(cause)
}

// resolvedIfFinished marks the decision resolved when no writing branch is
// left for the resolver.
func (t *Txn) resolvedIfFinished() {
	for _, b := range t.branches {
		if b.wrote && b.state != stFinished {
			return
		}
	}
	t.c.markResolvedAsync(t.gtrid)
}

// rollbackPrepared rolls back every writer after ABORT was recorded.
func (t *Txn) rollbackPrepared(ctx context.Context, writers []*branch) {
	pctx, cancel := context.WithTimeout(ctx, t.c.cfg.Phase2Timeout)
	defer cancel()
	fanOut(writers, func(b *branch) error {
		if b.state != stAbandoned && b.state != stFinished {
			t.rollbackOne(pctx, b)
		}
		return nil
	})
}

// rollbackOne sends XA ROLLBACK for a branch that is ended or prepared;
// on failure the connection is dropped and the resolver finishes it.
func (t *Txn) rollbackOne(ctx context.Context, b *branch) {
	err := b.exec(ctx, xaRollback(b.xid))
	code := ErrorCode(err)
	if err == nil || (b.state != stAbandoned && (code == codeXARollback || code == codeXADeadlock)) {
		b.state = stFinished
		b.release(ctx)
		return
	}
	t.c.cfg.Logger.Warn("xa: rollback failed; left to the resolver", "gtrid", t.gtrid, "shard", b.shard, "err", err)
	b.abandon()
}

func (t *Txn) anyMaybePrepared() bool {
	for _, b := range t.branches {
		if b.maybePrepared() {
			return true
		}
	}
	return false
}

// abandonAll closes every branch connection still open.
func (t *Txn) abandonAll() {
	for _, b := range t.branches {
		if b.state != stFinished {
			b.abandon()
		}
	}
}
