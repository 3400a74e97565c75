package metaraft

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkRecordDecision measures decision appends per second on a 3-node
// loopback cluster (BoltDB with fsync) with 1, 16 and 64 concurrent
// writers, on the leader and through a follower (forwarded over HTTP).
// Concurrent applies are batched by raft (BatchApplyCh, MaxAppendEntries)
// into one append + fsync, so ops/s should grow with writers.
func BenchmarkRecordDecision(b *testing.B) {
	nodes := startCluster(b, 3, nil)
	leader := waitLeader(b, nodes)
	follower := followers(nodes, leader)[0]
	for _, via := range []*testNode{leader, follower} {
		role := "leader"
		if via == follower {
			role = "follower"
		}
		for _, writers := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("via=%s/writers=%d", role, writers), func(b *testing.B) {
				benchDecisions(b, via.node, role, writers)
			})
		}
	}
}

func benchDecisions(b *testing.B, n *Node, prefix string, writers int) {
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range writers {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				g := fmt.Sprintf("%s-%d-%d-%d", prefix, writers, b.N, i)
				if _, err := n.RecordDecision(ctx, g, Commit); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
}
