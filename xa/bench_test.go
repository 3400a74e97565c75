package xa

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkCommit compares a one-shard transaction (XA ... ONE PHASE, no
// decision) with a two-shard one (XA PREPARE on both, a decision in the
// in-memory log, XA COMMIT on both). Each transaction inserts one row per
// shard over pooled connections. Run: go test -run - -bench Commit ./xa/
func BenchmarkCommit(b *testing.B) {
	c := startCluster(b, 2)
	for _, shards := range []int{1, 2} {
		b.Run(fmt.Sprintf("shards=%d", shards), func(b *testing.B) {
			e := newEnv(b, c, nil)
			conns := []Conn{c.dial(0), c.dial(1)}
			ctx := context.Background()
			for b.Loop() {
				txn := e.coord.Begin()
				for i := range shards {
					shard := c.names[i]
					if err := txn.Enlist(shard, conns[i]); err != nil {
						b.Fatal(err)
					}
					if err := run(conns[i], fmt.Sprintf("INSERT INTO xt.acc VALUES (%d, 0)", nextRowID.Add(1))); err != nil {
						b.Fatal(err)
					}
					txn.MarkWrite(shard)
				}
				if err := txn.Commit(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
		})
	}
}
