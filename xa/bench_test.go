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
			for b.Loop() {
				benchTxn(b, e, conns, shards)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
		})
		b.Run(fmt.Sprintf("shards=%d/sessions=8", shards), func(b *testing.B) {
			e := newEnv(b, c, nil)
			b.SetParallelism(4) // 4 x GOMAXPROCS(2) = 8 sessions
			b.RunParallel(func(pb *testing.PB) {
				conns := []Conn{c.dial(0), c.dial(1)}
				for pb.Next() {
					benchTxn(b, e, conns, shards)
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
		})
	}
}

// benchTxn inserts one row on each of the first n shards and commits.
func benchTxn(b *testing.B, e *env, conns []Conn, n int) {
	txn := e.coord.Begin()
	for i := range n {
		shard := e.c.names[i]
		if err := txn.Enlist(shard, conns[i]); err != nil {
			b.Error(err)
			return
		}
		if err := run(conns[i], fmt.Sprintf("INSERT INTO xt.acc VALUES (%d, 0)", nextRowID.Add(1))); err != nil {
			b.Error(err)
			return
		}
		txn.MarkWrite(shard)
	}
	if err := txn.Commit(context.Background()); err != nil {
		b.Error(err)
	}
}
