package chaos

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

const (
	// recoveryBound is the generous bound on every recovery: a leader
	// election takes ~1-3 s with metaraft's default timeouts, an in-doubt
	// branch left by a dead coordinator is aborted after prepare_timeout
	// (5 s here) plus a resolve interval (1 s), a MariaDB restart takes ~1 s.
	recoveryBound = 45 * time.Second
	// xidBound bounds how long after the workload stops a Shardline XID may
	// stay in XA RECOVER (prepare_timeout + resolve intervals, generously).
	xidBound = 60 * time.Second
	// resolvedBound bounds how long after XA RECOVER is empty a decision
	// may stay unresolved (a few resolve intervals of 1 s, generously).
	resolvedBound = 20 * time.Second
	writers       = 8
)

// fullChaos reports whether SHARDLINE_CHAOS=1 asks for the full run, and
// its duration (CHAOS_DURATION, default 2m).
func fullChaos(t *testing.T) (bool, time.Duration) {
	if os.Getenv("SHARDLINE_CHAOS") != "1" {
		return false, 20 * time.Second
	}
	d := 2 * time.Minute
	if s := os.Getenv("CHAOS_DURATION"); s != "" {
		v, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("CHAOS_DURATION=%q: %v", s, err)
		}
		d = v
	}
	return true, d
}

// schedule is the list of faults to cycle through.
func schedule(full bool) []fault {
	if !full {
		return []fault{killNode("leader", 2*time.Second), restartShard(1)}
	}
	return []fault{
		killNode("leader", 3*time.Second),
		partitionNode("leader", 5*time.Second),
		restartShard(0),
		pauseNode("leader", 5*time.Second),
		killNode("follower", 3*time.Second),
		partitionNode("follower", 4*time.Second),
		restartShard(1),
		pauseNode("follower", 8*time.Second), // > prepare_timeout + resolve_interval
		pauseShard(0, 6*time.Second),
		killAll(2 * time.Second),
		both(killNode("leader", 3*time.Second), restartShard(1)),
	}
}

// TestChaosBank runs the bank workload (8 writers round-robin over three
// shardline processes, transfers between accounts on both shards, a
// locking-read checker) while faults are injected, then checks that
// nothing was lost. If it fails: an acknowledged cross-shard commit was
// lost, a transaction committed partly (unknown outcome not
// all-or-nothing) or without COMMIT, money was created or destroyed, a
// locking read saw a fractured state, a prepared branch was left in
// XA RECOVER, or the cluster did not recover from a fault within
// recoveryBound, or (full run only) a decision was never marked resolved.
// The short form (plain go test) runs 20 s with a leader kill and a shard
// restart; SHARDLINE_CHAOS=1 cycles through the full schedule (kill -9 of
// the leader, a follower, all nodes; Raft partitions and SIGSTOP of the
// leader and a follower; kill + restart and SIGSTOP of a shard; the leader
// and a shard at once) for CHAOS_DURATION.
func TestChaosBank(t *testing.T) {
	full, duration := fullChaos(t)
	c := startCluster(t)
	if full {
		c.enablePartitions()
	}
	b := newBank(t, c)
	b.setup()

	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	began := time.Now()
	done := make(chan struct{})
	go func() { b.run(ctx, writers); close(done) }()

	var recs []faultRecord
	faults := schedule(full)
	quiet := 3 * time.Second
	time.Sleep(4 * time.Second) // steady state first
	for i := 0; full && time.Until(began.Add(duration)) > 10*time.Second || !full && i < len(faults); i++ {
		rec := c.inject(faults[i%len(faults)], b, began, recoveryBound)
		t.Logf("fault %d: %s on %s: recovery %s, healthy after %s, leader %s→%s, err %v", i+1, rec.name, rec.target,
			fmtDur(rec.recovery), fmtDur(rec.healthy), rec.leaderBefore, rec.leaderAfter, rec.err)
		recs = append(recs, rec)
		time.Sleep(quiet)
	}
	<-done
	workload := time.Since(began)

	if _, err := c.waitLeader(recoveryBound); err != nil {
		t.Fatalf("after the workload: %v", err)
	}
	xidWait, xidErr := c.waitNoXIDs(xidBound)
	resolvedWait, unresolved, resolvedErr := c.waitDecisionsResolved(resolvedBound)
	res, err := b.check()
	if err != nil {
		t.Fatalf("reading the shards: %v", err)
	}
	proxyTotal, _, proxyErr := lockedTotal(b.dbs[0], b.lockClause())

	total, ok, unk, fail := b.counts()
	var s strings.Builder
	fmt.Fprintf(&s, "\n=== chaos summary (%s, workload %s, %d writers) ===\n", map[bool]string{true: "full", false: "short"}[full], workload.Round(time.Second), writers)
	s.WriteString(faultTable(recs))
	fmt.Fprintf(&s, "transfers: attempted %d, acknowledged %d, unknown outcome %d (%d committed, %d rolled back), failed %d\n",
		total, ok, unk, res.unknownIn, res.unknownOut, fail)
	for _, e := range b.errorSummary(8) {
		fmt.Fprintf(&s, "  %s\n", e)
	}
	byCode, resolverAborts := b.commitErrors()
	fmt.Fprintf(&s, "COMMIT errors by code (0 = connection lost): %v; rollbacks because the resolver's ABORT won: %d\n", byCode, resolverAborts)
	fmt.Fprintf(&s, "locking total reads: %d (%d errors, %d fractured)\n", b.reads.Load(), b.readErrs.Load(), len(res.fractured))
	fmt.Fprintf(&s, "XA RECOVER empty on both shards after %s; total through the proxy %d (err %v)\n", fmtDur(xidWait), proxyTotal, proxyErr)
	fmt.Fprintf(&s, "unresolved decisions on the leader: %d after %s\n", len(unresolved), fmtDur(resolvedWait))
	if c.proxy != nil {
		c.proxy.mu.Lock()
		fmt.Fprintf(&s, "Raft fault proxy: %d connections proxied, %d of unidentified origin\n", c.proxy.stats.accepted, c.proxy.stats.unidentified)
		c.proxy.mu.Unlock()
	}
	fmt.Fprintf(&s, "invariants checked: %s\n", strings.Join(res.invariants, "; "))
	fmt.Fprintf(&s, "lost: %d acknowledged transfers missing, %d failed ones present, %d phantom, %d accounts off, total %d (want %d)\n",
		len(res.lostAcked), len(res.committedFailed), len(res.phantom), len(res.badAccounts), res.total, totalBalance)
	t.Log(s.String())

	if !res.ok() {
		t.Errorf("invariant broken:\n%s", res)
	}
	if xidErr != nil {
		t.Error(xidErr)
	}
	if resolvedErr != nil {
		// Known bug (reported with issue 9): metaraft's decision log, wrapped
		// by xa.AdaptLog, does not implement xa.PendingLister, so a decision
		// whose branches were all finished (or never prepared) before the
		// resolver saw them is never marked resolved. The full run fails on
		// it; the short form, part of every `make test`, only reports it.
		if full {
			t.Errorf("decisions never marked resolved: %v", resolvedErr)
		} else {
			t.Logf("WARNING (known bug, fails under make chaos): decisions never marked resolved: %v", resolvedErr)
		}
	}
	if proxyErr == nil && proxyTotal != totalBalance {
		t.Errorf("total through the proxy %d, want %d", proxyTotal, totalBalance)
	}
	for _, r := range recs {
		if r.err != nil {
			t.Errorf("fault %q on %s at %s: %v", r.name, r.target, r.at, r.err)
		}
	}
	if ok == 0 || len(recs) == 0 {
		t.Errorf("the run proved nothing: %d acknowledged transfers, %d faults", ok, len(recs))
	}
}
