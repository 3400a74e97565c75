package proxy_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shardline/shardline/admin"
	"github.com/shardline/shardline/metaraft"
)

const raftToken = "seq-token"

// raftMember is one node of a real three-node Raft group with its admin
// endpoint (followers forward writes to the leader through it).
type raftMember struct {
	node  *metaraft.Node
	admin string // http://host:port
	stop  func()
}

func startRaftMember(t *testing.T, id string, join []string) *raftMember {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := metaraft.DefaultConfig()
	cfg.NodeID, cfg.RaftAddr, cfg.AdminAddr, cfg.DataDir = id, freeAddr(t), l.Addr().String(), t.TempDir()
	cfg.Token, cfg.Bootstrap, cfg.Join = raftToken, len(join) == 0, join
	cfg.HeartbeatTimeout, cfg.ElectionTimeout = 300*time.Millisecond, 300*time.Millisecond
	cfg.LeaderLeaseTimeout, cfg.CommitTimeout = 150*time.Millisecond, 10*time.Millisecond
	cfg.ApplyTimeout, cfg.JoinTimeout = 5*time.Second, 10*time.Second
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	node, err := metaraft.Open(cfg)
	if err != nil {
		l.Close()
		t.Fatal(err)
	}
	acfg := admin.DefaultConfig()
	acfg.Addr, acfg.Token, acfg.Logger = cfg.AdminAddr, raftToken, cfg.Logger
	srv := admin.New(acfg, node, prometheus.NewRegistry())
	go func() { _ = srv.Serve(l) }()
	m := &raftMember{node: node, admin: "http://" + cfg.AdminAddr}
	stopped := false
	m.stop = func() {
		if stopped {
			return
		}
		stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = node.Close()
	}
	t.Cleanup(m.stop)
	return m
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startRaftGroup starts three members: the first bootstraps, the others join.
func startRaftGroup(t *testing.T) []*raftMember {
	t.Helper()
	ms := []*raftMember{startRaftMember(t, "n1", nil)}
	waitUntil(t, "n1 ready", ms[0].node.Ready)
	join := []string{ms[0].node.Cluster().Nodes[0].AdminAddr}
	ms = append(ms, startRaftMember(t, "n2", join), startRaftMember(t, "n3", join))
	for _, m := range ms {
		waitUntil(t, "three-node group", func() bool { return m.node.Ready() && len(m.node.Cluster().Nodes) == 3 })
	}
	return ms
}

// TestSequenceThreeRaftNodes: three Shardline nodes, each a proxy whose
// sequence blocks come from its own member of a three-node Raft group
// (followers forward to the leader), insert concurrently with tiny blocks;
// then the leader dies and the two survivors (after an election) go on;
// then the sequence is advanced through a follower's admin API (POST
// /v1/sequences/app.tickets, what shardctl sequence advance sends) and a
// fresh node starts past it. No id is handed out twice at any point. If
// it fails, global sequences repeat values across nodes, across a leader
// failover, or the admin API does not move them.
func TestSequenceThreeRaftNodes(t *testing.T) {
	e := startSeqEnv(t)
	group := startRaftGroup(t)
	var addrs []string
	nodes := make([]*seqNode, len(group))
	for i, m := range group {
		nodes[i] = startSeqNodeOn(t, e, m.node, 3)
		addrs = append(addrs, nodes[i].addr)
	}
	results := concurrentInserts(t, "before-", addrs, 3, 8)

	leader := -1
	for i, m := range group {
		if m.node.IsLeader() {
			leader = i
		}
	}
	if leader < 0 {
		t.Fatal("no leader")
	}
	nodes[leader].stop()
	group[leader].stop()
	var survivors []string
	var alive []*raftMember
	for i := range group {
		if i != leader {
			survivors = append(survivors, nodes[i].addr)
			alive = append(alive, group[i])
		}
	}
	waitUntil(t, "a new leader", func() bool { return alive[0].node.IsLeader() || alive[1].node.IsLeader() })
	results = append(results, concurrentInserts(t, "after-", survivors, 3, 8)...)
	checkInserts(t, e, openDB(t, survivors[0], false), results)

	follower := alive[0]
	if follower.node.IsLeader() {
		follower = alive[1]
	}
	req, _ := http.NewRequest("POST", follower.admin+"/v1/sequences/app.tickets", bytes.NewBufferString(`{"at_least": 100000}`))
	req.Header.Set("Authorization", "Bearer "+raftToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("advance: %d %s", resp.StatusCode, body)
	}
	fresh := startSeqNodeOn(t, e, follower.node, 3)
	r := mustExec(t, openDB(t, fresh.addr, false), "INSERT INTO tickets (title) VALUES ('after advance')")
	if id, _ := r.LastInsertId(); id < 100000 {
		t.Fatalf("after advancing to 100000 a fresh node generated %d", id)
	}
}
