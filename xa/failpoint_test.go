package xa

import (
	"context"
	"errors"
	"testing"
)

var errCrash = errors.New("injected crash")

// TestFailpoints crashes the coordinator at every step of a two-phase
// commit, 20 times each, then lets the resolver finish. If it fails, a
// crash leaves a mixed outcome (a row on one shard only), an outcome on
// the wrong side of the commit point (aborted after COMMIT was recorded,
// committed without it), a prepared branch nobody finishes, or a decision
// never marked resolved.
func TestFailpoints(t *testing.T) {
	c := startCluster(t, 2)
	tests := []struct {
		point  string
		commit bool // the outcome every run must end with
	}{
		{"before-prepare", false},
		{"after-prepare", false},
		{"before-decision", false},
		{"after-decision", true},
		{"between-commits", true},
		{"after-commit", true},
	}
	const runs = 20
	for _, tc := range tests {
		t.Run(tc.point, func(t *testing.T) {
			sub := *c
			sub.t = t
			e := newEnv(t, &sub, func(name string) error {
				if name == tc.point {
					return errCrash
				}
				return nil
			})
			for range runs {
				failpointRun(t, e, tc.commit)
			}
			if n := len(e.ours(0)) + len(e.ours(1)); n != 0 {
				t.Fatalf("%d prepared branches left", n)
			}
		})
	}
}

// failpointRun commits one crashing transaction and checks its outcome.
func failpointRun(t *testing.T, e *env, wantCommit bool) {
	t.Helper()
	txn := e.coord.Begin()
	id0, id1 := e.write(txn, 0, e.c.dial(0)), e.write(txn, 1, e.c.dial(1))
	if err := txn.Commit(context.Background()); !errors.Is(err, errCrash) || !errors.Is(err, ErrFailpoint) {
		t.Fatalf("Commit = %v, want the injected crash", err)
	}
	e.resolveAll()
	n0, n1 := e.rowsOn(0, id0), e.rowsOn(1, id1)
	if n0 != n1 {
		t.Fatalf("mixed outcome: shard0 %d row, shard1 %d row", n0, n1)
	}
	if got := n0 == 1; got != wantCommit {
		t.Fatalf("committed=%v, want %v", got, wantCommit)
	}
	o, decided := e.log.decision(txn.Gtrid())
	if decided && (o == Commit) != wantCommit {
		t.Fatalf("decision %q disagrees with the rows", o)
	}
	if decided && !e.log.isResolved(txn.Gtrid()) {
		// The coordinator died before MarkResolved; the next round marks it.
		e.resolveAll()
		if _, err := e.res.RunOnce(context.Background()); err != nil || !e.log.isResolved(txn.Gtrid()) {
			t.Fatalf("decision %q never marked resolved (%v)", o, err)
		}
	}
}
