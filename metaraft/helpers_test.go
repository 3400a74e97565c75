package metaraft

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/shardline/shardline/internal/mariadbtest"
)

const testToken = "test-token"

// testNode is one metaraft node with a minimal admin HTTP server (the
// /internal endpoints plus POST /v1/cluster/nodes for joins).
type testNode struct {
	t     testing.TB
	cfg   Config
	node  *Node
	srv   *http.Server
	fault *faultyTransport
}

// freeAddr is mariadbtest.FreeAddr (no port handed out twice in a process).
func freeAddr(t testing.TB) string { return mariadbtest.FreeAddr(t) }

func testConfig(t testing.TB, id string) Config {
	cfg := DefaultConfig()
	cfg.NodeID = id
	cfg.RaftAddr = freeAddr(t)
	cfg.AdminAddr = freeAddr(t)
	cfg.MySQLAddr = "127.0.0.1:6033"
	cfg.DataDir = t.TempDir()
	cfg.Token = testToken
	cfg.HeartbeatTimeout = 300 * time.Millisecond
	cfg.ElectionTimeout = 300 * time.Millisecond
	cfg.LeaderLeaseTimeout = 150 * time.Millisecond
	cfg.CommitTimeout = 5 * time.Millisecond
	cfg.ApplyTimeout = 5 * time.Second
	cfg.JoinTimeout = 10 * time.Second
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		cfg.Logger = slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return cfg
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// startNode opens a node with cfg and serves its admin endpoints.
func startNode(t testing.TB, cfg Config) *testNode {
	t.Helper()
	tn := &testNode{t: t, cfg: cfg}
	tn.fault = &faultyTransport{}
	cfg.WrapTransport = func(tr raft.Transport) raft.Transport {
		tn.fault.NetworkTransport = tr.(*raft.NetworkTransport)
		return tn.fault
	}
	l, err := net.Listen("tcp", cfg.AdminAddr)
	if err != nil {
		t.Fatal(err)
	}
	var node *Node
	var ready sync.WaitGroup
	ready.Add(1)
	mux := http.NewServeMux()
	mux.HandleFunc("/internal/", func(w http.ResponseWriter, r *http.Request) {
		ready.Wait()
		node.InternalHandler().ServeHTTP(w, r)
	})
	mux.HandleFunc("POST /v1/cluster/nodes", func(w http.ResponseWriter, r *http.Request) {
		ready.Wait()
		var m Member
		_ = json.NewDecoder(r.Body).Decode(&m)
		err := node.AddNode(r.Context(), m.ID, m.RaftAddr, m.AdminAddr, m.MySQLAddr)
		writeJSON(w, http.StatusOK, simpleResponse{Error: toWire(err)})
	})
	mux.HandleFunc("GET /v1/shardmap", func(w http.ResponseWriter, r *http.Request) {
		ready.Wait()
		writeJSON(w, http.StatusOK, node.ShardMap())
	})
	tn.srv = &http.Server{Handler: mux}
	go func() { _ = tn.srv.Serve(l) }()
	node, err = Open(cfg)
	if node == nil {
		node = &Node{} // unblock handlers; they answer with errors
	}
	ready.Done()
	if err != nil {
		_ = tn.srv.Close()
		t.Fatal(err)
	}
	tn.node = node
	t.Cleanup(tn.stop)
	return tn
}

// stop closes the node and its HTTP server (idempotent).
func (tn *testNode) stop() {
	_ = tn.srv.Close()
	_ = tn.node.Close()
}

// startCluster starts n nodes: the first bootstraps, the others join it.
func startCluster(t testing.TB, n int, tweak func(*Config)) []*testNode {
	t.Helper()
	nodes := make([]*testNode, 0, n)
	for i := range n {
		cfg := testConfig(t, "n"+string(rune('1'+i)))
		if i == 0 {
			cfg.Bootstrap = true
		} else {
			cfg.Join = []string{nodes[0].cfg.AdminAddr}
		}
		if tweak != nil {
			tweak(&cfg)
		}
		nodes = append(nodes, startNode(t, cfg))
		if i == 0 {
			waitLeader(t, nodes)
		}
	}
	waitFor(t, "all nodes applied the membership", func() bool {
		for _, tn := range nodes {
			if len(tn.node.Cluster().Nodes) != n || tn.node.Leader() == "" {
				return false
			}
		}
		return true
	})
	return nodes
}

// waitLeader waits until the running nodes agree on a leader among them.
func waitLeader(t testing.TB, nodes []*testNode) *testNode {
	t.Helper()
	var leader *testNode
	waitFor(t, "a leader", func() bool {
		for _, tn := range nodes {
			if tn.node.IsLeader() {
				leader = tn
				return true
			}
		}
		return false
	})
	return leader
}

func followers(nodes []*testNode, leader *testNode) []*testNode {
	var out []*testNode
	for _, tn := range nodes {
		if tn != leader {
			out = append(out, tn)
		}
	}
	return out
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// faultyTransport drops outgoing Raft RPCs to blocked peers. Blocking both
// directions on both ends makes a symmetric partition.
type faultyTransport struct {
	*raft.NetworkTransport
	mu      sync.Mutex
	blocked map[raft.ServerAddress]bool
}

var errPartitioned = errors.New("fault injection: partitioned")

func (f *faultyTransport) block(addr string, on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.blocked == nil {
		f.blocked = map[raft.ServerAddress]bool{}
	}
	f.blocked[raft.ServerAddress(addr)] = on
}

func (f *faultyTransport) cut(target raft.ServerAddress) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.blocked[target]
}

func (f *faultyTransport) AppendEntriesPipeline(id raft.ServerID, target raft.ServerAddress) (raft.AppendPipeline, error) {
	if f.cut(target) {
		return nil, errPartitioned
	}
	p, err := f.NetworkTransport.AppendEntriesPipeline(id, target)
	if err != nil {
		return nil, err
	}
	return &faultyPipeline{AppendPipeline: p, f: f, target: target}, nil
}

// faultyPipeline fails pipelined appends to a blocked peer (raft then falls
// back to plain AppendEntries, which faultyTransport also blocks).
type faultyPipeline struct {
	raft.AppendPipeline
	f      *faultyTransport
	target raft.ServerAddress
}

func (p *faultyPipeline) AppendEntries(args *raft.AppendEntriesRequest, resp *raft.AppendEntriesResponse) (raft.AppendFuture, error) {
	if p.f.cut(p.target) {
		return nil, errPartitioned
	}
	return p.AppendPipeline.AppendEntries(args, resp)
}

func (f *faultyTransport) AppendEntries(id raft.ServerID, target raft.ServerAddress, args *raft.AppendEntriesRequest, resp *raft.AppendEntriesResponse) error {
	if f.cut(target) {
		return errPartitioned
	}
	return f.NetworkTransport.AppendEntries(id, target, args, resp)
}

func (f *faultyTransport) RequestVote(id raft.ServerID, target raft.ServerAddress, args *raft.RequestVoteRequest, resp *raft.RequestVoteResponse) error {
	if f.cut(target) {
		return errPartitioned
	}
	return f.NetworkTransport.RequestVote(id, target, args, resp)
}

func (f *faultyTransport) RequestPreVote(id raft.ServerID, target raft.ServerAddress, args *raft.RequestPreVoteRequest, resp *raft.RequestPreVoteResponse) error {
	if f.cut(target) {
		return errPartitioned
	}
	return f.NetworkTransport.RequestPreVote(id, target, args, resp)
}

func (f *faultyTransport) InstallSnapshot(id raft.ServerID, target raft.ServerAddress, args *raft.InstallSnapshotRequest, resp *raft.InstallSnapshotResponse, data io.Reader) error {
	if f.cut(target) {
		return errPartitioned
	}
	return f.NetworkTransport.InstallSnapshot(id, target, args, resp, data)
}

func (f *faultyTransport) TimeoutNow(id raft.ServerID, target raft.ServerAddress, args *raft.TimeoutNowRequest, resp *raft.TimeoutNowResponse) error {
	if f.cut(target) {
		return errPartitioned
	}
	return f.NetworkTransport.TimeoutNow(id, target, args, resp)
}

// partition isolates the given nodes from all the others (both directions).
func partition(all []*testNode, isolated ...*testNode) {
	setPartition(all, true, isolated...)
}

func heal(all []*testNode, isolated ...*testNode) { setPartition(all, false, isolated...) }

func setPartition(all []*testNode, on bool, isolated ...*testNode) {
	in := map[*testNode]bool{}
	for _, tn := range isolated {
		in[tn] = true
	}
	for _, a := range all {
		for _, b := range all {
			if in[a] != in[b] {
				a.fault.block(b.cfg.RaftAddr, on)
			}
		}
	}
}

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
