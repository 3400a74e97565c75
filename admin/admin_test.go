package admin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shardline/shardline/admin"
	"github.com/shardline/shardline/internal/mariadbtest"
	"github.com/shardline/shardline/metaraft"
	"github.com/shardline/shardline/router"
)

// TestAuth: if it fails, the admin API accepts shard-map changes from
// anyone who can reach the port, or health checks need the token.
func TestAuth(t *testing.T) {
	m := startMember(t, "n1", nil, nil)
	tests := []struct {
		method, path, tok string
		want              int
	}{
		{"GET", "/v1/shardmap", "", http.StatusUnauthorized},
		{"GET", "/v1/shardmap", "wrong", http.StatusUnauthorized},
		{"PUT", "/v1/shards/a", "", http.StatusUnauthorized},
		{"GET", "/v1/cluster", "", http.StatusUnauthorized},
		{"POST", "/v1/cluster/nodes", "", http.StatusUnauthorized},
		{"GET", "/v1/transactions", "", http.StatusUnauthorized},
		{"POST", "/v1/sequences/s", "", http.StatusUnauthorized},
		{"POST", "/internal/apply", "", http.StatusUnauthorized},
		{"GET", "/v1/shardmap", token, http.StatusOK},
		{"GET", "/healthz", "", http.StatusOK},
		{"GET", "/metrics", "", http.StatusOK},
	}
	for _, tt := range tests {
		code, body := call(t, tt.method, m.URL+tt.path, tt.tok, nil)
		if code != tt.want {
			t.Errorf("%s %s token %q: %d %s, want %d", tt.method, tt.path, tt.tok, code, body, tt.want)
		}
		if code == http.StatusUnauthorized && !json.Valid(body) {
			t.Errorf("%s %s: 401 body is not JSON: %s", tt.method, tt.path, body)
		}
	}
}

// TestShardMapAPI: if it fails, the shard-map endpoints do not change the
// map as README.md ("Admin API and shardctl") says, or they map errors to the wrong status (stale
// If-Match must be 409, bad bodies 400, unknown names 404).
func TestShardMapAPI(t *testing.T) {
	m := startMember(t, "n1", nil, nil)
	waitFor(t, "ready", m.Node.Ready)
	rule := `{"shard_key": "user_id", "algorithm": "mod", "partitions": [{"shard": "t3306", "table": "order_01"}, {"shard": "t3307", "table": "order_02"}]}`
	steps := []struct {
		name, method, path, body string
		hdr                      []string
		want                     int
		wantIn                   string
	}{
		{"put shard", "PUT", "/v1/shards/t3306", `{"addr": "127.0.0.1:13306", "user": "root", "max_conns": 64}`, nil, 200, `"version": 1`},
		{"put shard 2", "PUT", "/v1/shards/t3307", `{"addr": "127.0.0.1:13307", "user": "root"}`, nil, 200, `"version": 2`},
		{"unknown field", "PUT", "/v1/shards/x", `{"addr": "h:1", "pool": 3}`, nil, 400, `unknown field \"pool\"`},
		{"not json", "PUT", "/v1/shards/x", `{`, nil, 400, `"error"`},
		{"table before schema", "PUT", "/v1/schemas/oms/tables/orders", rule, nil, 404, `schema \"oms\"`},
		{"put schema", "PUT", "/v1/schemas/oms", `{"default_shard": "t3306"}`, nil, 200, `"version": 3`},
		{"stale if-match", "PUT", "/v1/schemas/oms/tables/orders", rule, []string{"If-Match", "2"}, 409, "version conflict"},
		{"bad if-match", "PUT", "/v1/schemas/oms/tables/orders", rule, []string{"If-Match", "x"}, 400, "If-Match"},
		{"put table", "PUT", "/v1/schemas/oms/tables/orders", rule, []string{"If-Match", "3"}, 200, `"version": 4`},
		{"unknown rule field", "PUT", "/v1/schemas/oms/tables/t", `{"shard_key": "id", "shards": 2}`, nil, 400, `unknown field \"shards\"`},
		{"shard in use", "DELETE", "/v1/shards/t3307", "", nil, 409, "partitions[1]"},
		{"read map", "GET", "/v1/shardmap", "", nil, 200, `"order_02"`},
		{"delete table", "DELETE", "/v1/schemas/oms/tables/orders", "", nil, 200, `"version": 5`},
		{"delete missing table", "DELETE", "/v1/schemas/oms/tables/orders", "", nil, 404, "not found"},
		{"delete shard", "DELETE", "/v1/shards/t3307", "", []string{"If-Match", `"5"`}, 200, `"version": 6`},
	}
	for _, st := range steps {
		var body any
		if st.body != "" {
			body = st.body
		}
		code, out := call(t, st.method, m.URL+st.path, token, body, st.hdr...)
		if code != st.want || !strings.Contains(string(out), st.wantIn) {
			t.Fatalf("%s: %d %s, want %d containing %s", st.name, code, out, st.want, st.wantIn)
		}
	}
}

// TestBadRuleNamesField: if it fails, an invalid rule is accepted, or the
// 400 does not tell the operator which field is wrong.
func TestBadRuleNamesField(t *testing.T) {
	probe := &router.ShardMap{Shards: map[string]*router.Shard{"a": {Addr: "h:1"}}, Schemas: map[string]*router.Schema{
		"oms": {DefaultShard: "a", Tables: map[string]*router.TableRule{"t": {ShardKey: "id", Algorithm: "mod",
			Partitions: []router.Partition{{Shard: "t9", Table: "t_1"}}}}}}}
	if probe.Validate() == nil {
		t.Skip("router.(*ShardMap).Validate does not reject an unknown shard yet")
	}
	m := startMember(t, "n1", nil, nil)
	waitFor(t, "ready", m.Node.Ready)
	call(t, "PUT", m.URL+"/v1/shards/a", token, `{"addr": "h:1", "user": "u"}`)
	call(t, "PUT", m.URL+"/v1/schemas/oms", token, `{"default_shard": "a"}`)
	code, out := call(t, "PUT", m.URL+"/v1/schemas/oms/tables/t", token,
		`{"shard_key": "id", "algorithm": "mod", "partitions": [{"shard": "a", "table": "t_0"}, {"shard": "t9", "table": "t_1"}]}`)
	if code != http.StatusBadRequest || !strings.Contains(string(out), "partitions[1].shard") {
		t.Fatalf("bad rule: %d %s, want 400 naming partitions[1].shard", code, out)
	}
}

// TestWriteThroughFollower: if it fails, a write sent to a follower's admin
// API is not forwarded to the leader, or is not visible on that follower
// as soon as the call returns.
func TestWriteThroughFollower(t *testing.T) {
	ms := startCluster(t, 3)
	var f *member
	for _, m := range ms {
		if !m.Node.IsLeader() {
			f = m
		}
	}
	for _, step := range [][2]string{
		{"/v1/shards/a", `{"addr": "127.0.0.1:13306", "user": "root"}`},
		{"/v1/schemas/oms", `{"default_shard": "a"}`},
		{"/v1/schemas/oms/tables/orders", `{"shard_key": "user_id", "algorithm": "mod", "partitions": [{"shard": "a", "table": "order_01"}]}`},
	} {
		if code, out := call(t, "PUT", f.URL+step[0], token, step[1]); code != 200 {
			t.Fatalf("PUT %s via follower: %d %s", step[0], code, out)
		}
	}
	code, out := call(t, "GET", f.URL+"/v1/shardmap", token, nil)
	if code != 200 || !strings.Contains(string(out), `"order_01"`) || !strings.Contains(string(out), `"version": 3`) {
		t.Fatalf("follower map right after the write: %d %s", code, out)
	}
	var ci metaraft.ClusterInfo
	_, out = call(t, "GET", f.URL+"/v1/cluster", token, nil)
	if err := json.Unmarshal(out, &ci); err != nil || ci.Leader == "" || ci.Leader == ci.Self || len(ci.Nodes) != 3 {
		t.Fatalf("cluster from follower: %s (%v)", out, err)
	}
	for _, n := range ci.Nodes {
		if n.AdminAddr == "" || n.RaftAddr == "" || !n.Voter {
			t.Fatalf("incomplete node info %+v", n)
		}
	}
	var other *member
	for _, m := range ms {
		if m != f && !m.Node.IsLeader() {
			other = m
		}
	}
	if code, out := call(t, "DELETE", f.URL+"/v1/cluster/nodes/"+other.Node.Cluster().Self, token, nil); code != 200 {
		t.Fatalf("remove node via follower: %d %s", code, out)
	}
	waitFor(t, "2 nodes left", func() bool { return len(f.Node.Cluster().Nodes) == 2 })
}

// TestMetricsAndReadiness: if it fails, /metrics lacks the Raft gauges (or
// the proxy's own counters registered in the same registry) and operators
// cannot see leadership or replication lag.
func TestMetricsAndReadiness(t *testing.T) {
	m := startMember(t, "n1", nil, nil)
	waitFor(t, "ready", m.Node.Ready)
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "shardline_proxy_test_total", Help: "test"})
	m.Registry.MustRegister(c)
	c.Add(3)
	if code, _ := call(t, "GET", m.URL+"/readyz", "", nil); code != 200 {
		t.Fatalf("readyz = %d", code)
	}
	call(t, "PUT", m.URL+"/v1/shards/a", token, `{"addr": "h:1", "user": "u"}`)
	_, out := call(t, "GET", m.URL+"/metrics", "", nil)
	for _, want := range []string{
		`shardline_raft_state{state="leader"} 1`, "shardline_raft_applied_index ", "shardline_shardmap_version 1",
		"shardline_raft_last_contact_seconds 0", "shardline_raft_voters 1", "shardline_proxy_test_total 3",
		`shardline_admin_requests_total{code="200",route="PUT /v1/shards/{name}"} 1`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestTransactionsAndSequences: if it fails, /v1/transactions hides
// unresolved decisions or the proxy's in-doubt branches, or
// POST /v1/sequences does not move the sequence forward.
func TestTransactionsAndSequences(t *testing.T) {
	m := startMember(t, "n1", nil, func(context.Context) (any, error) {
		return []map[string]string{{"shard": "t3306", "xid": "x1"}}, nil
	})
	waitFor(t, "ready", m.Node.Ready)
	if _, err := m.Node.RecordDecision(t.Context(), "g-1", metaraft.Commit); err != nil {
		t.Fatal(err)
	}
	_, out := call(t, "GET", m.URL+"/v1/transactions", token, nil)
	for _, want := range []string{`"gtrid": "g-1"`, `"outcome": "commit"`, `"xid": "x1"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("/v1/transactions lacks %s: %s", want, out)
		}
	}
	if code, out := call(t, "POST", m.URL+"/v1/sequences/orders.id", token, `{"at_least": 500}`); code != 200 {
		t.Fatalf("advance: %d %s", code, out)
	}
	if got := m.Node.Sequence("orders.id"); got != 500 {
		t.Fatalf("sequence next = %d, want 500", got)
	}
	if code, _ := call(t, "POST", m.URL+"/v1/sequences/s", token, `{"at_least": "x"}`); code != 400 {
		t.Fatalf("bad sequence body: %d, want 400", code)
	}
}

// TestListenAndServeShutdown: if it fails, the server cannot be started on
// its configured address or Shutdown leaves it serving (the binary would
// hang on exit or keep the port).
func TestListenAndServeShutdown(t *testing.T) {
	m := startMember(t, "n1", nil, nil)
	addr := mariadbtest.FreeAddr(t)
	cfg := admin.DefaultConfig()
	cfg.Addr, cfg.Token = addr, token
	srv := admin.New(cfg, m.Node, nil)
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	waitFor(t, "listening", func() bool {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})
	if err := srv.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("ListenAndServe after Shutdown: %v", err)
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Fatal("still serving after Shutdown")
	}
}

// TestInternalRejectsGarbage: if it fails, an authenticated but malformed
// forwarded command reaches the Raft log, where every node's FSM would
// panic on it.
func TestInternalRejectsGarbage(t *testing.T) {
	m := startMember(t, "n1", nil, nil)
	waitFor(t, "leader published its addresses", func() bool {
		ci := m.Node.Cluster()
		return m.Node.Ready() && len(ci.Nodes) == 1 && ci.Nodes[0].AdminAddr != ""
	})
	before := m.Node.AppliedIndex()
	for _, body := range []string{`{"command": "7g=="}`, `{"command": "AXs="}`, `{}`, `nope`} {
		if code, out := call(t, "POST", m.URL+"/internal/apply", token, body); code != http.StatusBadRequest {
			t.Errorf("body %s: %d %s, want 400", body, code, out)
		}
	}
	if m.Node.AppliedIndex() != before {
		t.Fatal("a garbage command was applied")
	}
	if _, err := m.Node.PutShard(t.Context(), "a", &router.Shard{Addr: "h:1"}, metaraft.AnyVersion); err != nil {
		t.Fatalf("node broken after garbage: %v", err)
	}
}
