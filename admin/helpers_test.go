package admin_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/shardline/shardline/internal/rafttest"
)

const token = "t0ken"

// member is one metaraft node served by a real admin.Server.
type member = rafttest.Member

// startMember opens a node (bootstrap or join) and serves the admin API on
// its AdminAddr.
func startMember(t testing.TB, id string, join []string, tx func(context.Context) (any, error)) *member {
	t.Helper()
	return startMemberTLS(t, id, join, tx, nil)
}

// startMemberTLS is startMember with cluster TLS (nil: none).
func startMemberTLS(t testing.TB, id string, join []string, tx func(context.Context) (any, error), tlsCfg *tls.Config) *member {
	t.Helper()
	return rafttest.Start(t, id, rafttest.Options{Token: token, Join: join, TLS: tlsCfg, Transactions: tx})
}

// startCluster starts n members: the first bootstraps, the others join it.
func startCluster(t *testing.T, n int) []*member {
	t.Helper()
	ms := []*member{startMember(t, "n1", nil, nil)}
	waitFor(t, "n1 ready", ms[0].Node.Ready)
	for i := 1; i < n; i++ {
		ms = append(ms, startMember(t, "n"+string(rune('1'+i)), []string{ms[0].Node.Cluster().Nodes[0].AdminAddr}, nil))
	}
	for _, m := range ms {
		waitFor(t, "cluster formed", func() bool { return m.Node.Ready() && len(m.Node.Cluster().Nodes) == n })
	}
	return ms
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

// call does one request and returns status and body.
func call(t *testing.T, method, url, tok string, body any, hdr ...string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}
