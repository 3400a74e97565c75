package proxy_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/shardline/shardline/internal/rafttest"
)

const raftToken = "seq-token"

// raftMember is one node of a real three-node Raft group with its admin
// endpoint (followers forward writes to the leader through it).
type raftMember = rafttest.Member

func startRaftMember(t *testing.T, id string, join []string) *raftMember {
	t.Helper()
	return rafttest.Start(t, id, rafttest.Options{Token: raftToken, Join: join})
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
	waitUntil(t, "n1 ready", ms[0].Node.Ready)
	join := []string{ms[0].Node.Cluster().Nodes[0].AdminAddr}
	ms = append(ms, startRaftMember(t, "n2", join), startRaftMember(t, "n3", join))
	for _, m := range ms {
		waitUntil(t, "three-node group", func() bool { return m.Node.Ready() && len(m.Node.Cluster().Nodes) == 3 })
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
		nodes[i] = startSeqNodeOn(t, e, m.Node, 3)
		addrs = append(addrs, nodes[i].addr)
	}
	results := concurrentInserts(t, "before-", addrs, 3, 8)

	leader := -1
	for i, m := range group {
		if m.Node.IsLeader() {
			leader = i
		}
	}
	if leader < 0 {
		t.Fatal("no leader")
	}
	nodes[leader].stop()
	group[leader].Stop()
	var survivors []string
	var alive []*raftMember
	for i := range group {
		if i != leader {
			survivors = append(survivors, nodes[i].addr)
			alive = append(alive, group[i])
		}
	}
	waitUntil(t, "a new leader", func() bool { return alive[0].Node.IsLeader() || alive[1].Node.IsLeader() })
	results = append(results, concurrentInserts(t, "after-", survivors, 3, 8)...)
	checkInserts(t, e, openDB(t, survivors[0], false), results)

	follower := alive[0]
	if follower.Node.IsLeader() {
		follower = alive[1]
	}
	req, _ := http.NewRequest("POST", follower.URL+"/v1/sequences/app.tickets", bytes.NewBufferString(`{"at_least": 100000}`))
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
	fresh := startSeqNodeOn(t, e, follower.Node, 3)
	r := mustExec(t, openDB(t, fresh.addr, false), "INSERT INTO tickets (title) VALUES ('after advance')")
	if id, _ := r.LastInsertId(); id < 100000 {
		t.Fatalf("after advancing to 100000 a fresh node generated %d", id)
	}
}
