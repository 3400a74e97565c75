package proxy

import (
	"context"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// TxnCoordinator runs transactions that span shards (two-phase commit over
// XA). The proxy declares only what it needs; package xa implements it.
type TxnCoordinator interface {
	Begin() DistributedTxn
}

// DistributedTxn is one transaction's branches on the shards it touched.
type DistributedTxn interface {
	// Enlist opens the branch on c (XA START) when shard is first touched.
	Enlist(shard string, c BranchConn) error
	// MarkWrite records that a statement may have changed rows on shard.
	MarkWrite(shard string)
	// Commit commits every branch atomically (one phase when one shard wrote).
	Commit(ctx context.Context) error
	// Rollback rolls every branch back.
	Rollback(ctx context.Context) error
}

// BranchConn is the backend connection a branch runs on.
type BranchConn interface {
	Execute(query string, args ...any) (*mysql.Result, error)
}
