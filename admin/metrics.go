package admin

import (
	"github.com/prometheus/client_golang/prometheus"
)

// storeCollector reads Store.Stats once per scrape.
type storeCollector struct {
	store Store
	descs map[string]*prometheus.Desc
	state *prometheus.Desc
}

var gaugeHelp = map[string]string{
	"shardline_raft_term":                 "Current Raft term.",
	"shardline_raft_last_log_index":       "Index of the last entry in the local Raft log.",
	"shardline_raft_commit_index":         "Raft commit index known to this node.",
	"shardline_raft_applied_index":        "Index of the last entry applied to this node's state machine.",
	"shardline_raft_last_contact_seconds": "Seconds since the leader was last heard from (0 on the leader, -1 never).",
	"shardline_raft_voters":               "Voters in the Raft configuration.",
	"shardline_raft_nonvoters":            "Non-voters in the Raft configuration.",
	"shardline_raft_has_leader":           "1 if this node knows a leader.",
	"shardline_shardmap_version":          "Version of the shard map applied on this node.",
	"shardline_xa_unresolved_decisions":   "Transaction decisions not yet marked resolved.",
}

var raftStates = []string{"leader", "follower", "candidate", "shutdown"}

func newStoreCollector(s Store) *storeCollector {
	c := &storeCollector{store: s, descs: map[string]*prometheus.Desc{}}
	for name, help := range gaugeHelp {
		c.descs[name] = prometheus.NewDesc(name, help, nil, nil)
	}
	c.state = prometheus.NewDesc("shardline_raft_state", "1 for this node's current Raft state.", []string{"state"}, nil)
	return c
}

// Describe implements prometheus.Collector.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
	ch <- c.state
}

// Collect implements prometheus.Collector.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.store.Stats()
	hasLeader := 0.0
	if st.HasLeader {
		hasLeader = 1
	}
	values := map[string]float64{
		"shardline_raft_term":                 float64(st.Term),
		"shardline_raft_last_log_index":       float64(st.LastLogIndex),
		"shardline_raft_commit_index":         float64(st.CommitIndex),
		"shardline_raft_applied_index":        float64(st.AppliedIndex),
		"shardline_raft_last_contact_seconds": st.LastContact.Seconds(),
		"shardline_raft_voters":               float64(st.Voters),
		"shardline_raft_nonvoters":            float64(st.Nonvoters),
		"shardline_raft_has_leader":           hasLeader,
		"shardline_shardmap_version":          float64(st.MapVersion),
		"shardline_xa_unresolved_decisions":   float64(st.Unresolved),
	}
	if st.LastContact < 0 {
		values["shardline_raft_last_contact_seconds"] = -1
	}
	for name, d := range c.descs {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, values[name])
	}
	for _, s := range raftStates {
		v := 0.0
		if s == st.State {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, v, s)
	}
}
