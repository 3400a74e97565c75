package proxy

import "github.com/shardline/shardline/xa"

// XATxns adapts the xa coordinator to TxnCoordinator.
func XATxns(c *xa.Coordinator) TxnCoordinator { return xaCoordinator{c} }

type xaCoordinator struct{ c *xa.Coordinator }

func (c xaCoordinator) Begin() DistributedTxn { return xaTxn{c.c.Begin()} }

type xaTxn struct{ *xa.Txn }

func (t xaTxn) Enlist(shard string, c BranchConn) error { return t.Txn.Enlist(shard, c) }
