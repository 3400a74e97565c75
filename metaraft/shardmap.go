package metaraft

import (
	"context"
	"errors"

	"github.com/shardline/shardline/router"
)

// ShardMap returns the current shard map of this node: an immutable
// snapshot, swapped atomically on every applied change. Never mutate it.
func (n *Node) ShardMap() *router.ShardMap { return n.fsm.shardMap.Load() }

// WatchShardMap calls fn with the current map, then after every change, in
// order, on a goroutine of its own (a slow fn delays only itself). The maps
// are immutable. Watches end when the node closes.
func (n *Node) WatchShardMap(fn func(*router.ShardMap)) { n.watch.add(fn) }

// The shard-map writes below take ifVersion: the version the caller read
// (HTTP If-Match), or AnyVersion. They return the new map version. Errors:
// ErrVersionConflict, ErrInvalid (the message names the field), ErrNotFound,
// ErrInUse, ErrIndeterminate, ErrNoLeader. Any node accepts them (followers
// forward) and they are readable on this node when they return.

// PutShard creates or replaces a shard.
func (n *Node) PutShard(ctx context.Context, name string, s *router.Shard, ifVersion uint64) (uint64, error) {
	return n.mapWrite(ctx, command{cmdPutShard, putShardCmd{precondition(ifVersion), name, s}})
}

// DeleteShard removes a shard; refused (ErrInUse) while a schema or table uses it.
func (n *Node) DeleteShard(ctx context.Context, name string, ifVersion uint64) (uint64, error) {
	return n.mapWrite(ctx, command{cmdDeleteShard, deleteShardCmd{precondition(ifVersion), name}})
}

// PutSchema creates a schema or changes its default shard (keeping its tables).
func (n *Node) PutSchema(ctx context.Context, name, defaultShard string, ifVersion uint64) (uint64, error) {
	return n.mapWrite(ctx, command{cmdPutSchema, putSchemaCmd{precondition(ifVersion), name, defaultShard}})
}

// PutTable creates or replaces the rule of schema.table; the schema must exist.
func (n *Node) PutTable(ctx context.Context, schema, table string, rule *router.TableRule, ifVersion uint64) (uint64, error) {
	return n.mapWrite(ctx, command{cmdPutTable, putTableCmd{precondition(ifVersion), schema, table, rule}})
}

// DeleteTable removes the rule of schema.table (the table then lives on the
// schema's default shard).
func (n *Node) DeleteTable(ctx context.Context, schema, table string, ifVersion uint64) (uint64, error) {
	return n.mapWrite(ctx, command{cmdDeleteTable, deleteTableCmd{precondition(ifVersion), schema, table}})
}

// SetShardMap replaces the whole map (its Version field is ignored). Used to
// load a config file's map at bootstrap: pass ifVersion 0 so that it only
// happens while the cluster's map is still the initial empty one.
func (n *Node) SetShardMap(ctx context.Context, m *router.ShardMap, ifVersion uint64) (uint64, error) {
	return n.mapWrite(ctx, command{cmdSetShardMap, setShardMapCmd{precondition(ifVersion), m}})
}

func (n *Node) mapWrite(ctx context.Context, cmd command) (uint64, error) {
	res, err := n.propose(ctx, cmd)
	if err != nil {
		return 0, err
	}
	return res.Version, nil
}

// LoadInitialShardMap loads m (e.g. a config file's map) only while the
// cluster's map is still the initial empty one (version 0), and reports
// whether it did. Safe to call on every start of every node: once the map
// has changed, through this call or the admin API, it is a no-op. Do not
// decide by looking at ShardMap() right after Open: entries after the last
// snapshot are applied only once the node hears from a leader.
func (n *Node) LoadInitialShardMap(ctx context.Context, m *router.ShardMap) (loaded bool, err error) {
	_, err = n.SetShardMap(ctx, m, 0)
	if errors.Is(err, ErrVersionConflict) {
		return false, nil
	}
	return err == nil, err
}
