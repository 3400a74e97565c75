package metaraft

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// TestHclogBridge: if it fails, raft's own log lines (elections, snapshot
// errors) are lost or logged at the wrong level instead of going through
// the node's slog logger.
func TestHclogBridge(t *testing.T) {
	var buf bytes.Buffer
	l := newHclog(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})), "raft")
	tests := []struct {
		log  func(msg string, args ...any)
		want string // "" = filtered out
	}{
		{l.Debug, ""},
		{l.Trace, ""},
		{l.Info, "level=INFO"},
		{l.Warn, "level=WARN"},
		{l.Error, "level=ERROR"},
		{l.With("peer", "n2").Named("replication").Warn, "peer=n2"},
	}
	for i, tt := range tests {
		buf.Reset()
		tt.log("hello", "k", i)
		out := buf.String()
		if (tt.want == "") != (out == "") || !strings.Contains(out, tt.want) {
			t.Errorf("case %d: logged %q, want containing %q", i, out, tt.want)
		}
		if out != "" && (!strings.Contains(out, "component=raft") || !strings.Contains(out, "k=")) {
			t.Errorf("case %d: lost fields: %q", i, out)
		}
	}
	if l.IsDebug() || !l.IsWarn() {
		t.Error("level checks disagree with the slog handler")
	}
	l.SetLevel(hclog.Error)
	buf.Reset()
	l.Warn("dropped")
	if buf.Len() != 0 {
		t.Error("SetLevel(Error) still logs warnings")
	}
}
