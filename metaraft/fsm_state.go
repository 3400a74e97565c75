package metaraft

import (
	"fmt"
	"math"
	"time"
)

// Outcome is a transaction decision.
type Outcome string

// The two decisions of a cross-shard transaction.
const (
	Commit Outcome = "commit"
	Abort  Outcome = "abort"
)

// Decision is the recorded outcome of one cross-shard transaction.
type Decision struct {
	Gtrid   string    `json:"gtrid"`
	Outcome Outcome   `json:"outcome"`
	Created time.Time `json:"created"`
	// Resolved is set once every branch has been finished (MarkResolved).
	Resolved   bool      `json:"resolved"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
}

// Member is what the cluster knows about one node beyond its Raft address.
type Member struct {
	ID        string `json:"id"`
	RaftAddr  string `json:"raft_addr"`
	AdminAddr string `json:"admin_addr"`
	MySQLAddr string `json:"mysql_addr"`
}

// applyRecordDecision is compare-and-set: the first decision for a gtrid
// wins, and the response carries the outcome now recorded.
func (f *fsm) applyRecordDecision(c recordDecisionCmd) applyResult {
	if c.Gtrid == "" || (c.Outcome != Commit && c.Outcome != Abort) {
		return applyResult{Err: fmt.Errorf("%w: decision needs a gtrid and outcome commit|abort", ErrInvalid)}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if d, ok := f.decisions[c.Gtrid]; ok {
		return applyResult{Outcome: d.Outcome}
	}
	if c.Created.Before(f.gcBefore) {
		return applyResult{Err: fmt.Errorf("%w: %s created %s", ErrDecisionExpired, c.Gtrid, c.Created.Format(time.RFC3339Nano))}
	}
	f.decisions[c.Gtrid] = &Decision{Gtrid: c.Gtrid, Outcome: c.Outcome, Created: c.Created}
	return applyResult{Outcome: c.Outcome}
}

// applyMarkResolved marks a decision resolved (idempotent; unknown gtrids
// are ignored: already collected, or never decided).
func (f *fsm) applyMarkResolved(c markResolvedCmd) applyResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.decisions[c.Gtrid]
	if !ok || d.Resolved {
		return applyResult{}
	}
	nd := *d
	nd.Resolved, nd.ResolvedAt = true, c.At
	f.decisions[c.Gtrid] = &nd
	return applyResult{Outcome: nd.Outcome}
}

// applyGCDecisions deletes decisions resolved before c.Before and raises the
// GC horizon, so that a late proposal for a collected gtrid is refused.
func (f *fsm) applyGCDecisions(c gcDecisionsCmd) applyResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	for g, d := range f.decisions {
		if d.Resolved && d.ResolvedAt.Before(c.Before) {
			delete(f.decisions, g)
		}
	}
	if c.Before.After(f.gcBefore) {
		f.gcBefore = c.Before
	}
	return applyResult{}
}

// applyAllocateBlock hands out [next, next+size-1]; sequences start at 1.
func (f *fsm) applyAllocateBlock(c allocateBlockCmd) applyResult {
	if c.Name == "" || c.Size == 0 {
		return applyResult{Err: fmt.Errorf("%w: sequence name and a positive size are required", ErrInvalid)}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	first := max(f.sequences[c.Name], 1)
	if first > math.MaxUint64-c.Size {
		return applyResult{Err: fmt.Errorf("%w: sequence %q exhausted", ErrInvalid, c.Name)}
	}
	last := first + c.Size - 1
	f.sequences[c.Name] = last + 1
	return applyResult{First: first, Last: last}
}

// applyAdvanceSequence moves the next value of a sequence up to at least
// c.AtLeast; it never moves it back.
func (f *fsm) applyAdvanceSequence(c advanceSequenceCmd) applyResult {
	if c.Name == "" {
		return applyResult{Err: fmt.Errorf("%w: sequence name is required", ErrInvalid)}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sequences[c.Name] = max(f.sequences[c.Name], c.AtLeast)
	f.floors[c.Name] = max(f.floors[c.Name], c.AtLeast)
	return applyResult{First: f.sequences[c.Name]}
}

func (f *fsm) applyPutMember(c putMemberCmd) applyResult {
	if c.Member.ID == "" {
		return applyResult{Err: fmt.Errorf("%w: member id is required", ErrInvalid)}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.members[c.Member.ID] = c.Member
	return applyResult{}
}

func (f *fsm) applyDeleteMember(c deleteMemberCmd) applyResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.members, c.ID)
	return applyResult{}
}

// lookup returns the decision for gtrid from the local state.
func (f *fsm) lookup(gtrid string) (Decision, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	d, ok := f.decisions[gtrid]
	if !ok {
		return Decision{}, false
	}
	return *d, true
}

func (f *fsm) member(id string) (Member, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	m, ok := f.members[id]
	return m, ok
}

func (f *fsm) sequenceFloor(name string) uint64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.floors[name]
}

func (f *fsm) sequence(name string) uint64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return max(f.sequences[name], 1)
}

// hasCollectable reports whether a decision was resolved before t.
func (f *fsm) hasCollectable(t time.Time) bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	for _, d := range f.decisions {
		if d.Resolved && d.ResolvedAt.Before(t) {
			return true
		}
	}
	return false
}

// unresolved counts the decisions not yet marked resolved.
func (f *fsm) unresolved() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	n := 0
	for _, d := range f.decisions {
		if !d.Resolved {
			n++
		}
	}
	return n
}
