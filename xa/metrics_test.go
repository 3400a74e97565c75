package xa

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestCollectors: if it fails, the admin /metrics endpoint cannot register
// the coordinator's and the resolver's metrics together (duplicate or
// invalid descriptors make Register fail at startup).
func TestCollectors(t *testing.T) {
	coord, err := NewCoordinator(Config{NodeID: "n1", Epoch: 1}, newMemLog())
	if err != nil {
		t.Fatal(err)
	}
	res := NewResolver(ResolverConfig{}, newMemLog(), nil)
	reg := prometheus.NewPedanticRegistry()
	for _, c := range append(coord.Collectors(), res.Collectors()...) {
		if err := reg.Register(c); err != nil {
			t.Fatalf("register: %v", err)
		}
	}
	coord.stats.commits2PC.Add(3)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mf := range mfs {
		if mf.GetName() == "shardline_xa_commits_2pc_total" {
			found = mf.GetMetric()[0].GetCounter().GetValue() == 3
		}
	}
	if !found || len(mfs) != 9 {
		t.Fatalf("gathered %d families, commits_2pc_total=3 found=%v", len(mfs), found)
	}
}
