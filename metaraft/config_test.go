package metaraft

import (
	"testing"
	"time"
)

// TestConfigValidate: if it fails, Open accepts a config that cannot work
// (no id, no data dir, both bootstrap and join, a lease longer than the
// heartbeat) and fails later in a less obvious way.
func TestConfigValidate(t *testing.T) {
	good := func() Config {
		c := DefaultConfig()
		c.NodeID, c.RaftAddr, c.AdminAddr, c.DataDir = "n1", "127.0.0.1:7001", "127.0.0.1:9090", "/tmp/x"
		return c
	}
	tests := []struct {
		name   string
		change func(*Config)
		ok     bool
	}{
		{"defaults plus addresses", func(*Config) {}, true},
		{"no node id", func(c *Config) { c.NodeID = "" }, false},
		{"no data dir", func(c *Config) { c.DataDir = "" }, false},
		{"no admin addr", func(c *Config) { c.AdminAddr = "" }, false},
		{"bad raft addr", func(c *Config) { c.RaftAddr = "nope" }, false},
		{"bootstrap and join", func(c *Config) { c.Bootstrap, c.Join = true, []string{"x:1"} }, false},
		{"lease over heartbeat", func(c *Config) { c.LeaderLeaseTimeout = 2 * c.HeartbeatTimeout }, false},
		{"election under heartbeat", func(c *Config) { c.ElectionTimeout = c.HeartbeatTimeout / 2 }, false},
		{"zero commit timeout", func(c *Config) { c.CommitTimeout = 0 }, false},
		{"batch too large", func(c *Config) { c.MaxAppendEntries = 5000 }, false},
		{"zero retention", func(c *Config) { c.DecisionRetention = 0 }, false},
		{"short timeouts", func(c *Config) {
			c.HeartbeatTimeout, c.ElectionTimeout, c.LeaderLeaseTimeout = 200*time.Millisecond, 200*time.Millisecond, 100*time.Millisecond
		}, true},
	}
	for _, tt := range tests {
		c := good()
		tt.change(&c)
		if err := c.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}
