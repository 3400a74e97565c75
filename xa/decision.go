package xa

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Outcome is the durable decision for one gtrid. The values match
// metaraft's Outcome ("commit"/"abort"); see AdaptLog.
type Outcome string

// The two decisions.
const (
	Commit Outcome = "commit"
	Abort  Outcome = "abort"
)

// ErrIndeterminate may be wrapped by a DecisionLog error to say explicitly
// that the append may or may not have been applied (xa/DESIGN.md, fact 12). The
// coordinator does not depend on it: it treats every RecordDecision error
// as indeterminate and settles it by repeating the same compare-and-set.
var ErrIndeterminate = errors.New("xa: decision append indeterminate")

// DecisionLog is the durable, replicated register of decisions (the Raft FSM
// in production). Contract:
//
//   - RecordDecision is a compare-and-set: the first decision recorded for a
//     gtrid wins forever, and every call returns the recorded outcome. So
//     repeating a call is harmless, and that is how the coordinator settles
//     errors: any error is taken as "maybe applied" and the same call is
//     retried until it answers or Config.DecisionTimeout passes.
//   - LookupDecision returns (outcome, true, nil) for a recorded decision,
//     ("", false, nil) when there is none. It must read committed state (on
//     Raft: after VerifyLeader and Barrier; xa/DESIGN.md, fact 14).
//   - MarkResolved says no branch of gtrid is left on any shard. It must not
//     make a later RecordDecision for that gtrid succeed with the other
//     outcome: keep the decision (or a tombstone) at least MinDecisionRetention
//     after it was recorded before garbage-collecting it.
//
// All methods are called concurrently from many goroutines.
type DecisionLog interface {
	RecordDecision(ctx context.Context, gtrid string, o Outcome) (Outcome, error)
	LookupDecision(ctx context.Context, gtrid string) (Outcome, bool, error)
	MarkResolved(ctx context.Context, gtrid string) error
}

// MinDecisionRetention is how long a resolved decision must stay readable:
// far longer than any coordinator can take between its first XA PREPARE and
// its decision (bounded by Config.PrepareTimeout + Config.DecisionTimeout).
const MinDecisionRetention = 10 * time.Minute

// DecisionLogOf is DecisionLog over any string-based outcome type (what
// metaraft.Node implements with its own Outcome); see AdaptLog.
type DecisionLogOf[O ~string] interface {
	RecordDecision(ctx context.Context, gtrid string, o O) (O, error)
	LookupDecision(ctx context.Context, gtrid string) (O, bool, error)
	MarkResolved(ctx context.Context, gtrid string) error
}

// AdaptLog turns a log whose outcome type is another string type (such as
// metaraft.Outcome, "commit"/"abort") into a DecisionLog:
// xa.AdaptLog[metaraft.Outcome](node).
func AdaptLog[O ~string](l DecisionLogOf[O]) DecisionLog { return adapted[O]{l} }

type adapted[O ~string] struct{ l DecisionLogOf[O] }

func (a adapted[O]) RecordDecision(ctx context.Context, g string, o Outcome) (Outcome, error) {
	got, err := a.l.RecordDecision(ctx, g, O(o))
	return Outcome(got), err
}

func (a adapted[O]) LookupDecision(ctx context.Context, g string) (Outcome, bool, error) {
	got, ok, err := a.l.LookupDecision(ctx, g)
	return Outcome(got), ok, err
}

func (a adapted[O]) MarkResolved(ctx context.Context, g string) error {
	return a.l.MarkResolved(ctx, g)
}

// UnresolvedDecisions passes PendingLister through the adapter: without it
// the resolver cannot learn of a decision whose branches all finished before
// it ever saw them (the coordinator died after its last XA COMMIT), and such
// a decision would never be marked resolved. A log that cannot list returns
// none.
func (a adapted[O]) UnresolvedDecisions(ctx context.Context) ([]string, error) {
	if pl, ok := a.l.(PendingLister); ok {
		return pl.UnresolvedDecisions(ctx)
	}
	return nil, nil
}

// ErrBadOutcome: the log returned something other than Commit or Abort.
var ErrBadOutcome = errors.New("xa: decision log returned an unknown outcome")

// settleDecision records o for gtrid, retrying the idempotent CAS on every
// error with backoff until it answers or ctx ends. It returns the recorded
// outcome, or the last error when the decision could not be settled.
func settleDecision(ctx context.Context, log DecisionLog, gtrid string, o Outcome) (Outcome, error) {
	backoff := 5 * time.Millisecond
	for {
		got, err := recordCtx(ctx, log, gtrid, o)
		if err == nil {
			if got != Commit && got != Abort {
				return "", fmt.Errorf("%w: %q for %s", ErrBadOutcome, got, gtrid)
			}
			return got, nil
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", fmt.Errorf("xa: record %s for %s: %w (last: %w)", o, gtrid, ctx.Err(), err)
		case <-t.C:
		}
		backoff = min(2*backoff, 500*time.Millisecond)
	}
}

// recordCtx calls RecordDecision and returns when ctx ends even if the log
// does not honour ctx (the call then finishes in the background; its
// result, if any, is the recorded outcome that a later call returns).
func recordCtx(ctx context.Context, log DecisionLog, gtrid string, o Outcome) (Outcome, error) {
	type result struct {
		o   Outcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		got, err := log.RecordDecision(ctx, gtrid, o)
		done <- result{got, err}
	}()
	select {
	case r := <-done:
		return r.o, r.err
	case <-ctx.Done():
		return "", fmt.Errorf("%w: %w", ErrIndeterminate, ctx.Err())
	}
}
