package proxy

import (
	"context"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/router"
	"github.com/shardline/shardline/xa"
)

// defaultDDLInDoubtWait is how long DDL waits for in-doubt XA branches on
// its shards to be finished by the resolver before it fails.
const defaultDDLInDoubtWait = 10 * time.Second

// guardDDL holds DDL back while a Shardline XA branch is prepared on a shard
// the DDL runs on. A prepared branch whose connection is gone holds no
// metadata lock (xa/DESIGN.md, fact 5): an ALTER or DROP could rebuild the table under
// the branch's row locks. The resolver finishes such branches within
// seconds, so the DDL waits for that, then fails naming the shard.
func (b *liveBackends) guardDDL(ctx context.Context, targets []router.Target) error {
	deadline := time.Now().Add(b.s.srv.ddlInDoubtWait)
	for {
		shard, gtrid, err := b.inDoubtOn(ctx, targets)
		if err != nil || shard == "" {
			return err
		}
		if time.Now().After(deadline) {
			return newError(mysql.ER_LOCK_WAIT_TIMEOUT,
				"DDL refused: transaction %s is in doubt on shard %s (prepared, not yet committed or rolled back); the resolver finishes it from the Raft decision — see GET /v1/transactions, then retry",
				gtrid, shard)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// inDoubtOn returns a shard among targets with a prepared Shardline branch.
func (b *liveBackends) inDoubtOn(ctx context.Context, targets []router.Target) (shard, gtrid string, err error) {
	for _, name := range shardsOf(targets) {
		bc, err := b.s.acquireFree(ctx, name)
		if err != nil {
			return "", "", err
		}
		xids, err := xa.RecoverOurs(bc)
		err = bc.fail(err)
		bc.pool.put(bc)
		if err != nil {
			return "", "", err
		}
		if len(xids) > 0 {
			return name, xids[0].Gtrid, nil
		}
	}
	return "", "", nil
}
