package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/shardline/shardline/internal/tlstest"
)

// TestShardctlTLS: against an admin endpoint serving the cluster's TLS,
// shardctl works with --ca and refuses the server without it. If it fails,
// an operator of a cluster_tls cluster cannot use shardctl, or shardctl
// trusts a certificate nobody vouched for.
func TestShardctlTLS(t *testing.T) {
	files := tlstest.WriteCerts(t, t.TempDir())
	url := startServerTLS(t, files.Config(t))
	for _, tc := range []struct {
		args     string
		wantCode int
		wantOut  string
	}{
		{"cluster status --addr " + url + " --token tok --ca " + files.CA, 0, "n1"},
		{"cluster status --addr " + url + " --token tok", 1, "certificate"},
	} {
		var out, errOut bytes.Buffer
		code := run(strings.Fields(tc.args), &out, &errOut)
		if code != tc.wantCode || !strings.Contains(out.String()+errOut.String(), tc.wantOut) {
			t.Errorf("shardctl %s: exit %d, output %q %q; want exit %d containing %q", tc.args, code, out.String(), errOut.String(), tc.wantCode, tc.wantOut)
		}
	}
}
