package xa

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// txnResult is what one stress transaction did and what Commit said.
type txnResult struct {
	gtrid    string
	id0, id1 int64
	err      error
}

// TestConcurrentCommitsWithLiveResolver runs several sessions committing
// two-shard transactions at once, a third of them crashing at a random
// step, while a resolver that aborts every undecided branch at first sight
// runs in the background (so it races live coordinators for the CAS). If
// it fails, some transaction ended committed on one shard and not on the
// other, a nil Commit did not commit, an ErrAborted commit did not roll
// back, or a prepared branch was left behind.
func TestConcurrentCommitsWithLiveResolver(t *testing.T) {
	c := startCluster(t, 2)
	log := newMemLog()
	res := NewResolver(ResolverConfig{Interval: 10 * time.Millisecond, PrepareTimeout: -1, Logger: quietLogger()}, log, c.shards())
	res.grace = 5 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { res.Run(ctx); close(stopped) }()

	const sessions, perSession = 6, 8
	var mu sync.Mutex
	var results []txnResult
	var wg sync.WaitGroup
	for s := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := stressSession(t, c, log, s, perSession)
			mu.Lock()
			results = append(results, out...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	cancel()
	<-stopped
	e := &env{t: t, c: c, log: log, res: res}
	e.resolveAll()
	counts := map[string]int{}
	for _, r := range results {
		checkStressOutcome(t, e, r)
		counts[outcomeClass(r.err)]++
	}
	t.Logf("outcomes: %v", counts)
	if counts["aborted"] == 0 {
		t.Log("no commit lost the CAS race to the resolver this time")
	}
}

func outcomeClass(err error) string {
	switch {
	case err == nil:
		return "committed"
	case errors.Is(err, ErrFailpoint):
		return "crashed"
	case errors.Is(err, ErrAborted):
		return "aborted"
	case errors.Is(err, ErrOutcomeUnknown):
		return "unknown"
	}
	return "other: " + err.Error()
}

// stressSession commits n transactions on its own coordinator; each
// crashes at a random step with probability 1/3.
func stressSession(t *testing.T, c *cluster, log *memLog, s, n int) []txnResult {
	var point string
	points := []string{FailBeforePrepare, FailAfterPrepare, FailBeforeDecision,
		FailAfterDecision, FailBetweenCommits, FailAfterCommit}
	e := &env{t: t, c: c, log: log}
	var err error
	cfg := Config{NodeID: fmt.Sprintf("s%d", s), Epoch: uint64(time.Now().UnixNano()), Logger: quietLogger(),
		Failpoint: func(name string) error {
			if name == point {
				return errCrash
			}
			return nil
		}}
	if e.coord, err = NewCoordinator(cfg, log); err != nil {
		t.Error(err)
		return nil
	}
	defer e.coord.Close()
	var out []txnResult
	for range n {
		point = ""
		if rand.IntN(3) == 0 {
			point = points[rand.IntN(len(points))]
		}
		txn := e.coord.Begin()
		id0, id1 := e.write(txn, 0, c.dial(0)), e.write(txn, 1, c.dial(1))
		out = append(out, txnResult{gtrid: txn.Gtrid(), id0: id0, id1: id1, err: txn.Commit(context.Background())})
	}
	return out
}

// checkStressOutcome checks one transaction once everything is resolved.
func checkStressOutcome(t *testing.T, e *env, r txnResult) {
	t.Helper()
	n0, n1 := e.rowsOn(0, r.id0), e.rowsOn(1, r.id1)
	switch {
	case n0 != n1:
		t.Errorf("%s: mixed outcome (%d, %d rows); Commit said %v", r.gtrid, n0, n1, r.err)
	case r.err == nil && n0 != 1:
		t.Errorf("%s: Commit returned nil but nothing committed", r.gtrid)
	case errors.Is(r.err, ErrAborted) && n0 != 0:
		t.Errorf("%s: Commit returned %v but the rows are committed", r.gtrid, r.err)
	}
	if o, ok := e.log.decision(r.gtrid); ok && (o == Commit) != (n0 == 1) {
		t.Errorf("%s: decision %s but %d rows", r.gtrid, o, n0)
	}
	if len(e.ours(0))+len(e.ours(1)) != 0 {
		t.Fatalf("prepared branches left")
	}
}
