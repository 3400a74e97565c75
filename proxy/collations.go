package proxy

import (
	"context"
	"strings"
	"sync"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// collationCache knows the real collation of table columns per shard, and
// the definition of ENUM columns. A server reports the connection's
// collation in a result's column definitions, not the column's, so a merge
// that compares strings (ORDER BY, GROUP BY, DISTINCT, MIN/MAX) must look
// the column's collation up to compare as the server would; and an ENUM
// sorts by the position of its value, which only the definition tells.
// Entries are per physical table and dropped on any DDL the proxy runs.
type collationCache struct {
	mu     sync.Mutex
	tables map[string]*tableInfo // "shard/schema/table"
}

// tableInfo is what the proxy knows of one physical table's columns.
type tableInfo struct {
	cols  map[string]columnInfo // lower-case name → info (string columns)
	order []string              // every column, lower case, in table order
}

// columnInfo is what a merge needs to know of one table column.
type columnInfo struct {
	collation uint16
	enum      []string // ENUM values in definition order; nil otherwise
}

func (c *collationCache) invalidate() {
	c.mu.Lock()
	c.tables = nil
	c.mu.Unlock()
}

func isStringType(t byte) bool {
	switch t {
	case mysql.MYSQL_TYPE_VARCHAR, mysql.MYSQL_TYPE_VAR_STRING, mysql.MYSQL_TYPE_STRING,
		mysql.MYSQL_TYPE_TINY_BLOB, mysql.MYSQL_TYPE_MEDIUM_BLOB, mysql.MYSQL_TYPE_LONG_BLOB, mysql.MYSQL_TYPE_BLOB,
		mysql.MYSQL_TYPE_ENUM, mysql.MYSQL_TYPE_SET:
		return true
	}
	return false
}

// columnCollations returns the collation of every string column of fields
// that comes straight from a table column, looked up on shard, and the
// definitions of the ENUM ones.
func (s *Session) columnCollations(ctx context.Context, shard string, fields []*mysql.Field) (map[int]uint16, map[int][]string) {
	var colls map[int]uint16
	var enums map[int][]string
	for i, f := range fields {
		if !isStringType(f.Type) || len(f.OrgTable) == 0 || len(f.OrgName) == 0 || f.Flag&mysql.BINARY_FLAG != 0 {
			continue
		}
		ti := s.tableInfo(ctx, shard, string(f.Schema), string(f.OrgTable))
		if ti == nil {
			continue
		}
		info, ok := ti.cols[strings.ToLower(string(f.OrgName))]
		if !ok {
			continue
		}
		if colls == nil {
			colls = map[int]uint16{}
		}
		colls[i] = info.collation
		if info.enum != nil {
			if enums == nil {
				enums = map[int][]string{}
			}
			enums[i] = info.enum
		}
	}
	return colls, enums
}

// tableColumns returns the columns of a physical table in table order
// (router.Session.TableColumns: INSERTs without a column list).
func (s *Session) tableColumns(shard, schema, table string) ([]string, error) {
	ti := s.tableInfo(s.srv.baseCtx, shard, schema, table)
	if ti == nil {
		return nil, nil
	}
	return ti.order, nil
}

// tableInfo looks a physical table's columns up on shard, once per DDL
// epoch. nil when the lookup fails (not cached: it is retried).
func (s *Session) tableInfo(ctx context.Context, shard, schema, table string) *tableInfo {
	c := &s.srv.collations
	key := shard + "/" + schema + "/" + table
	c.mu.Lock()
	ti, ok := c.tables[key]
	c.mu.Unlock()
	if ok {
		return ti
	}
	bc, err := s.acquireFree(ctx, shard)
	if err != nil {
		return nil
	}
	defer bc.pool.put(bc)
	r, err := bc.exec("SELECT c.COLUMN_NAME, co.ID, c.DATA_TYPE, c.COLUMN_TYPE FROM information_schema.COLUMNS c " +
		"LEFT JOIN information_schema.COLLATIONS co ON co.COLLATION_NAME = c.COLLATION_NAME " +
		"WHERE c.TABLE_SCHEMA = '" + escapeString(schema) + "' AND c.TABLE_NAME = '" + escapeString(table) + "' " +
		"ORDER BY c.ORDINAL_POSITION")
	if err != nil {
		return nil
	}
	ti = &tableInfo{cols: map[string]columnInfo{}}
	for i := range r.Values {
		name, _ := r.GetString(i, 0)
		name = strings.ToLower(name)
		ti.order = append(ti.order, name)
		id, _ := r.GetUint(i, 1)
		if id == 0 {
			continue // not a string column
		}
		info := columnInfo{collation: uint16(id)}
		if typ, _ := r.GetString(i, 2); strings.EqualFold(typ, "enum") {
			def, _ := r.GetString(i, 3)
			info.enum = parseEnumDefinition(def)
		}
		ti.cols[name] = info
	}
	if len(ti.order) == 0 {
		return ti // no such table (yet): not cached
	}
	c.mu.Lock()
	if c.tables == nil {
		c.tables = map[string]*tableInfo{}
	}
	c.tables[key] = ti
	c.mu.Unlock()
	return ti
}

// parseEnumDefinition reads the values of COLUMN_TYPE "enum('a','b','it”s')".
// It returns nil for anything else (the column then sorts by text).
func parseEnumDefinition(def string) []string {
	if len(def) < 6 || !strings.EqualFold(def[:5], "enum(") || def[len(def)-1] != ')' {
		return nil
	}
	in := def[5 : len(def)-1]
	var vals []string
	for len(in) > 0 {
		if in[0] != '\'' {
			return nil
		}
		var b strings.Builder
		i := 1
		for ; i < len(in); i++ {
			if in[i] == '\'' {
				if i+1 < len(in) && in[i+1] == '\'' {
					b.WriteByte('\'')
					i++
					continue
				}
				break
			}
			b.WriteByte(in[i])
		}
		if i >= len(in) {
			return nil
		}
		vals = append(vals, b.String())
		in = in[i+1:]
		if len(in) > 0 {
			if in[0] != ',' {
				return nil
			}
			in = in[1:]
		}
	}
	return vals
}

func escapeString(s string) string {
	var b strings.Builder
	quoteString(&b, s)
	q := b.String()
	return q[1 : len(q)-1]
}
