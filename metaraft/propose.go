package metaraft

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
)

// withTimeout bounds ctx by ApplyTimeout when it has no deadline.
func (n *Node) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, n.cfg.ApplyTimeout)
}

// retryable reports errors after which the command was certainly not
// applied and another attempt (possibly at a new leader) is safe.
func retryable(err error) bool {
	return errors.Is(err, ErrNotLeader) || errors.Is(err, ErrNoLeader)
}

// propose commits cmd through the leader — applied directly on the leader,
// forwarded over HTTP from a follower — and returns the FSM's result once
// the entry is applied on this node (read-your-writes). Attempts that
// certainly did not apply are retried until ctx ends; an indeterminate
// failure is returned as ErrIndeterminate for the caller to handle.
func (n *Node) propose(ctx context.Context, cmd command) (applyResult, error) {
	data, err := cmd.encode()
	if err != nil {
		return applyResult{}, err
	}
	ctx, cancel := n.withTimeout(ctx)
	defer cancel()
	backoff := 10 * time.Millisecond
	for {
		res, err := n.proposeOnce(ctx, cmd.typ, data)
		if err == nil {
			return res, res.Err
		}
		if !retryable(err) {
			return res, err
		}
		select {
		case <-ctx.Done():
			return res, fmt.Errorf("%w (gave up: %v)", err, ctx.Err())
		case <-n.stop:
			return res, ErrClosed
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 200*time.Millisecond)
	}
}

func (n *Node) proposeOnce(ctx context.Context, typ cmdType, data []byte) (applyResult, error) {
	if n.raft.State() == raft.Leader {
		res, _, err := n.applyLocal(ctx, typ, data)
		return res, err
	}
	res, index, err := n.forwardApply(ctx, data)
	if err != nil {
		return res, err
	}
	if err := n.waitApplied(ctx, index); err != nil {
		return res, fmt.Errorf("metaraft: committed at index %d, not yet applied on this node: %w", index, err)
	}
	return res, nil
}

// applyLocal applies data on this node, which must be the leader. The
// returned error is about the Raft write; the command's own error (e.g.
// ErrVersionConflict) is in applyResult.Err.
func (n *Node) applyLocal(ctx context.Context, typ cmdType, data []byte) (applyResult, uint64, error) {
	timeout := n.cfg.ApplyTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	if typ.isMapCommand() {
		if err := n.precheckMap(typ, data, timeout); err != nil {
			return applyResult{Err: err}, 0, nil
		}
	}
	f := n.raft.Apply(data, timeout)
	done := make(chan struct{})
	go func() { _ = f.Error(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return applyResult{}, 0, fmt.Errorf("%w: %v", ErrIndeterminate, ctx.Err())
	}
	if err := f.Error(); err != nil {
		return applyResult{}, 0, raftError(err)
	}
	res, ok := f.Response().(applyResult)
	if !ok {
		return applyResult{}, 0, fmt.Errorf("metaraft: unexpected FSM response %T", f.Response())
	}
	return res, f.Index(), nil
}

// precheckMap validates a shard-map command against the leader's map
// before it goes into the log, so a refused change costs no entry. The
// local map may lag the log, so a failure is confirmed after a Barrier
// (which applies everything before it); if the Barrier fails, the FSM
// decides.
func (n *Node) precheckMap(typ cmdType, data []byte, timeout time.Duration) error {
	if _, err := planMapChange(n.fsm.shardMap.Load(), typ, data[1:]); err == nil {
		return nil
	}
	if n.raft.Barrier(timeout).Error() != nil {
		return nil
	}
	_, err := planMapChange(n.fsm.shardMap.Load(), typ, data[1:])
	return err
}

// raftError maps a raft Apply error to our sentinels.
func raftError(err error) error {
	switch {
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return fmt.Errorf("%w: %v", ErrNotLeader, err)
	case errors.Is(err, raft.ErrRaftShutdown):
		return ErrClosed
	case errors.Is(err, raft.ErrEnqueueTimeout):
		return fmt.Errorf("metaraft: apply not enqueued: %w", err)
	}
	return fmt.Errorf("%w: %v", ErrIndeterminate, err)
}

// waitApplied blocks until this node's FSM has applied index.
func (n *Node) waitApplied(ctx context.Context, index uint64) error {
	for {
		applied, ch := n.fsm.appliedCh()
		if applied >= index {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-n.stop:
			return ErrClosed
		}
	}
}
