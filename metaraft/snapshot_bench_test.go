package metaraft

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkSnapshot measures Snapshot+Persist of an FSM holding n kept
// decisions (they dominate snapshot size; see DecisionRetention).
func BenchmarkSnapshot(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("decisions=%d", n), func(b *testing.B) {
			f := newFSM(nil)
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			for i := range n {
				f.applyRecordDecision(recordDecisionCmd{Gtrid: fmt.Sprintf("sl-n1-%08d-%012d", 7, i), Outcome: Commit, Created: now})
			}
			var size int
			b.ResetTimer()
			for b.Loop() {
				snap, err := f.Snapshot()
				if err != nil {
					b.Fatal(err)
				}
				sink := &memSink{}
				if err := snap.Persist(sink); err != nil {
					b.Fatal(err)
				}
				size = sink.Len()
			}
			b.ReportMetric(float64(size), "bytes")
		})
	}
}
