package router

import (
	"fmt"
	"sort"
	"strings"

	"github.com/shardline/shardline/sqlparse"
)

// Validate checks the map and returns an error naming the offending field
// (e.g. `schemas.oms.tables.orders.partitions[1].shard: unknown shard "t9"`):
// shards without an address, schemas without a known default_shard, table
// rules with an unknown type or algorithm, a missing shard key, no or
// unknown partitions, range bounds missing, of mixed kinds or not strictly
// increasing, hash keyspace ranges that are malformed, overlapping, out of
// order or leave gaps, and physical tables (shard, schema, table) used twice.
func (m *ShardMap) Validate() error {
	_, err := compile(m)
	return err
}

// compiled is a validated map with its lookup indexes and plan cache.
type compiled struct {
	m           *ShardMap
	schemas     map[string]*cschema
	schemasL    map[string]*cschema
	shards      []string // sorted
	schemaNames []string // sorted
	// ruled holds the names (lower case) of every table with a rule and of
	// every partition: a statement that names none of them cannot touch
	// sharded or broadcast data (see transparent).
	ruled map[string]bool
}

type cschema struct {
	name    string
	def     *Schema
	tables  map[string]*crule
	tablesL map[string]*crule
}

type crule struct {
	schema, name string
	rule         *TableRule
	broadcast    bool
	algo         string
	key          string // lower case
	parts        []cpart
	starts       []uint64 // hash: first keyspace id of each partition
	uppers       []keyVal // range: exclusive upper bound of each partition
	hasUpper     []bool
}

type cpart struct {
	shard, schema, table string
	qualified            string // `schema`.`table`
	quotedTable          string // `table`
	// qualifier and qualifierTable are the names as column qualifiers:
	// unquoted when the names need no quotes, since MariaDB reads `t`.0
	// as `t` followed by the number .0, but t.0 as column 0 of t.
	qualifier, qualifierTable string
}

func (c *compiled) schema(name string) *cschema {
	if s, ok := c.schemas[name]; ok {
		return s
	}
	return c.schemasL[strings.ToLower(name)]
}

func (s *cschema) rule(name string) *crule {
	if r, ok := s.tables[name]; ok {
		return r
	}
	return s.tablesL[strings.ToLower(name)]
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func compile(m *ShardMap) (*compiled, error) {
	if m == nil {
		return nil, fmt.Errorf("shard map: missing")
	}
	c := &compiled{m: m, schemas: map[string]*cschema{}, schemasL: map[string]*cschema{}, ruled: map[string]bool{}}
	c.shards = sortedKeys(m.Shards)
	for _, name := range c.shards {
		sh := m.Shards[name]
		p := "shards." + name
		switch {
		case name == "":
			return nil, fmt.Errorf("shards: empty shard name")
		case sh == nil:
			return nil, fmt.Errorf("%s: missing definition", p)
		case sh.Addr == "":
			return nil, fmt.Errorf("%s.addr: missing", p)
		case sh.MaxConns < 0:
			return nil, fmt.Errorf("%s.max_conns: negative", p)
		case sh.TLS != "" && sh.TLS != TLSVerify && sh.TLS != TLSSkipVerify:
			return nil, fmt.Errorf("%s.tls: %q is not verify or skip-verify", p, sh.TLS)
		case sh.TLSCA != "" && sh.TLS != TLSVerify:
			return nil, fmt.Errorf("%s.tls_ca: only used with tls: verify", p)
		}
	}
	physical := map[string]string{}
	c.schemaNames = sortedKeys(m.Schemas)
	for _, sname := range c.schemaNames {
		s := m.Schemas[sname]
		p := "schemas." + sname
		if sname == "" {
			return nil, fmt.Errorf("schemas: empty schema name")
		}
		if s == nil {
			return nil, fmt.Errorf("%s: missing definition", p)
		}
		if s.DefaultShard == "" {
			return nil, fmt.Errorf("%s.default_shard: missing", p)
		}
		if _, ok := m.Shards[s.DefaultShard]; !ok {
			return nil, fmt.Errorf("%s.default_shard: unknown shard %q", p, s.DefaultShard)
		}
		cs := &cschema{name: sname, def: s, tables: map[string]*crule{}, tablesL: map[string]*crule{}}
		if _, dup := c.schemasL[strings.ToLower(sname)]; dup {
			return nil, fmt.Errorf("%s: another schema has the same name in another case", p)
		}
		c.schemas[sname] = cs
		c.schemasL[strings.ToLower(sname)] = cs
		for _, tname := range sortedKeys(s.Tables) {
			tp := p + ".tables." + tname
			r, err := compileRule(m, sname, tname, s.Tables[tname], tp, physical)
			if err != nil {
				return nil, err
			}
			if _, dup := cs.tablesL[strings.ToLower(tname)]; dup {
				return nil, fmt.Errorf("%s: another table has the same name in another case", tp)
			}
			cs.tables[tname] = r
			cs.tablesL[strings.ToLower(tname)] = r
			c.ruled[strings.ToLower(tname)] = true
			for _, part := range r.parts {
				c.ruled[strings.ToLower(part.table)] = true
			}
		}
	}
	return c, nil
}

func compileRule(m *ShardMap, sname, tname string, t *TableRule, p string, physical map[string]string) (*crule, error) {
	if tname == "" {
		return nil, fmt.Errorf("schemas.%s.tables: empty table name", sname)
	}
	if t == nil {
		return nil, fmt.Errorf("%s: missing definition", p)
	}
	r := &crule{schema: sname, name: tname, rule: t}
	switch t.Type {
	case "", TypeSharded:
	case TypeBroadcast:
		if len(t.Partitions) > 0 {
			return nil, fmt.Errorf("%s.partitions: a broadcast table has no partitions", p)
		}
		if t.ShardKey != "" || t.Algorithm != "" {
			return nil, fmt.Errorf("%s.type: a broadcast table has no shard_key or algorithm", p)
		}
		if t.AutoIncrement != "" {
			return nil, fmt.Errorf("%s.auto_increment: only sharded tables take values from a global sequence", p)
		}
		r.broadcast = true
		return r, nil
	default:
		return nil, fmt.Errorf("%s.type: unknown type %q (want %q or %q)", p, t.Type, TypeSharded, TypeBroadcast)
	}
	if t.ShardKey == "" {
		return nil, fmt.Errorf("%s.shard_key: missing", p)
	}
	r.key = strings.ToLower(t.ShardKey)
	switch t.Algorithm {
	case AlgoHash, AlgoMod, AlgoRange:
		r.algo = t.Algorithm
	case "":
		return nil, fmt.Errorf("%s.algorithm: missing (hash, mod or range)", p)
	default:
		return nil, fmt.Errorf("%s.algorithm: unknown algorithm %q (hash, mod or range)", p, t.Algorithm)
	}
	if len(t.Partitions) == 0 {
		return nil, fmt.Errorf("%s.partitions: missing", p)
	}
	n := len(t.Partitions)
	explicitKS := false
	for i, part := range t.Partitions {
		pp := fmt.Sprintf("%s.partitions[%d]", p, i)
		if part.Shard == "" {
			return nil, fmt.Errorf("%s.shard: missing", pp)
		}
		if _, ok := m.Shards[part.Shard]; !ok {
			return nil, fmt.Errorf("%s.shard: unknown shard %q", pp, part.Shard)
		}
		if part.Table == "" {
			return nil, fmt.Errorf("%s.table: missing", pp)
		}
		schema := part.Schema
		if schema == "" {
			schema = sname
		}
		key := strings.ToLower(part.Shard + "\x00" + schema + "\x00" + part.Table)
		if other, dup := physical[key]; dup {
			return nil, fmt.Errorf("%s: physical table %s.%s on shard %s is also %s", pp, schema, part.Table, part.Shard, other)
		}
		physical[key] = pp
		r.parts = append(r.parts, cpart{shard: part.Shard, schema: schema, table: part.Table,
			qualified:   sqlparse.QuoteName(schema) + "." + sqlparse.QuoteName(part.Table),
			quotedTable: sqlparse.QuoteName(part.Table),
			qualifier:   sqlparse.Name(schema) + "." + sqlparse.Name(part.Table), qualifierTable: sqlparse.Name(part.Table)})
		if part.KeyspaceStart != "" || part.KeyspaceEnd != "" {
			explicitKS = true
			if r.algo != AlgoHash {
				return nil, fmt.Errorf("%s.keyspace_start: keyspace ranges are only for the hash algorithm", pp)
			}
		}
		if part.Upper != nil && r.algo != AlgoRange {
			return nil, fmt.Errorf("%s.upper: bounds are only for the range algorithm", pp)
		}
	}
	switch r.algo {
	case AlgoHash:
		r.starts = make([]uint64, n)
		if !explicitKS {
			for i := range r.starts {
				r.starts[i] = equalSplit(i, n)
			}
			break
		}
		// start defaults to the previous end (0 for the first); end defaults
		// to the next start (2^64 for the last); ranges must tile [0, 2^64).
		var prevEnd uint64
		for i, part := range t.Partitions {
			pp := fmt.Sprintf("%s.partitions[%d]", p, i)
			start := prevEnd
			if part.KeyspaceStart != "" {
				v, err := parseHex64(part.KeyspaceStart)
				if err != nil {
					return nil, fmt.Errorf("%s.keyspace_start: %v", pp, err)
				}
				start = v
			}
			if start != prevEnd {
				if i == 0 {
					return nil, fmt.Errorf("%s.keyspace_start: the first partition must start at 0000000000000000", pp)
				}
				if start < prevEnd {
					return nil, fmt.Errorf("%s.keyspace_start: overlaps or is before the previous partition's range", pp)
				}
				return nil, fmt.Errorf("%s.keyspace_start: leaves a gap after the previous partition's range", pp)
			}
			r.starts[i] = start
			last := i == n-1
			var end uint64
			endSet := part.KeyspaceEnd != ""
			if endSet {
				v, err := parseHex64(part.KeyspaceEnd)
				if err != nil {
					return nil, fmt.Errorf("%s.keyspace_end: %v", pp, err)
				}
				end = v
				if last {
					return nil, fmt.Errorf("%s.keyspace_end: the last partition must end at the end of the keyspace (leave keyspace_end empty)", pp)
				}
			} else if !last {
				next := t.Partitions[i+1].KeyspaceStart
				if next == "" {
					return nil, fmt.Errorf("%s.keyspace_end: missing (and the next partition has no keyspace_start)", pp)
				}
				v, err := parseHex64(next)
				if err != nil {
					return nil, fmt.Errorf("%s.keyspace_start: %v", fmt.Sprintf("%s.partitions[%d]", p, i+1), err)
				}
				end = v
			}
			if !last && end <= start {
				return nil, fmt.Errorf("%s.keyspace_end: must be greater than keyspace_start", pp)
			}
			prevEnd = end
		}
	case AlgoRange:
		r.uppers = make([]keyVal, n)
		r.hasUpper = make([]bool, n)
		var kind keyKind
		for i, part := range t.Partitions {
			pp := fmt.Sprintf("%s.partitions[%d].upper", p, i)
			if part.Upper == nil {
				if i != n-1 {
					return nil, fmt.Errorf("%s: missing (only the last partition may omit it)", pp)
				}
				continue
			}
			k, ok := normKey(part.Upper)
			if !ok {
				return nil, fmt.Errorf("%s: %v is not a number or a string", pp, part.Upper)
			}
			isStr := k.kind == kString
			if i > 0 && kind != 0 && (kind == kString) != isStr {
				return nil, fmt.Errorf("%s: bounds must be all numbers or all strings", pp)
			}
			kind = k.kind
			if i > 0 && r.hasUpper[i-1] {
				if c, _ := cmpKey(r.uppers[i-1], k); c >= 0 {
					return nil, fmt.Errorf("%s: %s is not greater than the previous bound %s (bounds must be strictly increasing)", pp, k, r.uppers[i-1])
				}
			}
			r.uppers[i], r.hasUpper[i] = k, true
		}
	}
	return r, nil
}

// Clone returns a deep copy of the map.
func (m *ShardMap) Clone() *ShardMap {
	if m == nil {
		return nil
	}
	out := &ShardMap{Version: m.Version}
	if m.Shards != nil {
		out.Shards = make(map[string]*Shard, len(m.Shards))
		for k, v := range m.Shards {
			if v != nil {
				c := *v
				v = &c
			}
			out.Shards[k] = v
		}
	}
	if m.Schemas != nil {
		out.Schemas = make(map[string]*Schema, len(m.Schemas))
		for k, s := range m.Schemas {
			if s != nil {
				cs := &Schema{DefaultShard: s.DefaultShard}
				if s.Tables != nil {
					cs.Tables = make(map[string]*TableRule, len(s.Tables))
					for tn, t := range s.Tables {
						if t != nil {
							ct := *t
							if t.Partitions != nil {
								ct.Partitions = append([]Partition(nil), t.Partitions...)
							}
							t = &ct
						}
						cs.Tables[tn] = t
					}
				}
				s = cs
			}
			out.Schemas[k] = s
		}
	}
	return out
}
