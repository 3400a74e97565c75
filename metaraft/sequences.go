package metaraft

import (
	"context"
	"fmt"
)

// AllocateBlock reserves size consecutive values of the named sequence and
// returns [first, last]. Sequences start at 1. Values are never handed out
// twice, across leader changes and crashes: the block is reserved by a Raft
// entry. A retry after an indeterminate failure may skip a block (values
// are lost, never reused).
func (n *Node) AllocateBlock(ctx context.Context, name string, size uint64) (first, last uint64, err error) {
	if name == "" || size == 0 {
		return 0, 0, fmt.Errorf("%w: sequence name and a positive size are required", ErrInvalid)
	}
	res, err := n.proposeIdempotent(ctx, command{cmdAllocateBlock, allocateBlockCmd{Name: name, Size: size}})
	if err != nil {
		return 0, 0, err
	}
	return res.First, res.Last, nil
}

// AdvanceSequence makes the next value of the named sequence at least
// atLeast (e.g. after rows were loaded with explicit ids). It never moves a
// sequence back. Idempotent.
func (n *Node) AdvanceSequence(ctx context.Context, name string, atLeast uint64) error {
	if name == "" {
		return fmt.Errorf("%w: sequence name is required", ErrInvalid)
	}
	_, err := n.proposeIdempotent(ctx, command{cmdAdvanceSequence, advanceSequenceCmd{Name: name, AtLeast: atLeast}})
	return err
}

// SequenceFloor returns the highest value the named sequence was advanced to
// with AdvanceSequence (0 if never), in this node's local view: values below
// it that a node reserved earlier must not be handed out any more.
func (n *Node) SequenceFloor(name string) uint64 { return n.fsm.sequenceFloor(name) }

// Sequence returns the next value of the named sequence (local view).
func (n *Node) Sequence(name string) uint64 { return n.fsm.sequence(name) }
