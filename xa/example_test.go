package xa_test

import (
	"context"
	"log/slog"
	"time"

	"github.com/shardline/shardline/xa"
)

// Example shows how a proxy session drives a transaction over two shards.
// (It compiles as documentation; it is not run: it needs live shards.)
func Example() {
	var (
		log    xa.DecisionLog // xa.AdaptLog[metaraft.Outcome](raftNode)
		shards xa.Shards      // the proxy's per-shard pools
		c0, c1 xa.Conn        // pinned backend connections of the session
	)
	coord, err := xa.NewCoordinator(xa.DefaultConfig("n1", uint64(time.Now().UnixMilli())), log)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	txn := coord.Begin()
	if err := txn.Enlist("t3306", c0); err != nil {
		panic(err) // drop c0
	}
	if _, err := c0.Execute("INSERT INTO oms.order_01 VALUES (1, 10)"); xa.IsTxnFatal(err) {
		_ = txn.Rollback(ctx)
		return
	}
	txn.MarkWrite("t3306")
	_ = txn.Enlist("t3307", c1)
	_, _ = c1.Execute("INSERT INTO oms.order_02 VALUES (2, 20)")
	txn.MarkWrite("t3307")
	if err := txn.Commit(ctx); err != nil {
		slog.Warn("commit", "err", err) // errors.As(err, &*mysql.MyError) for the client
	}
	_ = txn.Abandoned() // close these connections instead of returning them to the pool

	// On the Raft leader only:
	res := xa.NewResolver(xa.ResolverConfig{}, log, shards)
	go res.Run(ctx)
}
