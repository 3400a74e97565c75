package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/shardline/shardline/metaraft"
)

// The decision register test runs each metaraft node in its own process
// (this test binary re-executed as TestHelperDecisionNode), so that the
// leader can be killed with SIGKILL mid-write, as a real shardline process
// would be; the clients call Node.RecordDecision / Node.LookupDecision on
// their node through a small HTTP shim.

const registerNodeEnv = "CHAOS_DECISION_NODE"

// registerNodeConfig is what a child process needs to open its node.
type registerNodeConfig struct {
	ID, RaftAddr, AdminAddr, DataDir string
	Bootstrap                        bool
	Join                             []string
}

// TestHelperDecisionNode is not a test: it runs one metaraft node for
// TestChaosDecisionRegister in a child process until it is killed.
func TestHelperDecisionNode(t *testing.T) {
	raw := os.Getenv(registerNodeEnv)
	if raw == "" {
		t.Skip("helper process for TestChaosDecisionRegister")
	}
	var rc registerNodeConfig
	if err := json.Unmarshal([]byte(raw), &rc); err != nil {
		t.Fatal(err)
	}
	if err := serveDecisionNode(rc); err != nil {
		fmt.Fprintln(os.Stderr, "decision node:", err)
		os.Exit(1)
	}
}

func serveDecisionNode(rc registerNodeConfig) error {
	cfg := metaraft.DefaultConfig()
	cfg.NodeID, cfg.RaftAddr, cfg.AdminAddr, cfg.DataDir = rc.ID, rc.RaftAddr, rc.AdminAddr, rc.DataDir
	cfg.MySQLAddr, cfg.Token, cfg.Bootstrap, cfg.Join = "127.0.0.1:1", adminToken, rc.Bootstrap, rc.Join
	cfg.HeartbeatTimeout, cfg.ElectionTimeout, cfg.LeaderLeaseTimeout = 500*time.Millisecond, 500*time.Millisecond, 250*time.Millisecond
	cfg.ApplyTimeout = 5 * time.Second
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	l, err := net.Listen("tcp", rc.AdminAddr)
	if err != nil {
		return err
	}
	var node *metaraft.Node
	ready := make(chan struct{})
	wait := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { <-ready; h(w, r) }
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/internal/", wait(func(w http.ResponseWriter, r *http.Request) { node.InternalHandler().ServeHTTP(w, r) }))
	mux.HandleFunc("POST /v1/cluster/nodes", wait(func(w http.ResponseWriter, r *http.Request) {
		var m metaraft.Member
		_ = json.NewDecoder(r.Body).Decode(&m)
		resp := map[string]any{"error": nil}
		if err := node.AddNode(r.Context(), m.ID, m.RaftAddr, m.AdminAddr, m.MySQLAddr); err != nil {
			resp["error"] = err.Error()
		}
		_ = json.NewEncoder(w).Encode(resp)
	}))
	mux.HandleFunc("POST /test/op", wait(func(w http.ResponseWriter, r *http.Request) {
		var in regInput
		_ = json.NewDecoder(r.Body).Decode(&in)
		var out regOutput
		var err error
		if in.Record != "" {
			var o metaraft.Outcome
			o, err = node.RecordDecision(r.Context(), in.Gtrid, metaraft.Outcome(in.Record))
			out.Outcome, out.Found = string(o), err == nil
		} else {
			var o metaraft.Outcome
			o, out.Found, err = node.LookupDecision(r.Context(), in.Gtrid)
			out.Outcome = string(o)
		}
		if err != nil {
			out.Err = err.Error()
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	mux.HandleFunc("GET /test/cluster", wait(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(node.Cluster())
	}))
	go func() { _ = http.Serve(l, mux) }()
	node, err = metaraft.Open(cfg)
	if err != nil {
		return err
	}
	close(ready)
	select {}
}

// regInput is one register operation: Record "commit"/"abort", or a lookup
// when Record is empty.
type regInput struct {
	Gtrid  string `json:"gtrid"`
	Record string `json:"record,omitempty"`
}

// regOutput is its result; Err set means the outcome is unknown.
type regOutput struct {
	Outcome string `json:"outcome"`
	Found   bool   `json:"found"`
	Err     string `json:"err,omitempty"`
}

// registerModel is a write-once register per gtrid: the first recorded
// outcome wins and every later record and lookup returns it. A record that
// failed may or may not have taken effect (nondeterministic step).
var registerModel = porcupine.NondeterministicModel{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		by := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range history {
			g := op.Input.(regInput).Gtrid
			if _, ok := by[g]; !ok {
				keys = append(keys, g)
			}
			by[g] = append(by[g], op)
		}
		sort.Strings(keys)
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, by[k])
		}
		return out
	},
	Init: func() []any { return []any{""} },
	Step: func(state, input, output any) []any {
		st, in, out := state.(string), input.(regInput), output.(regOutput)
		switch {
		case in.Record != "" && out.Err != "":
			if st == "" {
				return []any{"", in.Record}
			}
			return []any{st}
		case in.Record != "":
			if (st == "" && out.Outcome == in.Record) || (st != "" && out.Outcome == st) {
				if st == "" {
					return []any{in.Record}
				}
				return []any{st}
			}
			return nil
		case out.Found == (st != "") && (st == "" || out.Outcome == st):
			return []any{st}
		}
		return nil
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(regInput), output.(regOutput)
		if in.Record != "" {
			if out.Err != "" {
				return fmt.Sprintf("record(%s) -> ?", in.Record)
			}
			return fmt.Sprintf("record(%s) -> %s", in.Record, out.Outcome)
		}
		return fmt.Sprintf("lookup -> %q found=%v", out.Outcome, out.Found)
	},
}

// regCluster is three decision-node processes.
type regCluster struct {
	nodes []*procNode
	cli   *http.Client
}

func startRegCluster(t *testing.T) *regCluster {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	rc := &regCluster{cli: &http.Client{Timeout: 15 * time.Second}}
	base := t.TempDir()
	var admins []string
	for i := range 3 {
		id := fmt.Sprintf("n%d", i+1)
		cfg := registerNodeConfig{ID: id, RaftAddr: freeAddr(t), AdminAddr: freeAddr(t), DataDir: filepath.Join(base, id), Bootstrap: i == 0, Join: admins}
		raw, _ := json.Marshal(cfg)
		n := &procNode{id: id, bin: exe, admin: cfg.AdminAddr, raftBind: cfg.RaftAddr, dir: cfg.DataDir,
			logPath: filepath.Join(base, id+".log"), args: []string{"-test.run=^TestHelperDecisionNode$"},
			env: []string{registerNodeEnv + "=" + string(raw)}}
		rc.nodes = append(rc.nodes, n)
		admins = append(admins, cfg.AdminAddr)
	}
	t.Cleanup(func() {
		for _, n := range rc.nodes {
			n.kill()
		}
		keepLogs(t, rc.nodes)
		if t.Failed() {
			for _, n := range rc.nodes {
				t.Logf("tail of %s log:\n%s", n.id, n.logTail(20))
			}
		}
	})
	for i, n := range rc.nodes {
		if err := n.start(); err != nil {
			t.Fatal(err)
		}
		if err := rc.waitVoters(i+1, 30*time.Second); err != nil {
			t.Fatalf("starting %s: %v\n%s", n.id, err, n.logTail(20))
		}
	}
	return rc
}

func (rc *regCluster) cluster(n *procNode) (metaraft.ClusterInfo, error) {
	var ci metaraft.ClusterInfo
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + n.admin + "/test/cluster")
	if err != nil {
		return ci, err
	}
	defer resp.Body.Close()
	return ci, json.NewDecoder(resp.Body).Decode(&ci)
}

// leader returns the live node that reports itself as leader, or nil.
func (rc *regCluster) leader() *procNode {
	for _, n := range rc.nodes {
		if ci, err := rc.cluster(n); err == nil && n.live() && ci.Leader == n.id {
			return n
		}
	}
	return nil
}

func (rc *regCluster) waitLeader(within time.Duration) *procNode {
	deadline := time.Now().Add(within)
	for {
		if l := rc.leader(); l != nil || time.Now().After(deadline) {
			return l
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (rc *regCluster) waitVoters(want int, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if l := rc.leader(); l != nil {
			ci, err := rc.cluster(l)
			voters := 0
			for _, m := range ci.Nodes {
				if m.Voter {
					voters++
				}
			}
			if err == nil && voters == want {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("no leader with %d voters within %v", want, within)
}

// op runs one register operation on node n.
func (rc *regCluster) op(ctx context.Context, n *procNode, in regInput) regOutput {
	body, _ := json.Marshal(in)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+n.admin+"/test/op", bytes.NewReader(body))
	resp, err := rc.cli.Do(req)
	if err != nil {
		return regOutput{Err: err.Error()}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out regOutput
	if err := json.Unmarshal(raw, &out); err != nil {
		return regOutput{Err: fmt.Sprintf("bad response %q: %v", raw, err)}
	}
	return out
}

// TestChaosDecisionRegister: concurrent clients record and look up
// decisions for a few gtrids at a time on all three nodes of a metaraft
// cluster (separate processes) while the leader process is killed with
// SIGKILL and restarted; porcupine then checks the history against a
// write-once register per gtrid, including a final lookup of every gtrid
// on every node. If it fails, two nodes (or two moments) disagree about a
// transaction's outcome — one coordinator could commit a branch that the
// resolver rolls back — or a lookup missed a decision that was already
// acknowledged (xa/DESIGN.md, facts 12 and 14). The short form kills the leader once in
// ~10 s; SHARDLINE_CHAOS=1 kills or pauses (SIGSTOP, then SIGCONT once
// another leader exists) the leader every ~6 s for CHAOS_DURATION/2.
func TestChaosDecisionRegister(t *testing.T) {
	full, duration := fullChaos(t)
	if full {
		duration /= 2
	} else {
		duration = 10 * time.Second
	}
	rc := startRegCluster(t)
	start := time.Now()
	now := func() int64 { return int64(time.Since(start)) }

	var mu sync.Mutex
	var history []porcupine.Operation
	var errorsSeen, acked int
	gtrids := map[string]bool{}
	add := func(client int, in regInput, out regOutput, call int64) {
		mu.Lock()
		defer mu.Unlock()
		gtrids[in.Gtrid] = true
		ret := now()
		if out.Err != "" {
			errorsSeen++
			if in.Record == "" {
				return // a failed lookup has no effect
			}
			ret = math.MaxInt64 // a failed record may take effect at any later time
		} else if in.Record != "" {
			acked++
		}
		history = append(history, porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
	}

	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	var wg sync.WaitGroup
	const clients = 6
	for cl := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(cl), uint64(start.UnixNano())))
			n := rc.nodes[cl%3]
			for ctx.Err() == nil {
				round := time.Since(start) / (250 * time.Millisecond) // 4 fresh gtrids every 250 ms
				in := regInput{Gtrid: fmt.Sprintf("g-%d-%d", round, rng.IntN(4))}
				switch rng.IntN(3) {
				case 0:
					in.Record = "commit"
				case 1:
					in.Record = "abort"
				}
				call := now()
				out := rc.op(context.Background(), n, in)
				add(cl, in, out, call)
				if out.Err != "" {
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	}
	var kills []string
	killEvery := duration
	if full {
		killEvery = 6 * time.Second
	}
	for i, next := 0, 3*time.Second; next < duration-3*time.Second; i, next = i+1, next+killEvery {
		time.Sleep(time.Until(start.Add(next)))
		l := rc.waitLeader(10 * time.Second)
		if l == nil {
			t.Logf("no leader to kill at %v (none for 10 s)", next)
			continue
		}
		// Full runs alternate kill -9 with SIGSTOP: a paused leader resumes
		// believing it leads, the stale-leader case for lookups.
		pause := full && i%2 == 1
		t0 := time.Now()
		undo := l.start
		if pause {
			l.signal(syscall.SIGSTOP)
			undo = func() error { l.signal(syscall.SIGCONT); return nil }
		} else {
			l.kill()
		}
		elected := time.Duration(-1)
		for time.Since(t0) < 30*time.Second {
			if nl := rc.leader(); nl != nil {
				elected = time.Since(t0)
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(time.Second)
		if err := undo(); err != nil {
			t.Fatal(err)
		}
		what := map[bool]string{false: "kill -9", true: "SIGSTOP"}[pause]
		kills = append(kills, fmt.Sprintf("%s %s at %v (new leader after %s)", what, l.id, next, fmtDur(elected)))
		if elected < 0 {
			t.Errorf("no new leader within 30 s after %s of %s", what, l.id)
		}
	}
	wg.Wait()
	if err := rc.waitVoters(3, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	// Every node's final view of every gtrid.
	for g := range gtrids {
		for i, n := range rc.nodes {
			call := now()
			add(clients+i, regInput{Gtrid: g}, rc.op(context.Background(), n, regInput{Gtrid: g}), call)
		}
	}
	res, info := porcupine.CheckOperationsVerbose(registerModel.ToModel(), history, time.Minute)
	t.Logf("decision register: %d operations (%d acknowledged records, %d errors) on %d gtrids; leader faults: %s; porcupine: %s",
		len(history), acked, errorsSeen, len(gtrids), strings.Join(kills, ", "), res)
	if res != porcupine.Ok {
		path := filepath.Join(os.TempDir(), fmt.Sprintf("chaos-register-%d.html", time.Now().Unix()))
		_ = porcupine.VisualizePath(registerModel.ToModel(), info, path)
		t.Fatalf("history is not linearizable as a write-once register per gtrid (%s); visualization: %s", res, path)
	}
	if acked == 0 || len(kills) == 0 {
		t.Fatalf("the run proved nothing: %d acknowledged records, %d leader kills", acked, len(kills))
	}
}
