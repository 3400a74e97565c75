package xa

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestSettleDecision: if it fails, an indeterminate decision append (Raft
// reply lost, leader change) is reported as a failure although it applied,
// or retried forever, or a lost CAS race is hidden from the coordinator.
func TestSettleDecision(t *testing.T) {
	tests := []struct {
		name      string
		failNext  int
		applyFail bool
		down      bool
		pre       Outcome // decision already recorded by someone else
		want      Outcome
		wantErr   bool
	}{
		{"clean", 0, false, false, "", Commit, false},
		{"reply lost, applied", 3, true, false, "", Commit, false},
		{"reply lost, not applied", 3, false, false, "", Commit, false},
		{"resolver won", 0, false, false, Abort, Abort, false},
		{"resolver won during the outage", 2, false, false, Abort, Abort, false},
		{"log down until the deadline", 0, false, true, "", "", true},
	}
	for _, tc := range tests {
		l := newMemLog()
		l.failNext, l.applyFail, l.down = tc.failNext, tc.applyFail, tc.down
		if tc.pre != "" {
			l.decisions["g"] = tc.pre
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		got, err := settleDecision(ctx, l, "g", Commit)
		cancel()
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("%s: got %q, %v; want %q err=%v", tc.name, got, err, tc.want, tc.wantErr)
		}
		if tc.wantErr && !errors.Is(err, ErrIndeterminate) {
			t.Errorf("%s: the last log error is not kept: %v", tc.name, err)
		}
	}
}

// stuckLog never answers and ignores its context.
type stuckLog struct{ memLog }

func (*stuckLog) RecordDecision(context.Context, string, Outcome) (Outcome, error) {
	select {}
}

// TestSettleDecisionStuckLog: if it fails, a decision log that hangs (lost
// quorum, a bug ignoring ctx) hangs COMMIT forever instead of answering
// 1180 after DecisionTimeout.
func TestSettleDecisionStuckLog(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := settleDecision(ctx, &stuckLog{}, "g", Commit); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("settleDecision on a stuck log = %v, want the deadline", err)
	}
}

// raftOutcome stands for metaraft.Outcome: another string type.
type raftOutcome string

type raftLog struct{ m *memLog }

func (r raftLog) RecordDecision(ctx context.Context, g string, o raftOutcome) (raftOutcome, error) {
	got, err := r.m.RecordDecision(ctx, g, Outcome(o))
	return raftOutcome(got), err
}

func (r raftLog) LookupDecision(ctx context.Context, g string) (raftOutcome, bool, error) {
	got, ok, err := r.m.LookupDecision(ctx, g)
	return raftOutcome(got), ok, err
}

func (r raftLog) MarkResolved(ctx context.Context, g string) error { return r.m.MarkResolved(ctx, g) }

// TestAdaptLog: if it fails, the proxy cannot plug metaraft's log (whose
// Outcome is its own string type) into the coordinator.
func TestAdaptLog(t *testing.T) {
	m := newMemLog()
	var l DecisionLog = AdaptLog[raftOutcome](raftLog{m})
	ctx := context.Background()
	if o, err := l.RecordDecision(ctx, "g", Commit); err != nil || o != Commit {
		t.Fatalf("record = %q %v", o, err)
	}
	if o, ok, err := l.LookupDecision(ctx, "g"); err != nil || !ok || o != Commit {
		t.Fatalf("lookup = %q %v %v", o, ok, err)
	}
	if err := l.MarkResolved(ctx, "g"); err != nil || !m.isResolved("g") {
		t.Fatalf("mark = %v", err)
	}
}

// TestConfigValidate: if it fails, a node id that would overflow the
// 64-byte gtrid or break its parsing reaches production.
func TestConfigValidate(t *testing.T) {
	tests := []struct {
		node string
		ok   bool
	}{
		{"n1", true}, {"node-17_a", true}, {"", false}, {"n:1", false},
		{"a-node-id-17-byte", false}, {"n 1", false},
	}
	for _, tc := range tests {
		cfg := Config{NodeID: tc.node, Epoch: 1}
		err := cfg.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("Validate(%q) = %v, want ok=%v", tc.node, err, tc.ok)
		}
		if err == nil && (cfg.PrepareTimeout == 0 || cfg.Logger == nil) {
			t.Errorf("Validate(%q) left defaults unset", tc.node)
		}
	}
}

// TestDefaultTimeoutsNest: if it fails, the resolver's default would abort
// transactions whose coordinator is still inside its own prepare+decision
// window (safe, thanks to the CAS, but it turns slow commits into aborts).
func TestDefaultTimeoutsNest(t *testing.T) {
	c := DefaultConfig("n1", 1)
	var r ResolverConfig
	r.setDefaults()
	if r.PrepareTimeout < c.PrepareTimeout+c.DecisionTimeout {
		t.Fatalf("resolver PrepareTimeout %v < coordinator %v + %v", r.PrepareTimeout, c.PrepareTimeout, c.DecisionTimeout)
	}
	if MinDecisionRetention < 2*(c.PrepareTimeout+c.DecisionTimeout+c.Phase2Timeout) {
		t.Fatalf("MinDecisionRetention %v too short", MinDecisionRetention)
	}
}
