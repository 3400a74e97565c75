// Package metaraft is Shardline's embedded metadata store: one hashicorp/raft
// group (BoltDB log, file snapshots, TCP transport) replicating
//
//   - the versioned shard map (ShardMap, WatchShardMap, PutShard, DeleteShard,
//     PutSchema, PutTable, DeleteTable, SetShardMap, LoadInitialShardMap);
//   - the XA decision log (RecordDecision, LookupDecision, MarkResolved,
//     Decisions), compare-and-set per gtrid;
//   - global sequences (AllocateBlock, AdvanceSequence);
//   - the members' addresses (Cluster, AddNode, RemoveNode).
//
// Open starts a node (bootstrap, join or restart); every write may be called
// on any node and is forwarded to the leader over the admin HTTP server's
// /internal/ endpoints (InternalHandler). See DESIGN.md in this directory
// for the reasoning (forwarding, linearizable lookups, decision GC).
package metaraft
