package admin_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"
)

// FuzzAdminJSON sends arbitrary bodies to the admin API's JSON endpoints of
// a real single-node cluster. Every answer must be a client error or a
// success — never a 5xx, a dropped connection or a crash — and the node
// must keep serving. If it fails, a malformed request can break the admin
// endpoint or store a map the router cannot use.
func FuzzAdminJSON(f *testing.F) {
	for _, s := range []string{
		`{"shard_key": "user_id", "algorithm": "mod", "partitions": [{"shard": "a", "table": "order_01"}, {"shard": "a", "table": "order_02"}]}`,
		`{"shard_key": "id", "algorithm": "range", "partitions": [{"shard": "a", "table": "r1", "upper": 100}, {"shard": "a", "table": "r2"}]}`,
		`{"type": "broadcast"}`, `{"shard_key": "id", "algorithm": "hash", "partitions": []}`,
		`{"addr": "127.0.0.1:1", "user": "root", "max_conns": 4}`, `{"default_shard": "a"}`,
		`{"at_least": 100}`, `{`, `null`, `[]`, `{"partitions": [{"upper": {"x": 1}}]}`,
	} {
		f.Add(uint8(0), []byte(s))
	}
	m := startMember(f, "n1", nil, nil)
	waitFor(f, "n1 ready", m.Node.Ready)
	routes := []struct{ method, path string }{
		{"PUT", "/v1/schemas/oms/tables/t"}, {"PUT", "/v1/shards/b"}, {"PUT", "/v1/schemas/oms"},
		{"POST", "/v1/sequences/oms.t"}, {"POST", "/v1/cluster/nodes"},
	}
	client := &http.Client{Timeout: 10 * time.Second}
	// The table rules need an existing shard and schema to be valid at all.
	for _, r := range []struct{ path, body string }{{"/v1/shards/a", `{"addr": "127.0.0.1:1", "user": "root"}`}, {"/v1/schemas/oms", `{"default_shard": "a"}`}} {
		req, _ := http.NewRequest("PUT", m.URL+r.path, bytes.NewBufferString(r.body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode >= 300 {
			f.Fatalf("setup %s: %v %v", r.path, err, resp)
		}
		resp.Body.Close()
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := routes[int(route)%len(routes)]
		if r.path == "/v1/cluster/nodes" {
			return // a valid body would add a member that never answers
		}
		req, _ := http.NewRequest(r.method, m.URL+r.path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", r.method, r.path, err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %s with body %q: status %d", r.method, r.path, body, resp.StatusCode)
		}
		if err := m.Node.ShardMap().Validate(); err != nil {
			t.Fatalf("the stored map no longer validates after %q: %v", body, err)
		}
	})
}

// TestShardMapHidesPasswords: GET /v1/shardmap never shows a shard's
// password (the map in Raft keeps it). If it fails, anyone with the admin
// token reads the database credentials.
func TestShardMapHidesPasswords(t *testing.T) {
	m := startMember(t, "n1", nil, nil)
	waitFor(t, "n1 ready", m.Node.Ready)
	if code, body := call(t, "PUT", m.URL+"/v1/shards/a", token, map[string]any{"addr": "127.0.0.1:1", "user": "root", "password": "s3cret"}); code >= 300 {
		t.Fatalf("PUT shard: %d %s", code, body)
	}
	code, body := call(t, "GET", m.URL+"/v1/shardmap", token, nil)
	if code != 200 || bytes.Contains(body, []byte("s3cret")) || !bytes.Contains(body, []byte(`"password": "********"`)) {
		t.Fatalf("GET /v1/shardmap: %d %s", code, body)
	}
	if m.Node.ShardMap().Shards["a"].Password != "s3cret" {
		t.Fatal("the stored map lost the password")
	}
}
