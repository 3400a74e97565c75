package admin_test

import (
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/shardline/shardline/internal/tlstest"
)

// TestClusterTLS: three nodes with cluster TLS form a cluster, a write sent
// to a follower's HTTPS admin endpoint is forwarded to the leader and read
// back, and nothing answers in clear text: plain HTTP to the admin port and
// a TLS client without a certificate on a Raft port are refused. If it
// fails, Raft and node-to-node traffic (the admin token included) cross the
// network in clear text, or a node without the cluster's certificate can
// talk to Raft.
func TestClusterTLS(t *testing.T) {
	files := tlstest.WriteCerts(t, t.TempDir())
	cfg, pool := files.Config(t), files.Pool(t)

	ms := []*member{startMemberTLS(t, "n1", nil, nil, cfg)}
	waitFor(t, "n1 ready", ms[0].Node.Ready)
	for _, id := range []string{"n2", "n3"} {
		ms = append(ms, startMemberTLS(t, id, []string{ms[0].Node.Cluster().Nodes[0].AdminAddr}, nil, cfg))
	}
	for _, m := range ms {
		waitFor(t, "cluster formed over TLS", func() bool { return m.Node.Ready() && len(m.Node.Cluster().Nodes) == 3 })
	}
	var f *member
	for _, m := range ms {
		if !m.Node.IsLeader() {
			f = m
		}
	}

	// An operator's client trusts the CA and has no certificate of its own.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	do := func(method, url, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	if code, out := do("PUT", f.URL+"/v1/shards/a", `{"addr": "127.0.0.1:13306", "user": "root"}`); code != 200 {
		t.Fatalf("PUT via a follower over HTTPS (forwarded to the leader): %d %s", code, out)
	}
	if code, out := do("GET", f.URL+"/v1/shardmap", ""); code != 200 || !strings.Contains(out, `"127.0.0.1:13306"`) {
		t.Fatalf("map on the follower after the write: %d %s", code, out)
	}

	// Clear text is refused on the admin port ...
	plain := "http://" + strings.TrimPrefix(f.URL, "https://") + "/v1/shardmap"
	if resp, err := http.Get(plain); err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatalf("plain HTTP to a TLS admin endpoint answered 200: %s", body)
		}
	}
	// ... and a Raft port does not talk to a client without the cluster's certificate.
	raftAddr := ""
	for _, n := range f.Node.Cluster().Nodes {
		if n.ID == f.Node.Cluster().Self {
			raftAddr = n.RaftAddr
		}
	}
	conn, err := tls.Dial("tcp", raftAddr, &tls.Config{RootCAs: pool})
	if err == nil {
		// TLS 1.3 reports a refused client certificate on the first read.
		_, err = conn.Read(make([]byte, 1))
		conn.Close()
	}
	if err == nil {
		t.Fatal("a Raft port accepted a TLS client without a certificate")
	}
	t.Logf("Raft port without a client certificate: %v", err)
}
