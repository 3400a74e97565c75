package metaraft

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The decision log used by the xa coordinator and resolver.
//
// Retention: MarkResolved keeps the decision (Resolved=true). The leader
// deletes resolved decisions DecisionRetention (default 24 h) after they
// were resolved, and raises a GC horizon with the same command: a later
// RecordDecision created before the horizon gets ErrDecisionExpired instead
// of silently recording a second, possibly different, outcome for a gtrid
// whose decision was collected. Unresolved decisions are never collected.

// RecordDecision records o for gtrid unless a decision exists (first
// decision wins) and returns the outcome now recorded, which may differ
// from o. On a follower the write is forwarded to the leader and the call
// returns once the decision is applied on this node. A Raft failure whose
// outcome is unknown (leadership lost, timeout) is resolved here: wait for
// a leader, read the decision linearizably, return it if present, propose
// again only if absent. An error means the decision's fate is unknown to
// the caller (ctx ended, node closed, no leader within ApplyTimeout).
func (n *Node) RecordDecision(ctx context.Context, gtrid string, o Outcome) (Outcome, error) {
	if gtrid == "" || (o != Commit && o != Abort) {
		return "", fmt.Errorf("%w: decision needs a gtrid and outcome commit|abort", ErrInvalid)
	}
	ctx, cancel := n.withTimeout(ctx)
	defer cancel()
	cmd := command{cmdRecordDecision, recordDecisionCmd{Gtrid: gtrid, Outcome: o, Created: time.Now().UTC()}}
	for {
		res, err := n.propose(ctx, cmd)
		if err == nil {
			return res.Outcome, nil
		}
		if !errors.Is(err, ErrIndeterminate) || ctx.Err() != nil {
			return "", err
		}
		n.log.Warn("metaraft: decision append indeterminate; reading it back", "gtrid", gtrid, "err", err)
		got, found, lerr := n.LookupDecision(ctx, gtrid)
		if lerr != nil {
			return "", fmt.Errorf("%w (lookup after it: %v)", err, lerr)
		}
		if found {
			return got, nil
		}
	}
}

// LookupDecision reads the decision for gtrid linearizably. On the leader:
// a Barrier (commits with a quorum, returns once everything before it is
// applied), then a local read. On a follower the read is forwarded to
// the leader (POST /internal/lookup) and this node then waits until it has
// applied the leader's read index, so a following local read agrees.
// Retries while there is no leader, until ctx (or ApplyTimeout) ends.
func (n *Node) LookupDecision(ctx context.Context, gtrid string) (Outcome, bool, error) {
	ctx, cancel := n.withTimeout(ctx)
	defer cancel()
	backoff := 10 * time.Millisecond
	for {
		d, found, err := n.lookupOnce(ctx, gtrid)
		if err == nil {
			return d.Outcome, found, nil
		}
		if errors.Is(err, ErrClosed) {
			return "", false, err
		}
		select {
		case <-ctx.Done():
			return "", false, fmt.Errorf("%w (gave up: %v)", err, ctx.Err())
		case <-n.stop:
			return "", false, ErrClosed
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 200*time.Millisecond)
	}
}

type lookupRequest struct {
	Gtrid string `json:"gtrid"`
}

func (n *Node) lookupOnce(ctx context.Context, gtrid string) (Decision, bool, error) {
	if n.IsLeader() {
		_, err := n.readIndex(ctx)
		if err != nil {
			return Decision{}, false, err
		}
		d, ok := n.fsm.lookup(gtrid)
		return d, ok, nil
	}
	var resp lookupResponse
	if err := n.post(ctx, "/internal/lookup", lookupRequest{Gtrid: gtrid}, &resp); err != nil {
		return Decision{}, false, err
	}
	if err := fromWire(resp.Error); err != nil {
		return Decision{}, false, err
	}
	if err := n.waitApplied(ctx, resp.Index); err != nil {
		return Decision{}, false, err
	}
	if resp.Decision == nil {
		return Decision{}, false, nil
	}
	return *resp.Decision, true, nil
}

// readIndex makes a linearizable read point on the leader with a Barrier:
// it commits only with a quorum (so this node was the leader after the call
// began) and returns once the FSM has applied every entry before it. (A
// LastIndex + VerifyLeader read index does not work with hashicorp/raft:
// no-op, barrier and configuration entries never reach the FSM, so its
// applied index may never reach LastIndex.) The returned index is the FSM's
// last applied command, which a follower can wait for.
func (n *Node) readIndex(ctx context.Context) (uint64, error) {
	timeout := n.cfg.ApplyTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	if err := n.raft.Barrier(timeout).Error(); err != nil {
		return 0, fmt.Errorf("%w: read barrier: %v", ErrNotLeader, err)
	}
	return n.fsm.applied.Load(), nil
}

func (n *Node) handleLookup(w http.ResponseWriter, r *http.Request) {
	var req lookupRequest
	if err := readJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, lookupResponse{Error: toWire(err)})
		return
	}
	if !n.IsLeader() {
		writeJSON(w, http.StatusOK, lookupResponse{Error: toWire(ErrNotLeader)})
		return
	}
	index, err := n.readIndex(r.Context())
	if err != nil {
		writeJSON(w, http.StatusOK, lookupResponse{Error: toWire(err)})
		return
	}
	resp := lookupResponse{Index: index}
	if d, ok := n.fsm.lookup(req.Gtrid); ok {
		resp.Decision = &d
	}
	writeJSON(w, http.StatusOK, resp)
}

// MarkResolved records that every branch of gtrid is finished. Idempotent;
// an unknown gtrid is not an error.
func (n *Node) MarkResolved(ctx context.Context, gtrid string) error {
	_, err := n.proposeIdempotent(ctx, command{cmdMarkResolved, markResolvedCmd{Gtrid: gtrid, At: time.Now().UTC()}})
	return err
}

// UnresolvedDecisions lists the gtrids of decisions not yet marked
// resolved (xa.PendingLister): the resolver, on the leader, marks those
// whose branches are all gone. Local view: call it on the leader.
func (n *Node) UnresolvedDecisions(ctx context.Context) ([]string, error) {
	ds := n.Decisions()
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Gtrid
	}
	return out, nil
}

// Decisions returns the unresolved decisions in this node's local view
// (possibly slightly stale on a follower), oldest first.
func (n *Node) Decisions() []Decision {
	n.fsm.mu.RLock()
	out := make([]Decision, 0, len(n.fsm.decisions))
	for _, d := range n.fsm.decisions {
		if !d.Resolved {
			out = append(out, *d)
		}
	}
	n.fsm.mu.RUnlock()
	slices.SortFunc(out, func(a, b Decision) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.Gtrid, b.Gtrid)
	})
	return out
}

// proposeIdempotent is propose for commands whose repetition is harmless
// (or only wastes, like a sequence block): indeterminate failures are
// retried until ctx ends.
func (n *Node) proposeIdempotent(ctx context.Context, cmd command) (applyResult, error) {
	ctx, cancel := n.withTimeout(ctx)
	defer cancel()
	for {
		res, err := n.propose(ctx, cmd)
		if err == nil || !errors.Is(err, ErrIndeterminate) || ctx.Err() != nil {
			return res, err
		}
		select {
		case <-ctx.Done():
			return res, err
		case <-time.After(50 * time.Millisecond):
		}
	}
}
