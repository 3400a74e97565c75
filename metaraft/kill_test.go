package metaraft

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/shardline/shardline/router"
)

const childEnv = "METARAFT_TEST_CHILD_CONFIG"

// childConfig is the part of Config a child process needs.
type childConfig struct {
	NodeID, RaftAddr, AdminAddr, DataDir, Token string
	Bootstrap                                   bool
}

// TestHelperNodeProcess is not a test: it runs one node in a child process
// for TestClusterKill9 and blocks until it is killed.
func TestHelperNodeProcess(t *testing.T) {
	raw := os.Getenv(childEnv)
	if raw == "" {
		t.Skip("helper process for TestClusterKill9")
	}
	var cc childConfig
	if err := json.Unmarshal([]byte(raw), &cc); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, cc.NodeID)
	_ = os.Remove(cfg.DataDir) // the unused t.TempDir: this process never runs its cleanup
	cfg.RaftAddr, cfg.AdminAddr, cfg.DataDir, cfg.Token, cfg.Bootstrap = cc.RaftAddr, cc.AdminAddr, cc.DataDir, cc.Token, cc.Bootstrap
	startNode(t, cfg)
	select {}
}

// startChild runs a node in a child process; kill it with SIGKILL.
func startChild(t *testing.T, cc childConfig) *exec.Cmd {
	t.Helper()
	raw, _ := json.Marshal(cc)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperNodeProcess$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(raw))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

func childMap(addr string) (*router.ShardMap, error) {
	resp, err := http.Get("http://" + addr + "/v1/shardmap")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var m router.ShardMap
	return &m, json.NewDecoder(resp.Body).Decode(&m)
}

// TestClusterKill9: if it fails, a decision acknowledged by RecordDecision
// can be lost when the leader process is killed with SIGKILL mid-write, the
// survivors do not elect a new leader, or the killed node cannot restart
// from its BoltDB log (e.g. it re-bootstraps or its store is corrupt).
func TestClusterKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	cc := childConfig{NodeID: "n1", RaftAddr: freeAddr(t), AdminAddr: freeAddr(t), DataDir: t.TempDir(), Token: testToken, Bootstrap: true}
	child := startChild(t, cc)
	var nodes []*testNode
	for _, id := range []string{"n2", "n3"} {
		cfg := testConfig(t, id)
		cfg.Join = []string{cc.AdminAddr}
		nodes = append(nodes, startNode(t, cfg))
	}
	waitFor(t, "n1 leads a 3-node cluster", func() bool {
		return nodes[0].node.Leader() == "n1" && len(nodes[0].node.Cluster().Nodes) == 3 && len(nodes[1].node.Cluster().Nodes) == 3
	})
	v := putDemoMap(t, nodes[0])

	acked := recordWhileKilling(t, nodes, child)
	newLeader := waitLeader(t, nodes)
	v2, err := nodes[1].node.PutShard(ctxT(t), "after", shardA, AnyVersion)
	if err != nil || v2 <= v {
		t.Fatalf("write after kill -9 (leader %s): v%d %v", newLeader.cfg.NodeID, v2, err)
	}
	for g := range acked {
		if o, found, err := nodes[1].node.LookupDecision(ctxT(t), g); err != nil || !found || o != Commit {
			t.Fatalf("acknowledged decision %s lost after kill -9: %v %v %v", g, o, found, err)
		}
	}
	t.Logf("%d decisions acknowledged around the kill, all found", len(acked))

	startChild(t, cc)
	waitFor(t, "restarted n1 catches up", func() bool {
		m, err := childMap(cc.AdminAddr)
		return err == nil && m.Version == v2 && m.Shards["after"] != nil
	})
}

// recordWhileKilling records decisions through a follower from 8 writers,
// SIGKILLs the leader process midway, and returns the acknowledged gtrids.
func recordWhileKilling(t *testing.T, nodes []*testNode, leader *exec.Cmd) map[string]bool {
	var mu sync.Mutex
	acked := map[string]bool{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				g := fmt.Sprintf("kill-%d-%d", w, i)
				if o, err := nodes[w%2].node.RecordDecision(ctxT(t), g, Commit); err == nil && o == Commit {
					mu.Lock()
					acked[g] = true
					mu.Unlock()
				} else if err != nil && !errors.Is(err, ErrIndeterminate) && !errors.Is(err, ErrNoLeader) {
					t.Logf("record %s: %v", g, err)
				}
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	if err := leader.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = leader.Wait()
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	wg.Wait()
	return acked
}
