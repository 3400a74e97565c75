package metaraft

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shardline/shardline/router"
)

// putDemoMap writes two shards, a schema and a sharded table through tn.
func putDemoMap(t *testing.T, tn *testNode) uint64 {
	t.Helper()
	ctx := ctxT(t)
	n := tn.node
	for _, name := range []string{"a", "b"} {
		if _, err := n.PutShard(ctx, name, shardA, AnyVersion); err != nil {
			t.Fatalf("put shard %s via %s: %v", name, tn.cfg.NodeID, err)
		}
	}
	if _, err := n.PutSchema(ctx, "oms", "a", AnyVersion); err != nil {
		t.Fatal(err)
	}
	v, err := n.PutTable(ctx, "oms", "orders", ruleAB, AnyVersion)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func hasOrders(m *router.ShardMap) bool {
	s := m.Schemas["oms"]
	return s != nil && s.Tables["orders"] != nil
}

// TestClusterWriteOnFollowerReplicates: if it fails, a rule written through
// a follower is not forwarded to the leader, is not readable on that
// follower when the call returns, or does not reach the other nodes.
func TestClusterWriteOnFollowerReplicates(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	n3 := nodes[2]
	if n3.node.IsLeader() {
		t.Log("n3 is the leader; the write is local, not forwarded")
	}
	var seen []uint64
	var mu sync.Mutex
	nodes[0].node.WatchShardMap(func(m *router.ShardMap) { mu.Lock(); seen = append(seen, m.Version); mu.Unlock() })
	v := putDemoMap(t, n3)
	if got := n3.node.ShardMap(); got.Version != v || !hasOrders(got) {
		t.Fatalf("n3 map right after its own write: version %d (want %d), orders %v", got.Version, v, hasOrders(got))
	}
	for _, tn := range nodes {
		waitFor(t, tn.cfg.NodeID+" has the rule", func() bool { return tn.node.ShardMap().Version == v && hasOrders(tn.node.ShardMap()) })
	}
	waitFor(t, "watch saw every version", func() bool { mu.Lock(); defer mu.Unlock(); return len(seen) > 0 && seen[len(seen)-1] == v })
	mu.Lock()
	defer mu.Unlock()
	if !slices.IsSorted(seen) || seen[0] != 0 || len(seen) != int(v)+1 {
		t.Fatalf("watch versions %v: want 0..%d in order", seen, v)
	}
	if _, err := nodes[1].node.PutShard(ctxT(t), "c", shardA, v-1); !errors.Is(err, ErrVersionConflict) {
		t.Fatalf("stale If-Match through a follower: err = %v, want ErrVersionConflict", err)
	}
	if _, err := nodes[1].node.DeleteShard(ctxT(t), "b", AnyVersion); !errors.Is(err, ErrInUse) {
		t.Fatalf("delete used shard through a follower: err = %v, want ErrInUse", err)
	}
}

// TestClusterDecisionsAndSequences: if it fails, decision CAS or sequence
// allocation behaves differently when called on followers than on the
// leader, or concurrent allocations overlap.
func TestClusterDecisionsAndSequences(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	leader := waitLeader(t, nodes)
	f := followers(nodes, leader)
	ctx := ctxT(t)
	if o, err := f[0].node.RecordDecision(ctx, "gx", Commit); err != nil || o != Commit {
		t.Fatalf("record on follower: %v %v", o, err)
	}
	if o, err := f[1].node.RecordDecision(ctx, "gx", Abort); err != nil || o != Commit {
		t.Fatalf("second decision: got %v %v, want the first (commit)", o, err)
	}
	for _, tn := range nodes {
		o, found, err := tn.node.LookupDecision(ctx, "gx")
		if err != nil || !found || o != Commit {
			t.Fatalf("lookup on %s: %v %v %v", tn.cfg.NodeID, o, found, err)
		}
	}
	if _, found, err := f[0].node.LookupDecision(ctx, "nope"); err != nil || found {
		t.Fatalf("lookup of unknown gtrid: %v %v", found, err)
	}
	if len(f[0].node.Decisions()) != 1 {
		t.Fatalf("unresolved decisions: %+v", f[0].node.Decisions())
	}
	if err := f[0].node.MarkResolved(ctx, "gx"); err != nil || len(f[0].node.Decisions()) != 0 {
		t.Fatalf("mark resolved: %v, left %+v", err, f[0].node.Decisions())
	}
	checkSequences(t, nodes)
}

// checkSequences allocates blocks concurrently on every node and checks
// that no value is handed out twice and AdvanceSequence moves forward.
func checkSequences(t *testing.T, nodes []*testNode) {
	ctx := ctxT(t)
	var mu sync.Mutex
	var blocks [][2]uint64
	var wg sync.WaitGroup
	for _, tn := range nodes {
		for range 5 {
			wg.Go(func() {
				first, last, err := tn.node.AllocateBlock(ctx, "orders.id", 10)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				blocks = append(blocks, [2]uint64{first, last})
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	slices.SortFunc(blocks, func(a, b [2]uint64) int { return int(a[0]) - int(b[0]) })
	for i, b := range blocks {
		if b[1]-b[0] != 9 || (i > 0 && b[0] <= blocks[i-1][1]) {
			t.Fatalf("overlapping or malformed blocks: %v", blocks)
		}
	}
	if err := nodes[1].node.AdvanceSequence(ctx, "orders.id", 1000); err != nil {
		t.Fatal(err)
	}
	if first, _, err := nodes[2].node.AllocateBlock(ctx, "orders.id", 1); err != nil || first != 1000 {
		t.Fatalf("after advance to 1000: first %d, err %v", first, err)
	}
}

// TestClusterLeaderFailoverAndRestart: if it fails, the cluster does not
// elect a new leader after the leader dies, stops accepting writes, or a
// restarted node does not recover from its BoltDB log + snapshot.
func TestClusterLeaderFailoverAndRestart(t *testing.T) {
	nodes := startCluster(t, 3, func(c *Config) { c.SnapshotThreshold, c.TrailingLogs = 4, 2 })
	leader := waitLeader(t, nodes)
	v := putDemoMap(t, leader)
	if err := leader.node.raft.Snapshot().Error(); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	leader.stop()
	rest := followers(nodes, leader)
	start := time.Now()
	newLeader := waitLeader(t, rest)
	t.Logf("new leader %s after %v", newLeader.cfg.NodeID, time.Since(start))
	waitFor(t, "the new leader shows the stopped node as unreachable", func() bool {
		return stateOf(newLeader, leader.cfg.NodeID) == "unreachable"
	})
	writer := followers(rest, newLeader)[0]
	waitFor(t, "a follower's cluster view (asked of the leader) shows it too", func() bool {
		for _, ni := range writer.node.ClusterView(ctxT(t)).Nodes {
			if ni.ID == leader.cfg.NodeID {
				return ni.State == "unreachable"
			}
		}
		return false
	})
	v2, err := writer.node.PutTable(ctxT(t), "oms", "items", ruleItems, v)
	if err != nil {
		t.Fatalf("write after failover: %v", err)
	}
	cfg := leader.cfg
	cfg.AdminAddr = freeAddr(t) // moved: the cluster must learn the new address
	restarted := startNode(t, cfg)
	waitFor(t, "restarted node catches up", func() bool {
		m := restarted.node.ShardMap()
		return m.Version == v2 && m.Schemas["oms"].Tables["items"] != nil
	})
	waitFor(t, "new admin address published", func() bool {
		for _, ni := range writer.node.Cluster().Nodes {
			if ni.ID == cfg.NodeID {
				return ni.AdminAddr == cfg.AdminAddr
			}
		}
		return false
	})
	if restarted.node.Cluster().Self != leader.cfg.NodeID || len(restarted.node.Cluster().Nodes) != 3 {
		t.Fatalf("restarted node re-bootstrapped or lost membership: %+v", restarted.node.Cluster())
	}
	waitFor(t, "the leader shows the restarted node as reachable again", func() bool {
		cur := waitLeader(t, append(rest, restarted))
		s := stateOf(cur, cfg.NodeID)
		return s == "follower" || s == "leader"
	})
}

// stateOf is the state of node id in tn's GET /v1/cluster view.
func stateOf(tn *testNode, id string) string {
	for _, ni := range tn.node.Cluster().Nodes {
		if ni.ID == id {
			return ni.State
		}
	}
	return ""
}

// TestClusterJoinNonVoterGetsMap: if it fails, a node joined after the
// first three is made a voter (growing the quorum) or never receives the
// map written before it joined (snapshot install).
func TestClusterJoinNonVoterGetsMap(t *testing.T) {
	nodes := startCluster(t, 3, func(c *Config) { c.SnapshotThreshold, c.TrailingLogs = 4, 1 })
	leader := waitLeader(t, nodes)
	v := putDemoMap(t, nodes[1])
	if err := leader.node.raft.Snapshot().Error(); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	cfg := testConfig(t, "n4")
	cfg.Join = []string{nodes[2].cfg.AdminAddr}
	n4 := startNode(t, cfg)
	waitFor(t, "n4 has the whole map", func() bool { return n4.node.ShardMap().Version == v && hasOrders(n4.node.ShardMap()) })
	for _, ni := range leader.node.Cluster().Nodes {
		if ni.ID == "n4" && (ni.Voter || ni.AdminAddr != cfg.AdminAddr) {
			t.Fatalf("n4 joined as %+v, want a non-voter with its admin address", ni)
		}
	}
	if _, err := n4.node.PutShard(ctxT(t), "c", shardA, AnyVersion); err != nil {
		t.Fatalf("write through the non-voter: %v", err)
	}
}

// TestClusterMinorityRefusesWrites: if it fails, a leader cut off from the
// majority keeps accepting writes (split brain), or the majority does not
// move on, or the healed node keeps a write that never committed.
func TestClusterMinorityRefusesWrites(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	old := waitLeader(t, nodes)
	putDemoMap(t, old)
	partition(nodes, old)
	ctx, cancel := contextWithTimeout(2 * time.Second)
	defer cancel()
	if _, err := old.node.PutShard(ctx, "minority", shardA, AnyVersion); err == nil {
		t.Fatal("isolated old leader accepted a write")
	}
	majority := followers(nodes, old)
	newLeader := waitLeader(t, majority)
	// Right after an election the new leader may still lose leadership to a
	// split vote; PutShard is idempotent in effect, so retry indeterminate.
	var err error
	for range 5 {
		if _, err = majority[0].node.PutShard(ctxT(t), "majority", shardA, AnyVersion); !errors.Is(err, ErrIndeterminate) {
			break
		}
	}
	if err != nil {
		t.Fatalf("majority write via %s (leader %s): %v", majority[0].cfg.NodeID, newLeader.cfg.NodeID, err)
	}
	heal(nodes, old)
	waitFor(t, "old leader converges", func() bool {
		m := old.node.ShardMap()
		return m.Shards["majority"] != nil && old.node.Leader() != ""
	})
	for _, tn := range nodes {
		if tn.node.ShardMap().Shards["minority"] != nil {
			t.Fatalf("%s kept the minority write", tn.cfg.NodeID)
		}
	}
}

// TestClusterIndeterminateDecision: if it fails, a coordinator whose
// decision append was cut off with its leader (ErrLeadershipLost) reports
// its own outcome although the majority meanwhile recorded the other one
// (xa/DESIGN.md, fact 12) — the shards would then be committed and rolled back at once.
func TestClusterIndeterminateDecision(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	old := waitLeader(t, nodes)
	partition(nodes, old)
	type result struct {
		o   Outcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		ctx, cancel := contextWithTimeout(8 * time.Second)
		defer cancel()
		o, err := old.node.RecordDecision(ctx, "g-split", Commit)
		done <- result{o, err}
	}()
	majority := followers(nodes, old)
	waitLeader(t, majority)
	if o, err := majority[0].node.RecordDecision(ctxT(t), "g-split", Abort); err != nil || o != Abort {
		t.Fatalf("majority decision: %v %v", o, err)
	}
	heal(nodes, old)
	r := <-done
	if r.err != nil || r.o != Abort {
		t.Fatalf("cut-off coordinator got (%v, %v), want the majority's abort", r.o, r.err)
	}
}

// TestClusterRemoveNode: if it fails, a removed node stays in the Raft
// configuration (counting towards the quorum) or in /v1/cluster, or the
// cluster is left with 2 voters although a non-voter could be promoted.
func TestClusterRemoveNode(t *testing.T) {
	nodes := startCluster(t, 4, nil)
	leader := waitLeader(t, nodes)
	var victim, via *testNode
	for _, tn := range nodes[:3] {
		if tn != leader && victim == nil {
			victim = tn
		} else if tn != leader {
			via = tn
		}
	}
	if err := via.node.RemoveNode(ctxT(t), victim.cfg.NodeID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "membership shrinks and n4 is promoted", func() bool {
		ci := via.node.Cluster()
		_, known := via.node.fsm.member(victim.cfg.NodeID)
		voters := 0
		for _, ni := range ci.Nodes {
			if ni.Voter {
				voters++
			}
		}
		return len(ci.Nodes) == 3 && voters == 3 && !known
	})
	victim.stop()
	if _, err := via.node.PutShard(ctxT(t), "x", shardA, AnyVersion); err != nil {
		t.Fatalf("write after removal: %v", err)
	}
}

// TestLoadInitialShardMap: if it fails, restarting a node with a config
// file's shard map overwrites changes made since through the admin API.
func TestLoadInitialShardMap(t *testing.T) {
	nodes := startCluster(t, 1, nil)
	n := nodes[0].node
	cfgMap := &router.ShardMap{Shards: map[string]*router.Shard{"a": shardA}, Schemas: map[string]*router.Schema{"oms": {DefaultShard: "a"}}}
	if loaded, err := n.LoadInitialShardMap(ctxT(t), cfgMap); err != nil || !loaded {
		t.Fatalf("first load: %v %v", loaded, err)
	}
	if _, err := n.PutShard(ctxT(t), "b", shardA, AnyVersion); err != nil {
		t.Fatal(err)
	}
	nodes[0].stop()
	restarted := startNode(t, nodes[0].cfg)
	if loaded, err := restarted.node.LoadInitialShardMap(ctxT(t), cfgMap); err != nil || loaded {
		t.Fatalf("load after restart: %v %v, want a no-op", loaded, err)
	}
	if m := restarted.node.ShardMap(); m.Shards["b"] == nil || m.Version != 2 {
		t.Fatalf("map after restart + load: %+v", m)
	}
}

// TestWatchSlowCallback: if it fails, a slow WatchShardMap callback (the
// proxy opening backend pools) blocks Raft applies, or callbacks see map
// versions out of order or miss some.
func TestWatchSlowCallback(t *testing.T) {
	nodes := startCluster(t, 1, nil)
	n := nodes[0].node
	release := make(chan struct{})
	var mu sync.Mutex
	var seen []uint64
	n.WatchShardMap(func(m *router.ShardMap) {
		<-release
		mu.Lock()
		seen = append(seen, m.Version)
		mu.Unlock()
	})
	for i := range 5 {
		if _, err := n.PutShard(ctxT(t), fmt.Sprintf("s%d", i), shardA, AnyVersion); err != nil {
			t.Fatalf("write %d while the watcher is blocked: %v", i, err)
		}
	}
	close(release)
	waitFor(t, "watcher drains", func() bool { mu.Lock(); defer mu.Unlock(); return len(seen) == 6 })
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(seen, []uint64{0, 1, 2, 3, 4, 5}) {
		t.Fatalf("versions seen %v", seen)
	}
}

// TestClusterDecisionGC: if it fails, resolved decisions are never
// collected (memory and snapshots grow without bound) or unresolved ones
// are collected (the resolver loses outcomes).
func TestClusterDecisionGC(t *testing.T) {
	nodes := startCluster(t, 3, func(c *Config) { c.DecisionRetention, c.GCInterval = 50*time.Millisecond, 50*time.Millisecond })
	n := nodes[1].node
	for _, g := range []string{"done", "open"} {
		if _, err := n.RecordDecision(ctxT(t), g, Commit); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.MarkResolved(ctxT(t), "done"); err != nil {
		t.Fatal(err)
	}
	for _, tn := range nodes {
		waitFor(t, "resolved decision collected on "+tn.cfg.NodeID, func() bool { _, ok := tn.node.fsm.lookup("done"); return !ok })
		if _, ok := tn.node.fsm.lookup("open"); !ok {
			t.Fatalf("%s collected an unresolved decision", tn.cfg.NodeID)
		}
	}
}

// TestLookupRightAfterElection: if it fails, a new leader whose log ends
// with entries the FSM never sees (no-op, barrier) cannot serve a
// linearizable LookupDecision, or a restarted node never reports ready,
// until some unrelated write happens.
func TestLookupRightAfterElection(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	leader := waitLeader(t, nodes)
	if _, err := leader.node.RecordDecision(ctxT(t), "g-old", Commit); err != nil {
		t.Fatal(err)
	}
	leader.stop()
	rest := followers(nodes, leader)
	newLeader := waitLeader(t, rest)
	ctx, cancel := contextWithTimeout(2 * time.Second)
	defer cancel()
	for _, tn := range rest {
		if o, found, err := tn.node.LookupDecision(ctx, "g-old"); err != nil || !found || o != Commit {
			t.Fatalf("lookup on %s (leader %s) with no write since the election: %v %v %v", tn.cfg.NodeID, newLeader.cfg.NodeID, o, found, err)
		}
	}
	restarted := startNode(t, leader.cfg)
	waitFor(t, "restarted node ready without new writes", restarted.node.Ready)
}
