// Package xa commits transactions that span shards: two-phase commit over
// MariaDB XA with the decision in a replicated DecisionLog (Raft), and a
// Resolver that finishes the branches a failed coordinator leaves prepared.
//
// A session gets a Txn from Coordinator.Begin, calls Enlist(shard, conn)
// before the first statement on a shard (XA START) and MarkWrite after
// every write statement, then Commit or Rollback. Commit picks the cheapest
// safe protocol: one writing branch commits with XA COMMIT ONE PHASE and no
// decision; several prepare, append COMMIT to the log (the commit point)
// and commit. IsTxnFatal tells the session which statement errors force a
// rollback of the whole transaction.
//
// The Resolver runs on the Raft leader: XA RECOVER on every shard, then
// commit or roll back each Shardline branch by its recorded decision, and
// abort (CAS first) the ones without a decision once they are old enough.
//
// DESIGN.md beside this file explains why it is built this way.
package xa
