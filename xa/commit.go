package xa

import (
	"context"
	"fmt"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// Commit commits the transaction on every enlisted shard.
//
//   - No branch wrote: each branch ends with XA COMMIT ONE PHASE.
//   - One branch wrote: it commits with XA COMMIT ONE PHASE (no decision);
//     the read-only ones follow.
//   - Several wrote: two-phase commit; see commit2PC.
//
// A nil error means committed. ErrAborted means rolled back everywhere.
// ErrOutcomeUnknown (1180) means the outcome is not known yet and the
// resolver will finish it. Any error wraps the *mysql.MyError for the client.
func (t *Txn) Commit(ctx context.Context) error {
	if t.done {
		return ErrTxnDone
	}
	t.done = true
	writers, readers := t.split()
	switch len(writers) {
	case 0:
		t.finishReaders(ctx, readers)
		return nil
	case 1:
		err := t.commitOnePhase(ctx, writers[0])
		t.finishReaders(ctx, readers)
		return err
	}
	return t.commit2PC(ctx, writers, readers)
}

// commitOnePhase commits a single writing branch with no decision record.
func (t *Txn) commitOnePhase(ctx context.Context, b *branch) error {
	if err := b.exec(ctx, xaEnd(b.xid)); err != nil {
		rollbackActive(ctx, b)
		t.c.stats.aborts.Add(1)
		return abortedError(err)
	}
	err := b.exec(ctx, xaCommitOnePhase(b.xid))
	switch {
	case err == nil:
		b.state = stFinished
		t.c.stats.commits1PC.Add(1)
		return nil
	case b.state == stAbandoned:
		// The connection died during COMMIT: it may or may not have committed.
		t.c.stats.unknown.Add(1)
		return unknownError(t.gtrid, err)
	}
	rollbackActive(ctx, b)
	t.c.stats.aborts.Add(1)
	return abortedError(err)
}

// finishReaders ends the branches that wrote nothing with XA COMMIT ONE
// PHASE, outside 2PC (xa/DESIGN.md, fact 6), within Phase2Timeout. Their errors cannot change the outcome:
// they are logged and the connection is dropped.
func (t *Txn) finishReaders(ctx context.Context, readers []*branch) {
	if len(readers) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, t.c.cfg.Phase2Timeout)
	defer cancel()
	fanOut(readers, func(b *branch) error {
		err := b.exec(ctx, xaEnd(b.xid))
		if err == nil {
			err = b.exec(ctx, xaCommitOnePhase(b.xid))
		}
		if err != nil {
			t.c.cfg.Logger.Warn("xa: finishing a read-only branch failed", "gtrid", t.gtrid, "shard", b.shard, "err", err)
			b.abandon()
			return err
		}
		b.state = stFinished
		return nil
	})
}

// phase names how far a two-phase commit got; the deferred cleanup switches on it.
type phase int

const (
	phasePrepare  phase = iota // preparing: failure ⇒ presumed abort
	phaseDecide                // appending COMMIT: failure ⇒ outcome unknown
	phaseRollback              // ABORT recorded (by the resolver): roll back
	phaseCommit                // COMMIT recorded: phase 2, failures left to the resolver
	phaseCrashed               // a failpoint fired: behave like a dead process
	phaseDone
)

// commit2PC prepares every writing branch, records the decision and
// finishes the branches. The decision append is the commit point.
func (t *Txn) commit2PC(ctx context.Context, writers, readers []*branch) (err error) {
	ph := phasePrepare
	defer func() { err = t.cleanup(ctx, ph, writers, err) }()
	crashed := func(name string) bool { // the test hook fired: die here
		if err = t.c.failpoint(name); err != nil {
			ph = phaseCrashed
		}
		return err != nil
	}
	if crashed(FailBeforePrepare) {
		return err
	}
	start := time.Now()
	if err = t.prepareAll(ctx, writers); err != nil || crashed(FailAfterPrepare) {
		return err
	}
	t.finishReaders(ctx, readers)
	if crashed(FailBeforeDecision) {
		return err
	}
	if time.Since(start) > t.c.cfg.PrepareTimeout {
		return fmt.Errorf("xa: prepare took longer than %v", t.c.cfg.PrepareTimeout)
	}
	ph = phaseDecide
	var o Outcome
	if o, err = t.decide(ctx, Commit); err != nil {
		return err
	}
	if o == Abort {
		ph = phaseRollback
		return fmt.Errorf("xa: the resolver recorded ABORT for %s first", t.gtrid)
	}
	ph = phaseCommit
	t.c.stats.commits2PC.Add(1)
	if crashed(FailAfterDecision) || !t.commitAll(ctx, writers, crashed) {
		return err
	}
	ph = phaseDone
	return nil
}

// prepareAll prepares every writing branch within PrepareTimeout, in two
// parallel rounds: first the owner lock and the short wait_timeout (one
// statement, while the branch is still ACTIVE) and XA END everywhere, then
// XA PREPARE everywhere. A branch that
// is already lost or rollback-only (deadlock: 1399) fails in the first
// round, before any branch is prepared, so the abort needs no decision
// record (presumed abort) and no branch holds its locks in PREPARED.
func (t *Txn) prepareAll(ctx context.Context, writers []*branch) error {
	pctx, cancel := context.WithTimeout(ctx, t.c.cfg.PrepareTimeout)
	defer cancel()
	secs := int64(t.c.cfg.BranchWaitTimeout / time.Second)
	err := firstError(fanOut(writers, func(b *branch) error {
		if err := b.exec(pctx, lockAndShortWait(b.lock, secs)); err != nil {
			return err
		}
		b.locked = true
		return b.exec(pctx, xaEnd(b.xid))
	}))
	if err != nil {
		return err
	}
	return firstError(fanOut(writers, func(b *branch) error {
		b.state, b.prepareSent = stPreparing, true
		if err := b.exec(pctx, xaPrepare(b.xid)); err != nil {
			if b.state != stAbandoned { // the server answered: not prepared
				b.state, b.prepareSent = stActive, false
			}
			return err
		}
		b.state = stPrepared
		return nil
	}))
}

// decide settles the decision append within DecisionTimeout, even if the
// client goes away meanwhile (its outcome must not depend on that timing).
func (t *Txn) decide(ctx context.Context, o Outcome) (Outcome, error) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.c.cfg.DecisionTimeout)
	defer cancel()
	return settleDecision(dctx, t.c.log, t.gtrid, o)
}

// commitAll runs XA COMMIT on every prepared branch in parallel within
// Phase2Timeout. A failure is not the client's: the decision is COMMIT and
// the resolver finishes what is left. With a Failpoint set, the first
// branch commits alone before "between-commits". It returns false when
// crashed (the test hook) fired.
func (t *Txn) commitAll(ctx context.Context, writers []*branch, crashed func(string) bool) bool {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.c.cfg.Phase2Timeout)
	defer cancel()
	rest := writers
	if t.c.cfg.Failpoint != nil {
		t.commitBranches(cctx, writers[:1])
		if crashed(FailBetweenCommits) {
			return false
		}
		rest = writers[1:]
	}
	left := t.commitBranches(cctx, rest)
	if crashed(FailAfterCommit) {
		return false
	}
	if left == 0 && allFinished(writers) {
		t.c.markResolvedAsync(t.gtrid)
	}
	return true
}

// commitBranches commits bs in parallel and returns how many were left to
// the resolver.
func (t *Txn) commitBranches(ctx context.Context, bs []*branch) int {
	errs := fanOut(bs, func(b *branch) error {
		if err := b.exec(ctx, xaCommit(b.xid)); err != nil {
			b.abandon() // detach the prepared branch so the resolver can finish it
			return err
		}
		b.state = stFinished
		b.release(ctx)
		return nil
	})
	left := 0
	for i, err := range errs {
		if err != nil {
			left++
			t.c.stats.deferred.Add(1)
			t.c.cfg.Logger.Warn("xa: phase 2 commit failed; left to the resolver",
				"gtrid", t.gtrid, "shard", bs[i].shard, "err", err)
		}
	}
	return left
}

func allFinished(bs []*branch) bool {
	for _, b := range bs {
		if b.state != stFinished {
			return false
		}
	}
	return true
}

func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// abortedError is what the client sees for a rolled-back commit: the
// branch's own MySQL error when there is one, else 1402.
func abortedError(cause error) error {
	msg := "Transaction rolled back: " + cause.Error()
	return &wrapped{sentinel: ErrAborted, my: clientError(cause, codeXARollback, msg), cause: cause}
}

// unknownError is 1180 with a message saying the outcome is not known.
func unknownError(gtrid string, cause error) error {
	msg := fmt.Sprintf("Error during COMMIT: outcome unknown for transaction %s; it will be resolved", gtrid)
	return &wrapped{sentinel: ErrOutcomeUnknown, my: mysql.NewError(mysql.ER_ERROR_DURING_COMMIT, msg), cause: cause}
}
