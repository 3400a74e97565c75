package metaraft

import (
	"fmt"
	"maps"

	"github.com/shardline/shardline/router"
)

// applyMapCommand applies one shard-map command: check the precondition,
// build the next map from a clone, validate it, bump the version, publish.
func (f *fsm) applyMapCommand(typ cmdType, body []byte) applyResult {
	next, err := planMapChange(f.shardMap.Load(), typ, body)
	if err != nil {
		return applyResult{Err: err}
	}
	f.publishMap(next)
	return applyResult{Version: next.Version}
}

// planMapChange computes the map that a shard-map command would produce
// from cur, without publishing it. It is deterministic; the leader runs it
// before Apply (fail fast) and the FSM runs it again when applying.
func planMapChange(cur *router.ShardMap, typ cmdType, body []byte) (*router.ShardMap, error) {
	pre, change := decodeMapCommand(typ, body)
	if pre.IfVersion != nil && *pre.IfVersion != cur.Version {
		return nil, fmt.Errorf("%w: If-Match %d, current version %d", ErrVersionConflict, *pre.IfVersion, cur.Version)
	}
	next, err := change(cloneMap(cur))
	if err != nil {
		return nil, err
	}
	if err := next.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	next.Version = cur.Version + 1
	return next, nil
}

// mapChange edits a cloned map (or returns another one) or refuses.
type mapChange func(*router.ShardMap) (*router.ShardMap, error)

// edit adapts an in-place edit to a mapChange.
func edit(f func(*router.ShardMap) error) mapChange {
	return func(m *router.ShardMap) (*router.ShardMap, error) { return m, f(m) }
}

// decodeMapCommand decodes a shard-map command into its precondition and
// its change; it panics on undecodable input, like Apply.
func decodeMapCommand(typ cmdType, body []byte) (mapPrecondition, mapChange) {
	switch typ {
	case cmdPutShard:
		c := decode[putShardCmd](body)
		return c.mapPrecondition, edit(func(m *router.ShardMap) error { return putShard(m, c) })
	case cmdDeleteShard:
		c := decode[deleteShardCmd](body)
		return c.mapPrecondition, edit(func(m *router.ShardMap) error { return deleteShard(m, c.Name) })
	case cmdPutSchema:
		c := decode[putSchemaCmd](body)
		return c.mapPrecondition, edit(func(m *router.ShardMap) error { return putSchema(m, c) })
	case cmdPutTable:
		c := decode[putTableCmd](body)
		return c.mapPrecondition, edit(func(m *router.ShardMap) error { return putTable(m, c) })
	case cmdDeleteTable:
		c := decode[deleteTableCmd](body)
		return c.mapPrecondition, edit(func(m *router.ShardMap) error { return deleteTable(m, c) })
	case cmdSetShardMap:
		c := decode[setShardMapCmd](body)
		return c.mapPrecondition, func(*router.ShardMap) (*router.ShardMap, error) {
			if c.Map == nil {
				return nil, fmt.Errorf("%w: map: required", ErrInvalid)
			}
			return cloneMap(c.Map), nil
		}
	}
	panic(fmt.Sprintf("metaraft: %d is not a map command", typ))
}

// cloneMap copies the map's containers so that it can be changed without
// touching m. Shards and table rules are shared: they are replaced, never
// mutated, by every change.
func cloneMap(m *router.ShardMap) *router.ShardMap {
	next := &router.ShardMap{
		Version: m.Version,
		Shards:  maps.Clone(m.Shards),
		Schemas: make(map[string]*router.Schema, len(m.Schemas)),
	}
	if next.Shards == nil {
		next.Shards = map[string]*router.Shard{}
	}
	for name, s := range m.Schemas {
		if s == nil {
			continue
		}
		cs := *s
		cs.Tables = maps.Clone(s.Tables)
		next.Schemas[name] = &cs
	}
	return next
}

func putShard(m *router.ShardMap, c putShardCmd) error {
	if c.Name == "" || c.Shard == nil {
		return fmt.Errorf("%w: shard name and body are required", ErrInvalid)
	}
	s := *c.Shard
	m.Shards[c.Name] = &s
	return nil
}

func deleteShard(m *router.ShardMap, name string) error {
	if _, ok := m.Shards[name]; !ok {
		return fmt.Errorf("%w: shard %q", ErrNotFound, name)
	}
	if user := shardUser(m, name); user != "" {
		return fmt.Errorf("%w: shard %q is used by %s", ErrInUse, name, user)
	}
	delete(m.Shards, name)
	return nil
}

// shardUser names the first schema or table that references shard, or "".
func shardUser(m *router.ShardMap, shard string) string {
	for _, sn := range sortedKeys(m.Schemas) {
		s := m.Schemas[sn]
		if s.DefaultShard == shard {
			return fmt.Sprintf("schemas.%s.default_shard", sn)
		}
		for _, tn := range sortedKeys(s.Tables) {
			for i, p := range s.Tables[tn].Partitions {
				if p.Shard == shard {
					return fmt.Sprintf("schemas.%s.tables.%s.partitions[%d]", sn, tn, i)
				}
			}
		}
	}
	return ""
}

func putSchema(m *router.ShardMap, c putSchemaCmd) error {
	if c.Name == "" {
		return fmt.Errorf("%w: schema name is required", ErrInvalid)
	}
	s := &router.Schema{DefaultShard: c.DefaultShard}
	if old, ok := m.Schemas[c.Name]; ok {
		s.Tables = old.Tables // already cloned by cloneMap
	}
	m.Schemas[c.Name] = s
	return nil
}

func putTable(m *router.ShardMap, c putTableCmd) error {
	if c.Table == "" || c.Rule == nil {
		return fmt.Errorf("%w: table name and rule are required", ErrInvalid)
	}
	s, ok := m.Schemas[c.Schema]
	if !ok {
		return fmt.Errorf("%w: schema %q (create it with PUT /v1/schemas/%s first)", ErrNotFound, c.Schema, c.Schema)
	}
	if s.Tables == nil {
		s.Tables = map[string]*router.TableRule{}
	}
	r := *c.Rule
	r.Partitions = append([]router.Partition(nil), c.Rule.Partitions...)
	s.Tables[c.Table] = &r
	return nil
}

func deleteTable(m *router.ShardMap, c deleteTableCmd) error {
	s, ok := m.Schemas[c.Schema]
	if !ok {
		return fmt.Errorf("%w: schema %q", ErrNotFound, c.Schema)
	}
	if _, ok := s.Tables[c.Table]; !ok {
		return fmt.Errorf("%w: table %s.%s", ErrNotFound, c.Schema, c.Table)
	}
	delete(s.Tables, c.Table)
	return nil
}
